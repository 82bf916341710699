import { randomBytes } from 'node:crypto';

/**
 * Erasure of a deleted user's personal data from what Vigil keeps about it (docs/operations.md,
 * "Deleting a user: erasure"). Security events stay (type, time, severity, request id and the
 * non-personal details), so counts, detectors' history and incident timelines still add up; what
 * could point at the person goes.
 */

/** Detail fields that hold personal data: removed wherever they appear, at any depth. */
export const PERSONAL_FIELDS: readonly string[] = ['email', 'name', 'ip', 'user_agent', 'username'];

/** A fresh pseudonym for one erased user: random, so it cannot be recomputed from the old id. */
export const newPseudonym = (): string => `erased:${randomBytes(8).toString('hex')}`;

/** How an actor is written in ADMIN_ACTION details, incident timelines and `created_by` columns. */
export const userActor = (userId: string): string => `user:${userId}`;

export interface ErasureSubject {
  userId: string;
  /** Lower-cased, as stored. */
  email: string;
  pseudonym: string;
}

/**
 * The details of an event with the subject erased: personal fields removed, and any value that is
 * the user's id, its actor form (`user:<id>`) or its email replaced by the pseudonym.
 */
export function eraseDetails(details: unknown, subject: ErasureSubject): unknown {
  const actor = userActor(subject.userId);
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value === subject.userId || value === actor || value.toLowerCase() === subject.email ? subject.pseudonym : value;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).filter(([k]) => !PERSONAL_FIELDS.includes(k)).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return walk(details);
}

/** Whether stored details (JSON text) name the subject's email: its events from before it was known (failed logins). */
export function mentionsEmail(details: unknown, email: string): boolean {
  if (typeof details === 'string') return details.toLowerCase() === email;
  if (Array.isArray(details)) return details.some((d) => mentionsEmail(d, email));
  if (details !== null && typeof details === 'object') return Object.values(details).some((d) => mentionsEmail(d, email));
  return false;
}

import { createHash } from 'node:crypto';
import type { Labels } from './types.js';

/** Labels in name order, as one canonical string. */
export const canonicalLabels = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');

/** A stable identity of an alert: the same labels give the same 16 hex digits, in every process. */
export const fingerprint = (labels: Labels): string => createHash('sha256').update(canonicalLabels(labels)).digest('hex').slice(0, 16);

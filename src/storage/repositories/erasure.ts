import { sql, type Kysely, type SqlBool } from 'kysely';
import { eraseDetails, mentionsEmail, userActor, type ErasureSubject } from '../../admin/erasure.js';
import type { DB } from '../schema.js';
import type { AlertingTables } from '../schema-alerting.js';

const PAGE = 500;
/** Event types whose details carry an email (REGISTERED, logins, lockouts). */
const EMAIL_TYPES = ['LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REGISTERED', 'ACCOUNT_LOCKED', 'ACCOUNT_UNLOCKED'];

/** `%`, `_` and the escape character itself taken literally in a LIKE pattern (ESCAPE '\'). */
export const escapeLike = (s: string): string => s.replace(/[\\%_]/g, '\\$&');
const like = (column: string, pattern: string) => sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;

/**
 * Rewrites everything that names the subject, inside the caller's transaction (the user row itself
 * is the caller's to delete). Returns the events rewritten and the sessions whose tokens went.
 */
export async function eraseUserData(trx: Kysely<DB>, subject: ErasureSubject): Promise<{ eventsErased: number; sessions: { sid: string; lastIssuedAt: number }[] }> {
  const { userId, pseudonym } = subject;
  const actor = userActor(userId);
  // Events: the user's own (by user_id), the admin actions taken on it (target = its id) and
  // those that name its email without a user id (failed logins before or after it existed).
  // JSON.stringify gives the text as stored (details are written with JSON.stringify).
  const targetPattern = `%${escapeLike(`"target":${JSON.stringify(userId)}`)}%`;
  const emailPattern = `%${escapeLike(`"email":${JSON.stringify(subject.email)}`)}%`;
  let eventsErased = 0;
  for (let lastId = 0; ; ) {
    const rows = await trx
      .selectFrom('security_events')
      .select(['id', 'user_id', 'ip', 'details'])
      .where('id', '>', lastId)
      .where((eb) =>
        eb.or([
          eb('user_id', '=', userId),
          eb.and([eb('type', '=', 'ADMIN_ACTION'), like('details', targetPattern)]),
          eb.and([eb('type', 'in', EMAIL_TYPES), like('details', emailPattern)]),
        ]),
      )
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const details = JSON.parse(row.details) as unknown;
      // The person's own request (its user id, or its email in the details): its address goes too.
      // An admin acting on it keeps its own user id and address.
      const own = row.user_id === userId || mentionsEmail(details, subject.email);
      const erased = eraseDetails(details, subject);
      // A pattern can match more than it should (a nested value); the row must really name the user.
      if (!own && JSON.stringify(erased) === row.details) continue;
      await trx
        .updateTable('security_events')
        .set({ user_id: row.user_id === userId ? pseudonym : row.user_id, ip: own ? null : row.ip, details: JSON.stringify(erased) })
        .where('id', '=', row.id)
        .execute();
      eventsErased += 1;
    }
    if (rows.length < PAGE) break;
    lastId = Number(rows[rows.length - 1]!.id);
  }

  const tokens = await trx.deleteFrom('refresh_tokens').where('user_id', '=', userId).returning(['family_id', 'created_at']).execute();
  const sessions = new Map<string, number>();
  for (const t of tokens) sessions.set(t.family_id, Math.max(sessions.get(t.family_id) ?? 0, Number(t.created_at)));
  // Revoked access tokens stay revoked; only their link to the user goes.
  await trx.updateTable('token_blacklist').set({ user_id: null }).where('user_id', '=', userId).execute();
  // Where the user acted as an admin: keys it created, blocks it set, emergency mode it switched.
  await trx.updateTable('api_keys').set({ created_by: pseudonym }).where('created_by', '=', actor).execute();
  await trx.updateTable('ip_blocks').set({ created_by: pseudonym }).where('created_by', '=', actor).execute();
  await trx.updateTable('settings').set({ updated_by: pseudonym }).where('updated_by', '=', actor).execute();
  const alerting = trx.withTables<AlertingTables>();
  await alerting.updateTable('alert_silences').set({ created_by: pseudonym }).where('created_by', '=', actor).execute();
  await alerting.updateTable('incidents').set({ acknowledged_by: pseudonym }).where('acknowledged_by', '=', actor).execute();
  await alerting
    .updateTable('incident_timeline')
    .set((eb) => ({ actor: eb.fn<string>('replace', [eb.ref('actor'), eb.val(actor), eb.val(pseudonym)]), text: eb.fn<string>('replace', [eb.ref('text'), eb.val(actor), eb.val(pseudonym)]) }))
    .where((eb) => eb.or([eb('actor', '=', actor), like('text', `%${escapeLike(actor)}%`)]))
    .execute();
  return { eventsErased, sessions: [...sessions].map(([sid, lastIssuedAt]) => ({ sid, lastIssuedAt })) };
}

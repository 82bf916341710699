import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { Nullable } from '../http/nullable.js';
import { errorResponses } from '../http/openapi.js';
import { actorOf } from '../protection/routes.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import { BackupError, type BackupService } from './index.js';

const ctxOf = (r: FastifyRequest) => ({ ip: r.ip, request_id: r.id, user_id: r.principal?.kind === 'user' ? r.principal.userId : undefined });
const BackupView = Type.Object({
  file: Type.String(), created_at: Type.String({ format: 'date-time' }), size: Type.Integer(), label: Nullable(Type.String()),
  sha256: Nullable(Type.String()), schema_version: Nullable(Type.String()), row_counts: Type.Union([Type.Record(Type.String(), Type.Integer()), Type.Null()]),
});
const CheckView = Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() });
/** Backup file names only: never a path (no directory can be reached through the API). */
const FileName = Type.String({ pattern: '^vigil-[a-z0-9-]+-[0-9]{8}T[0-9]{9}Z\\.(db\\.gz|pgdump)$', maxLength: 120, description: 'a backup file name as listed' });

/** BackupErrors as problems: a missing file is a 404, a missing tool a 503; anything else stays unexpected. */
function asProblem(e: unknown): never {
  if (e instanceof BackupError) {
    if (e.kind === 'not_found') throw new AppError('not_found', e.message);
    if (e.kind === 'tool_missing') throw new AppError('service_unavailable', e.message);
  }
  throw e;
}

/** `/api/v1/admin/backups`: list, create and verify (restore is the CLI's: it needs Vigil stopped). */
export const backupAdminRoutes: FastifyPluginAsyncTypebox<{ backups: BackupService; events: SecurityEvents; guards: Guards }> = async (app, { backups, events, guards }) => {
  app.addHook('onRequest', guards.admin);
  // A POST without a body is an empty one (the schemas then validate `{}`); a JSON `null` is refused.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined) request.body = {};
  });
  const tags = ['admin'];
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

  app.get('/backups', {
    schema: { tags, summary: 'Backups in BACKUP_DIR, newest first', security, response: { 200: Type.Object({ backups: Type.Array(BackupView) }), ...errorResponses(401, 403) } },
  }, async () => ({
    backups: (await backups.list()).map((b) => ({
      file: b.file, created_at: new Date(b.created_at).toISOString(), size: b.size, label: b.manifest?.label ?? null,
      sha256: b.manifest?.sha256 ?? null, schema_version: b.manifest?.schema_version ?? null, row_counts: b.manifest?.row_counts ?? null,
    })),
  }));

  app.post('/backups', {
    schema: { tags, summary: 'Create a backup now (into BACKUP_DIR)', security, body: Type.Object({}, { additionalProperties: false }), response: { 201: BackupView, ...errorResponses(400, 401, 403, 503) } },
  }, async (request, reply) => {
    events.emit('ADMIN_ACTION', ctxOf(request), { action: 'backup_create', actor: actorOf(request.principal) });
    const made = await backups.create({ label: 'manual' }).catch(asProblem);
    return reply.status(201).send({ file: made.file, created_at: made.created_at, size: made.size, label: made.label, sha256: made.sha256, schema_version: made.schema_version, row_counts: made.row_counts });
  });

  app.post('/backups/:file/verify', {
    schema: {
      tags, summary: 'Verify a backup: checksum, restore into a temporary database, integrity and row counts', security,
      params: Type.Object({ file: FileName }),
      response: { 200: Type.Object({ ok: Type.Boolean(), file: Type.String(), checks: Type.Array(CheckView) }), ...errorResponses(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    events.emit('ADMIN_ACTION', ctxOf(request), { action: 'backup_verify', target: request.params.file, actor: actorOf(request.principal) });
    return backups.verify(request.params.file).catch(asProblem);
  });
};

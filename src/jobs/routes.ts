import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { JOB_NAMES } from '../config/schema.js';
import { AppError } from '../errors/index.js';
import type { Guards } from '../http/auth-guard.js';
import { Nullable } from '../http/nullable.js';
import { errorResponses } from '../http/openapi.js';
import { actorOf } from '../protection/routes.js';
import type { SecurityEvents } from '../security-monitoring/events.js';
import type { Maintenance } from './index.js';
import type { JobRun } from './ports.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const runView = (r: JobRun) => ({ ...r, tick: iso(r.tick), started_at: iso(r.started_at)!, finished_at: iso(r.finished_at) });
const RunView = Type.Object({
  id: Type.String(), job: Type.String(), instance: Type.String(), tick: Nullable(Type.String({ format: 'date-time' })), trigger: Type.String(),
  started_at: Type.String({ format: 'date-time' }), finished_at: Nullable(Type.String({ format: 'date-time' })), status: Type.String(),
  stats: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]), error: Nullable(Type.String()),
});
const JobName = Type.Union(JOB_NAMES.map((n) => Type.Literal(n)), { description: 'a maintenance job' });
const ctxOf = (r: FastifyRequest) => ({ ip: r.ip, request_id: r.id, user_id: r.principal?.kind === 'user' ? r.principal.userId : undefined });

/** `/api/v1/admin/jobs`: the jobs, running one now, and their history (what `vigil jobs` does). */
export const jobAdminRoutes: FastifyPluginAsyncTypebox<{ maintenance: Maintenance; events: SecurityEvents; guards: Guards }> = async (app, { maintenance, events, guards }) => {
  app.addHook('onRequest', guards.admin);
  // A POST without a body is an empty one (the schemas then validate `{}`); a JSON `null` is refused.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined) request.body = {};
  });
  const tags = ['admin'];
  const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKey: [] }];

  app.get('/jobs', {
    schema: {
      tags, summary: 'Maintenance jobs: schedule, last run, next run', security,
      response: {
        200: Type.Object({
          jobs: Type.Array(Type.Object({
            name: Type.String(), description: Type.String(), schedule: Nullable(Type.String()), timezone: Type.String(),
            next_run: Nullable(Type.String({ format: 'date-time' })), last_run: Type.Union([RunView, Type.Null()]), last_success_at: Nullable(Type.String({ format: 'date-time' })),
          })),
        }),
        ...errorResponses(401, 403),
      },
    },
  }, async () => ({
    jobs: (await maintenance.list()).map((j) => ({ ...j, next_run: iso(j.next_run), last_run: j.last_run && runView(j.last_run), last_success_at: iso(j.last_success_at) })),
  }));

  app.post('/jobs/:name/run', {
    schema: {
      tags, summary: 'Run a job now and wait for it (409 while another instance runs it)', security,
      params: Type.Object({ name: JobName }),
      body: Type.Object({ dry_run: Type.Optional(Type.Boolean({ description: 'report what it would do, change nothing' })) }, { additionalProperties: false }),
      response: { 200: RunView, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request) => {
    const dryRun = request.body.dry_run === true;
    events.emit('ADMIN_ACTION', ctxOf(request), { action: dryRun ? 'job_dry_run' : 'job_run', target: request.params.name, actor: actorOf(request.principal) });
    const outcome = await maintenance.run(request.params.name, { dryRun });
    if (outcome.status === 'skipped') throw new AppError('job_busy', `${request.params.name} is running on another instance; try again when it has finished`);
    return runView(outcome.run);
  });

  app.get('/jobs/:name/runs', {
    schema: {
      tags, summary: 'The latest runs of a job, newest first', security,
      params: Type.Object({ name: JobName }),
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ runs: Type.Array(RunView) }), ...errorResponses(400, 401, 403) },
    },
  }, async (request) => ({ runs: (await maintenance.runs.history(request.params.name, request.query.limit ?? 20)).map(runView) }));
};

import type { Kysely } from 'kysely';
import { blacklistStatistics } from '../jobs/cleanup-tokens.js';
import type { Services } from '../services.js';
import { runAudit, type AuditSources } from './checks.js';

export { runAudit, type Finding, type FindingSeverity, type AuditSources } from './checks.js';

/** The audit's sources from the running services. */
export function auditSources(services: Services, envFile: string | undefined): AuditSources {
  const now = services.clock.now();
  return {
    config: services.config,
    db: services.database.db,
    now,
    emergencyEnabled: services.protection.emergency.enabled(),
    backups: () => services.maintenance.backups.list(),
    lastSuccess: async () => new Map([...(await services.maintenance.runs.latest())].map(([job, v]) => [job, v.lastSuccessAt])),
    blacklist: () => blacklistStatistics(services.database.db as unknown as Kysely<unknown>, now),
    envFile,
  };
}

/** `vigil audit` and the admin API. */
export const auditServices = (services: Services, envFile: string | undefined) => runAudit(auditSources(services, envFile));

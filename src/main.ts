import { buildApp } from './app.js';
import { ConfigError, environmentWithDotenv, failures, loadConfig, productionReadiness, type Config } from './config/index.js';
import { startMetricsServer } from './observability/metrics-http.js';
import { createFatalErrorHandler } from './observability/process-errors.js';
import { createServices } from './services.js';

/** Loads config (environment over `.env`), or prints every problem and exits 1. */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(environmentWithDotenv(env));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** Starts the server: config → production checks → services → app → listen; drains on SIGTERM/SIGINT. */
export async function serve(config: Config): Promise<void> {
  const readiness = productionReadiness(config);
  if (config.environment === 'production') {
    const failed = failures(readiness);
    if (failed.length > 0) {
      process.stderr.write(
        `Refusing to start in production:\n${failed.map((f) => `  - ${f.message}: ${f.fix ?? ''}`).join('\n')}\nRun \`vigil config check\` for the full report.\n`,
      );
      process.exit(1);
    }
  }

  const services = await createServices(config);
  const log = services.log('vigil');
  // Logged with type and stack, sent to error tracking, then exit 1 as Node.js would.
  const fatal = createFatalErrorHandler({ logger: log, errorTracking: services.errorTracking, exit: (code) => process.exit(code) });
  process.on('unhandledRejection', (reason) => void fatal(reason, 'unhandledRejection'));
  process.on('uncaughtException', (error) => void fatal(error, 'uncaughtException'));
  if (config.environment === 'production') {
    for (const w of readiness.filter((i) => i.status === 'warn')) log.warn({ check: w.id }, `${w.message}: ${w.fix ?? ''}`);
  }
  if (config.createDefaultUsers) {
    const created = await services.auth.ensureDefaultUsers();
    // Printed once to the terminal, never logged.
    if (created.length > 0) {
      process.stdout.write(`\nDefault users created (shown once, change these passwords):\n${created.map((u) => `  ${u.role.padEnd(5)}  ${u.email}  ${u.password}`).join('\n')}\n\n`);
    }
  }

  const app = await buildApp(services);
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      log.error({ timeout_ms: config.http.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs);
    force.unref();
    try {
      await app.close();
      await metricsServer?.close();
      await services.close();
      log.info('shutdown complete');
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  const address = await app.listen({ host: config.http.host, port: config.http.port });
  // Rule evaluation, group flushes and the outbox worker (the CLI builds services without them).
  services.alerting?.start();
  // The presence lease (a restore refuses while it is held) and, with JOBS_ENABLED, the scheduler.
  await services.maintenance.start();
  log.info({ address, environment: config.environment, database: config.database.kind, version: config.version }, `Vigil listening on ${address}`);
  if (services.metrics && config.metrics.port !== undefined) {
    metricsServer = await startMetricsServer({ metrics: services.metrics, config, logger: services.log('metrics') });
    log.info({ address: `http://${config.http.host}:${config.metrics.port}/metrics` }, 'metrics listening on their own port');
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  serve(configOrExit()).catch((e: unknown) => {
    process.stderr.write(`Vigil failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

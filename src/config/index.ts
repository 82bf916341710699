export type { Config, DetectorAction, DetectorKind, Environment, JobName, JwtAlgorithm, RouteLimitName } from './config.js';
export { ConfigError, environmentWithDotenv, loadConfig, readEnvFile, type ConfigIssue, type Env } from './load.js';
export { failures, productionReadiness, type CheckStatus, type ReadinessItem } from './production.js';
export { redactConfig, redactUrl } from './redact.js';
export { VARS } from './schema.js';

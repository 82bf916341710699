import type { DatabaseUrl, TrustProxy } from './parsers.js';

export type Environment = 'development' | 'staging' | 'production';
export type JwtAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

/** The validated, frozen configuration handed to every factory. Nothing else reads process.env. */
export interface Config {
  environment: Environment;
  version: string;
  debug: boolean;
  http: {
    host: string;
    port: number;
    trustProxy: TrustProxy;
    maxRequestSize: number;
    requestTimeoutMs: number;
    shutdownTimeoutMs: number;
  };
  database: DatabaseUrl & {
    poolMax: number;
    ssl: boolean;
    autoMigrate: boolean;
    allowSqliteInProduction: boolean;
  };
  jwt: {
    algorithm: JwtAlgorithm;
    secret: string | undefined;
    accessTtlMs: number;
    refreshTtlMs: number;
    refreshReuseGraceMs: number;
    issuer: string;
    audience: string;
    keyEncryptionKey: string | undefined;
    keyFile: string;
  };
  apiKeys: { public: string | undefined; admin: string | undefined };
  createDefaultUsers: boolean;
  passwords: {
    minLength: number;
    maxLength: number;
    minStrength: number;
    argon2: { memoryCost: number; timeCost: number; parallelism: number };
  };
  log: {
    level: string;
    levels: Record<string, string>;
    pretty: boolean;
    pii: boolean;
  };
}

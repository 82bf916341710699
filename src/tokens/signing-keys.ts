import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../shared/clock.js';
import type { KeyEncryption } from './key-encryption.js';
import type { SigningKeyRecord, SigningKeyRepository } from './ports.js';

export type AsymmetricAlg = 'EdDSA' | 'ES256';

export interface PublicKeyInfo {
  kid: string;
  alg: string;
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

/**
 * The asymmetric signing keys: the newest unretired one signs; every key whose public part has
 * not expired verifies and is published in JWKS. Keys live in the database so that every
 * instance signs and verifies with the same set.
 */
export interface SigningKeyStore {
  /** Loads the keys, creating the first one when there is none. */
  init(): Promise<void>;
  signingKey(): { kid: string; alg: AsymmetricAlg; key: KeyObject };
  /** The verification key for `kid`; reloads from the database (at most every few seconds) when unknown. */
  verificationKey(kid: string): Promise<KeyObject | undefined>;
  jwks(): { keys: JWK[] };
  /** Adds a new signing key; the previous one keeps verifying until its last token expires. */
  rotate(): Promise<PublicKeyInfo>;
  list(): PublicKeyInfo[];
  reload(): Promise<void>;
}

interface LoadedKey {
  record: SigningKeyRecord;
  publicKey: KeyObject;
  jwk: JWK;
  privateKey?: KeyObject;
}

const RELOAD_MIN_INTERVAL_MS = 5_000;

export function createSigningKeyStore(deps: {
  repo: SigningKeyRepository;
  encryption: KeyEncryption;
  clock: Clock;
  alg: AsymmetricAlg;
  /** How long a retired key keeps verifying: the access-token lifetime plus clock skew. */
  retiredKeyLifetimeMs: number;
}): SigningKeyStore {
  const { repo, encryption, clock, alg } = deps;
  let keys = new Map<string, LoadedKey>();
  let signer: LoadedKey | undefined;
  let lastReload = 0;

  async function generate(): Promise<SigningKeyRecord> {
    const pair =
      alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(jwk);
    const record: SigningKeyRecord = {
      kid,
      alg,
      public_jwk: JSON.stringify({ ...jwk, kid, alg, use: 'sig' }),
      private_key: encryption.encrypt(pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string),
      created_at: clock.now(),
      retired_at: null,
      expires_at: null,
    };
    await repo.insert(record);
    return record;
  }

  async function reload(): Promise<void> {
    const now = clock.now();
    lastReload = now;
    const next = new Map<string, LoadedKey>();
    for (const record of await repo.list()) {
      if (record.expires_at !== null && record.expires_at <= now) continue;
      const jwk = JSON.parse(record.public_jwk) as JWK;
      const loaded: LoadedKey = { record, jwk, publicKey: keys.get(record.kid)?.publicKey ?? createPublicKey({ key: jwk as never, format: 'jwk' }) };
      next.set(record.kid, loaded);
    }
    // The newest unretired key of the configured algorithm signs.
    const candidates = [...next.values()].filter((k) => k.record.retired_at === null && k.record.alg === alg);
    const newest = candidates.sort((a, b) => b.record.created_at - a.record.created_at)[0];
    if (newest) {
      newest.privateKey = keys.get(newest.record.kid)?.privateKey ?? createPrivateKey(encryption.decrypt(newest.record.private_key));
    }
    keys = next;
    signer = newest;
  }

  // A retired key past its expiry leaves JWKS and verification at once, not at the next reload.
  const isLive = (k: LoadedKey) => k.record.expires_at === null || k.record.expires_at > clock.now();
  const live = () => [...keys.values()].filter(isLive);

  const info = (r: SigningKeyRecord): PublicKeyInfo => ({ kid: r.kid, alg: r.alg, created_at: r.created_at, retired_at: r.retired_at, expires_at: r.expires_at });

  return {
    async init() {
      await reload();
      if (!signer) {
        await generate();
        await reload();
      }
    },
    signingKey() {
      if (!signer?.privateKey) throw new Error('signing keys not initialised');
      return { kid: signer.record.kid, alg, key: signer.privateKey };
    },
    async verificationKey(kid) {
      const known = keys.get(kid);
      if (known) return isLive(known) ? known.publicKey : undefined;
      if (clock.now() - lastReload < RELOAD_MIN_INTERVAL_MS) return undefined;
      await reload();
      return keys.get(kid)?.publicKey;
    },
    jwks: () => ({ keys: live().map((k) => k.jwk) }),
    async rotate() {
      const now = clock.now();
      const previous = [...keys.values()].filter((k) => k.record.retired_at === null);
      const created = await generate();
      for (const old of previous) await repo.retire(old.record.kid, now, now + deps.retiredKeyLifetimeMs);
      await reload();
      return info(created);
    },
    list: () => live().map((k) => info(k.record)),
    reload,
  };
}

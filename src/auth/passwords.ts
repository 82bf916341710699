import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** argon2id hashing on libuv's thread pool: hashing never blocks the event loop. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Verifies against a fixed dummy hash: the same cost as a real check, for unknown accounts. */
  verifyDummy(password: string): Promise<void>;
  /** True when a stored hash was made with other parameters than the configured ones. */
  needsRehash(passwordHash: string): boolean;
}

const ARGON2ID = 2 as Algorithm;

export async function createPasswordHasher(params: Argon2Params): Promise<PasswordHasher> {
  const options = { algorithm: ARGON2ID, ...params };
  // Made once at start with the current parameters so that unknown emails cost what real ones do.
  const dummy = await hash('vigil-dummy-password-for-timing', options);
  return {
    hash: (password) => hash(password, options),
    async verify(passwordHash, password) {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false; // an unparseable stored hash never matches
      }
    },
    async verifyDummy(password) {
      await verify(dummy, password);
    },
    needsRehash(passwordHash) {
      try {
        const o = parseOptions(passwordHash);
        return o.algorithm !== ARGON2ID || o.memoryCost !== params.memoryCost || o.timeCost !== params.timeCost || o.parallelism !== params.parallelism;
      } catch {
        return true;
      }
    },
  };
}

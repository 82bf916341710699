import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Encrypts signing private keys at rest (AES-256-GCM), so a copy of the database alone cannot sign. */
export interface KeyEncryption {
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
}

const VERSION = 'v1';

export function keyEncryption(key: Buffer): KeyEncryption {
  if (key.length !== 32) throw new Error('key-encryption key must be 32 bytes');
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(sealed) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || !body) throw new Error('unrecognised sealed key format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** Derives the 32-byte key from SIGNING_KEY_ENCRYPTION_KEY (HKDF-SHA256). */
export function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'vigil', 'signing-key-encryption', 32));
}

/**
 * Reads the key file, or creates it (32 random bytes, hex, mode 0600; directory 0700) when it
 * does not exist yet. A key file with the wrong length is an error, never silently replaced.
 */
export function loadOrCreateKeyFile(path: string): Buffer {
  const full = resolve(path);
  if (!existsSync(full)) {
    mkdirSync(dirname(full), { recursive: true, mode: 0o700 });
    writeFileSync(full, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(full, 0o600);
  const key = Buffer.from(readFileSync(full, 'utf8').trim(), 'hex');
  if (key.length !== 32) throw new Error(`Signing key file ${full} does not hold a 32-byte hex key`);
  return key;
}

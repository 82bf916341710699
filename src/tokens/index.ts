export { createAccessTokenCodec, type AccessClaims, type AccessTokenCheck, type AccessTokenFailure } from './access-tokens.js';
export { deriveKey, keyEncryption, loadOrCreateKeyFile } from './key-encryption.js';
export { createRefreshTokens, type ClientMeta, type RefreshTokens } from './refresh-tokens.js';
export { createRevocationList, type RevocationList } from './revocation.js';
export { createRevocationSync, parseRevocationMessage, REVOCATIONS_CHANNEL, type RevocationBus, type RevocationMessage, type RevocationSync } from './revocation-sync.js';
export { createTokenService, type IssuedTokens, type TokenService } from './service.js';
export { createSigningKeyStore, type SigningKeyStore, type PublicKeyInfo } from './signing-keys.js';

import { AppError } from '../errors/index.js';
import type { Clock } from '../shared/clock.js';
import { newId, randomToken } from '../shared/crypto.js';
import type { EventContext, SecurityEvents } from '../security-monitoring/events.js';
import type { AccessClaims, ClientMeta, IssuedTokens, TokenService } from '../tokens/index.js';
import type { PasswordPolicy, PublicPasswordPolicy } from './password-policy.js';
import type { PasswordHasher } from './passwords.js';
import type { Principal } from './principal.js';
import type { Role, User, UserProfile, UserRepository } from './ports.js';
import type { LockoutService } from '../protection/lockout.js';

/** The request a decision is made for: where it came from and how to correlate it. */
export interface RequestContext extends EventContext, ClientMeta {}

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** RFC 7662 introspection response. */
export type Introspection =
  | { active: false }
  | {
      active: true;
      token_type: 'access_token' | 'refresh_token';
      sub: string;
      exp: number;
      iat: number;
      iss?: string;
      aud?: string;
      jti?: string;
      sid?: string;
      roles?: string[];
      username?: string;
    };

export interface AuthService {
  register(input: { email: string; password: string; name?: string | undefined }, ctx: RequestContext): Promise<User>;
  login(input: { email: string; password: string }, ctx: RequestContext): Promise<IssuedTokens>;
  refresh(refreshToken: string, ctx: RequestContext): Promise<IssuedTokens>;
  logout(principal: UserPrincipal, ctx: RequestContext): Promise<void>;
  logoutAll(principal: UserPrincipal, ctx: RequestContext): Promise<number>;
  me(principal: UserPrincipal): Promise<UserProfile>;
  changePassword(principal: UserPrincipal, input: { current_password: string; new_password: string }, ctx: RequestContext): Promise<number>;
  introspect(token: string, hint: string | undefined): Promise<Introspection>;
  /** Creates a user with a role (CLI, default users, admin API); applies the password policy. */
  createUser(input: { email: string; password: string; name?: string | null; role: Role }, ctx: RequestContext): Promise<User>;
  /** CREATE_DEFAULT_USERS: an admin and a user with random passwords, only when no user exists. */
  ensureDefaultUsers(): Promise<{ email: string; password: string; role: Role }[]>;
  securityInfo(): {
    password_policy: PublicPasswordPolicy;
    tokens: { access_token_ttl_seconds: number; refresh_token_ttl_seconds: number; refresh_rotation: true; algorithm: string };
    lockout_policy: { threshold: number; window_seconds: number; duration_seconds: number };
    emergency_mode: boolean;
  };
}

/** What the login flow asks of the protection capability. */
export interface LoginGuard {
  lockout: Pick<LockoutService, 'begin' | 'failed' | 'succeeded' | 'policy'>;
  emergency: { enabled(): boolean; accessTtlMs: number };
}

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export function createAuthService(deps: {
  users: UserRepository;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  tokens: TokenService;
  events: SecurityEvents;
  clock: Clock;
  refreshTtlMs: number;
  algorithm: string;
  onError: (e: unknown) => void;
  /** Brute-force defence and emergency mode (protection capability). */
  guard: LoginGuard;
}): AuthService {
  const { users, hasher, policy, tokens, events, clock, guard } = deps;

  async function issue(user: User, sid: string, refreshToken: string): Promise<IssuedTokens> {
    // Emergency mode: short-lived access tokens, so a later revocation bites fast.
    const ttlMs = guard.emergency.enabled() ? Math.min(guard.emergency.accessTtlMs, tokens.accessTtlSeconds * 1000) : undefined;
    const access = await tokens.issueAccess(user, sid, ttlMs);
    return { access_token: access.token, token_type: 'Bearer', expires_in: ttlMs === undefined ? tokens.accessTtlSeconds : Math.floor(ttlMs / 1000), refresh_token: refreshToken };
  }

  const emergencyRefusal = () => new AppError('emergency_mode', 'Emergency mode is on: only administrators may sign in');

  async function createUser(input: { email: string; password: string; name?: string | null; role: Role }, ctx: RequestContext): Promise<User> {
    const email = normaliseEmail(input.email);
    const problems = policy.check(input.password, { email, name: input.name ?? null }, '/password');
    if (problems.length > 0) throw new AppError('weak_password', problems[0]!.detail, { errors: problems });
    const now = clock.now();
    const user: User = {
      id: newId(),
      email,
      name: input.name ?? null,
      password_hash: await hasher.hash(input.password),
      role: input.role,
      created_at: now,
      updated_at: now,
      password_changed_at: now,
      last_login_at: null,
      disabled_at: null,
      locked_until: null,
    };
    if (!(await users.create(user))) throw new AppError('email_taken', 'An account with this email already exists');
    events.emit('REGISTERED', { ...ctx, user_id: user.id }, { email });
    return user;
  }

  const invalidCredentials = () => new AppError('invalid_credentials', 'Email or password is incorrect');

  return {
    async register(input, ctx) {
      if (guard.emergency.enabled()) throw new AppError('registration_closed', 'Registration is closed while emergency mode is on');
      return createUser({ ...input, role: 'user' }, ctx);
    },
    createUser,

    async login({ email: rawEmail, password }, ctx) {
      const email = normaliseEmail(rawEmail);
      const user = await users.findByEmail(email);
      if (!user) {
        // Same work, same answer as a wrong password: no user enumeration by status, body or time.
        await hasher.verifyDummy(password);
        events.emit('LOGIN_FAILED', ctx, { email, reason: 'unknown_email' });
        throw invalidCredentials();
      }
      const userCtx = { ...ctx, user_id: user.id };
      // The ticket is taken before the password is checked: parallel guesses cannot outrun the lock.
      const attempt = await guard.lockout.begin(user);
      if (!attempt.ok) {
        // Locked: the same work and the same answer as a wrong password (no lock oracle).
        await hasher.verifyDummy(password);
        events.emit('LOGIN_FAILED', userCtx, { email, reason: 'locked' });
        throw invalidCredentials();
      }
      const valid = await hasher.verify(user.password_hash, password);
      if (!valid || user.disabled_at !== null) {
        events.emit('LOGIN_FAILED', userCtx, { email, reason: valid ? 'disabled' : 'wrong_password' });
        await (valid ? guard.lockout.succeeded(user, userCtx) : guard.lockout.failed(user, userCtx));
        throw invalidCredentials();
      }
      await guard.lockout.succeeded(user, userCtx);
      if (guard.emergency.enabled() && user.role !== 'admin') {
        events.emit('LOGIN_FAILED', userCtx, { email, reason: 'emergency_mode' });
        throw emergencyRefusal();
      }
      if (hasher.needsRehash(user.password_hash)) {
        // Parameters changed since this hash was made: upgrade it now that we know the password.
        hasher
          .hash(password)
          .then((h) => users.setPasswordHash(user.id, h, clock.now(), false))
          .catch(deps.onError);
      }
      const session = await tokens.refresh.issue(user.id, ctx);
      await users.recordLogin(user.id, clock.now());
      events.emit('LOGIN_SUCCEEDED', userCtx, { email });
      return issue(user, session.record.family_id, session.token);
    },

    async refresh(refreshToken, ctx) {
      if (guard.emergency.enabled()) {
        // Refused before rotation: a spent token would look like reuse when retried afterwards.
        const record = await tokens.refresh.find(refreshToken);
        const live = record && record.revoked_at === null && record.expires_at > clock.now();
        const owner = live ? await users.findById(record.user_id) : undefined;
        if (owner && owner.role !== 'admin') throw emergencyRefusal();
      }
      const result = await tokens.refresh.rotate(refreshToken, ctx);
      if (!result.ok) {
        if (result.reason === 'reused' && result.record) {
          await tokens.revokeSession(result.record.family_id, 'refresh_token_reuse');
          events.emit('REFRESH_REUSE_DETECTED', { ...ctx, user_id: result.record.user_id }, { family_id: result.record.family_id });
        }
        throw new AppError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked');
      }
      const { record } = result;
      const user = await users.findById(record.user_id);
      if (!user || user.disabled_at !== null) {
        await tokens.revokeSession(record.family_id, 'user_disabled');
        throw new AppError('invalid_refresh_token', 'The refresh token is invalid, expired or revoked');
      }
      events.emit('TOKEN_REFRESHED', { ...ctx, user_id: user.id }, { family_id: record.family_id, graced: result.graced });
      return issue(user, record.family_id, result.token);
    },

    async logout(principal, ctx) {
      await tokens.revokeAccessToken({ jti: principal.jti, sub: principal.userId, exp: principal.exp }, 'logout');
      await tokens.revokeSession(principal.sid, 'logout');
      events.emit('LOGOUT', { ...ctx, user_id: principal.userId }, { all: false, sessions: 1 });
    },

    async logoutAll(principal, ctx) {
      await tokens.revokeAccessToken({ jti: principal.jti, sub: principal.userId, exp: principal.exp }, 'logout_all');
      const sessions = await tokens.revokeUserSessions(principal.userId, 'logout_all');
      events.emit('LOGOUT', { ...ctx, user_id: principal.userId }, { all: true, sessions });
      return sessions;
    },

    async me(principal) {
      const user = await users.findProfile(principal.userId);
      if (!user || user.disabled_at !== null) throw new AppError('invalid_token', 'The account no longer exists or is disabled');
      return user;
    },

    async changePassword(principal, { current_password, new_password }, ctx) {
      const user = await users.findById(principal.userId);
      if (!user || user.disabled_at !== null) throw new AppError('invalid_token', 'The account no longer exists or is disabled');
      if (!(await hasher.verify(user.password_hash, current_password))) {
        throw new AppError('invalid_current_password', 'The current password is incorrect', { errors: [{ pointer: '/current_password', detail: 'is incorrect' }] });
      }
      const problems = policy.check(new_password, { email: user.email, name: user.name }, '/new_password');
      if (new_password === current_password) problems.push({ pointer: '/new_password', detail: 'must differ from the current password' });
      if (problems.length > 0) throw new AppError('weak_password', problems[0]!.detail, { errors: problems });
      await users.setPasswordHash(user.id, await hasher.hash(new_password), clock.now(), true);
      const revoked = await tokens.revokeUserSessions(user.id, 'password_changed', principal.sid);
      events.emit('PASSWORD_CHANGED', { ...ctx, user_id: user.id }, { sessions_revoked: revoked });
      return revoked;
    },

    async introspect(token, hint) {
      const asAccess = async (): Promise<Introspection | undefined> => {
        const check = await tokens.verifyAccess(token);
        if (!check.ok) return undefined;
        const c: AccessClaims = check.claims;
        const user = await users.findById(c.sub);
        if (!user || user.disabled_at !== null) return undefined;
        return { active: true, token_type: 'access_token', sub: c.sub, exp: c.exp, iat: c.iat, iss: c.iss, aud: c.aud, jti: c.jti, sid: c.sid, roles: c.roles, username: user.email };
      };
      const asRefresh = async (): Promise<Introspection | undefined> => {
        const r = await tokens.refresh.find(token);
        if (!r || r.rotated_at !== null || r.revoked_at !== null || r.expires_at <= clock.now()) return undefined;
        return { active: true, token_type: 'refresh_token', sub: r.user_id, exp: Math.floor(r.expires_at / 1000), iat: Math.floor(r.created_at / 1000), sid: r.family_id };
      };
      const order = hint === 'refresh_token' ? [asRefresh, asAccess] : [asAccess, asRefresh];
      for (const attempt of order) {
        const found = await attempt();
        if (found) return found;
      }
      return { active: false };
    },

    async ensureDefaultUsers() {
      if ((await users.count()) > 0) return [];
      const created: { email: string; password: string; role: Role }[] = [];
      for (const [email, role] of [['admin@vigil.local', 'admin'], ['user@vigil.local', 'user']] as const) {
        const password = randomToken(18);
        await createUser({ email, password, role, name: role === 'admin' ? 'Default admin' : 'Default user' }, {});
        created.push({ email, password, role });
      }
      return created;
    },

    securityInfo: () => ({
      password_policy: policy.describe(),
      tokens: {
        access_token_ttl_seconds: tokens.accessTtlSeconds,
        refresh_token_ttl_seconds: Math.floor(deps.refreshTtlMs / 1000),
        refresh_rotation: true,
        algorithm: deps.algorithm,
      },
      lockout_policy: guard.lockout.policy(),
      emergency_mode: guard.emergency.enabled(),
    }),
  };
}

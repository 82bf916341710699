import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from '../http/nullable.js';

// Printable text only: no control characters in names.
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f]*$';

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'Email address (case-insensitive)' });
// The policy (length 12–128, strength) is checked by the service so its message is precise;
// the schema only bounds the size of what is parsed.
const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const RegisterBody = Type.Object(
  { email: Email, password: Password, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: NO_CONTROL })) },
  { additionalProperties: false },
);
export const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });
export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export const PasswordBody = Type.Object({ current_password: Password, new_password: Password }, { additionalProperties: false });
export const IntrospectBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 8192 }),
    token_type_hint: Type.Optional(Type.Union([Type.Literal('access_token'), Type.Literal('refresh_token')])),
  },
  { additionalProperties: false },
);

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  refresh_token: Type.String({ description: 'Opaque; rotated on every use' }),
});

export const UserResponse = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Nullable(Type.String()),
  role: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
  last_login_at: Nullable(Type.String({ format: 'date-time' })),
});

export const IntrospectionResponse = Type.Object({
  active: Type.Boolean(),
  token_type: Type.Optional(Type.String()),
  sub: Type.Optional(Type.String()),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  iss: Type.Optional(Type.String()),
  aud: Type.Optional(Type.String()),
  jti: Type.Optional(Type.String()),
  sid: Type.Optional(Type.String()),
  roles: Type.Optional(Type.Array(Type.String())),
  username: Type.Optional(Type.String()),
});

export const SecurityInfoResponse = Type.Object({
  password_policy: Type.Object({
    min_length: Type.Integer(),
    max_length: Type.Integer(),
    min_strength: Type.Integer(),
    composition_rules: Type.Boolean(),
    rejects: Type.Array(Type.String()),
  }),
  tokens: Type.Object({
    access_token_ttl_seconds: Type.Integer(),
    refresh_token_ttl_seconds: Type.Integer(),
    refresh_rotation: Type.Boolean(),
    algorithm: Type.String(),
  }),
  lockout_policy: Type.Object({
    threshold: Type.Integer({ description: 'Failed logins within the window that lock an account' }),
    window_seconds: Type.Integer(),
    duration_seconds: Type.Integer({ description: 'How long a lock lasts' }),
  }),
  emergency_mode: Type.Boolean({ description: 'Registration closed and sign-in limited to administrators' }),
});

export type RegisterBody = Static<typeof RegisterBody>;

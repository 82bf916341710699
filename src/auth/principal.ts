/** Who is calling: a signed-in user (by access token) or an API key. */
export type Principal =
  | { kind: 'user'; userId: string; roles: string[]; sid: string; jti: string; exp: number }
  | { kind: 'api_key'; keyId: string | null; name: string; scope: 'public' | 'admin' };

export const isAdmin = (p: Principal | undefined): boolean =>
  p !== undefined && (p.kind === 'user' ? p.roles.includes('admin') : p.scope === 'admin');

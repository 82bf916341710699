/** Keys whose values are never sent anywhere outside the process (error tracking). */
const SECRET_KEY = /pass(word)?|passwd|token|secret|authori[sz]ation|cookie|api[-_]?key|x-api-key|dsn|credential|private[-_]?key|session|^email$|e-mail/i;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9\-_.~+/]+=*/gi;
/** A JWT (three base64url parts, the first a JSON header). */
const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** Vigil's API keys. */
const VIGIL_SECRET = /\bvgl_[A-Za-z0-9_-]{8,}/g;
const URL_CREDENTIALS = /(\/\/[^/\s:@]*:)[^@\s/]*@/g;
/** `password=…`, `token: …` written inside a message. */
const INLINE_SECRET = /\b(password|passwd|token|secret|api[-_]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi;

export const REDACTED = '[REDACTED]';

/** A string with emails, bearer/basic credentials, JWTs, Vigil API keys, `password=…` pairs and URL passwords replaced. */
export function scrubText(text: string): string {
  return text
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(VIGIL_SECRET, REDACTED)
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(INLINE_SECRET, `$1$2${REDACTED}`)
    .replace(EMAIL, '[email]');
}

/**
 * A deep copy of `value` safe to send to a third party: values under secret-looking keys
 * (password, token, authorization, cookie, api key, email, …) are replaced and every string is
 * passed through `scrubText`. Cycles and depth beyond 12 are cut.
 */
export function scrubDeep<T>(value: T): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrubText(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v) || depth > 12) return '[…]';
    seen.add(v);
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(v)) {
      out[key] = SECRET_KEY.test(key) && inner !== null && inner !== undefined && typeof inner !== 'boolean' ? REDACTED : walk(inner, depth + 1);
    }
    return out;
  };
  return walk(value, 0) as T;
}

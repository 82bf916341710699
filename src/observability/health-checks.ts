/** The outcome of one dependency check. */
export type CheckStatus = 'ok' | 'error' | 'timeout';

export interface CheckResult<T = undefined> {
  status: CheckStatus;
  latency_ms: number;
  /** What the check returned (`ok` only). */
  value?: T;
  /** Why it failed (`error` only): the error's message, credentials in URLs removed, at most 200 characters. */
  error?: string;
}

/**
 * Runs `check` and waits at most `timeoutMs` for it. A check that does not settle in time is
 * reported as `timeout` and left to finish (or not) on its own: the caller is never held longer.
 * Never rejects.
 */
export async function timedCheck<T>(check: () => Promise<T>, timeoutMs: number): Promise<CheckResult<T>> {
  const begin = performance.now();
  const latency = () => Math.round((performance.now() - begin) * 100) / 100;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([
      Promise.resolve()
        .then(check)
        .then((value) => ({ value })),
      timedOut,
    ]);
    if (outcome === 'timeout') return { status: 'timeout', latency_ms: latency() };
    return { status: 'ok', latency_ms: latency(), value: outcome.value };
  } catch (e) {
    return { status: 'error', latency_ms: latency(), error: errorText(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** An error's message for an operator: one line, no `user:password@` of a URL, bounded. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message || e.name : String(e);
  return text
    .replace(/(\/\/[^/\s:@]*:)[^@\s]*@/g, '$1******@')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

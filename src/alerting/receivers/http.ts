import { DeliveryError } from './types.js';

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * POSTs JSON. 2xx is success; 408, 429 and 5xx (and network errors) are retryable, honouring
 * Retry-After; other statuses are not. Messages name the receiver and the status, never the URL
 * (webhook URLs carry tokens).
 */
export async function postJson(receiver: string, url: string, body: unknown, options: { signal: AbortSignal; headers?: Record<string, string> }): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil-alerting', ...options.headers },
      body: JSON.stringify(body),
      signal: options.signal,
      redirect: 'error',
    });
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new DeliveryError(`${receiver}: request failed (${code})`, true);
  }
  // The body is not needed; read it so the connection can be reused.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new DeliveryError(`${receiver}: HTTP ${response.status}`, retryable, retryAfterMs(response.headers.get('retry-after')));
}

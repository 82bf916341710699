import type { KeyValueStore } from '../storage/kv/ports.js';

/**
 * Keeps state cached in this process in step with the other instances: `reload` runs on every
 * message on `channel`, when the store comes back up (messages published while it was away were
 * missed), and every `intervalMs` (a change made without the store, e.g. by the CLI). Resolves to
 * the function that stops all three.
 */
export async function keepReloaded(kv: KeyValueStore, channel: string, reload: () => void, intervalMs: number): Promise<() => Promise<void>> {
  const unsubscribe = await kv.subscribe(channel, () => reload());
  kv.onStatusChange((status) => {
    if (status === 'up') reload();
  });
  const timer = setInterval(reload, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await unsubscribe();
  };
}

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { stream, type LiveKind, type LiveMessage, type StreamState } from './stream';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

const asApiError = (e: unknown) => (e instanceof ApiError ? e : new ApiError(0, 'client', e instanceof Error ? e.message : String(e)));

/** Loads data on mount (and when deps change); reload() fetches again, keeping the old data meanwhile. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    loader.current().then(
      (d) => {
        if (mine !== generation.current) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        setError(asApiError(e));
        setLoading(false);
      },
    );
  }, []);
  useEffect(() => {
    reload();
    return () => void generation.current++;
  }, deps);
  // The stream's history was lost (reset): every list reloads.
  useEffect(() => stream.onReset(reload), [reload]);
  return { data, error, loading, reload };
}

/** Calls fn for each live message of a kind while the component is mounted. */
export function useLive<T = Record<string, unknown>>(kind: LiveKind, fn: (m: LiveMessage<T>) => void): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => stream.on(kind, (m) => ref.current(m as LiveMessage<T>)), [kind]);
}

export function useStreamState(): StreamState {
  const [s, set] = useState(stream.state());
  useEffect(() => stream.onState(set), []);
  return s;
}

/** An action (a button's click): running state, the error, and a message once done. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const run = useCallback(async (fn: () => Promise<string | void>) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const message = await fn();
      if (message) setDone(message);
      return true;
    } catch (e) {
      setError(asApiError(e));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run };
}

/** Runs fn at most once per `ms`, trailing: bursts of live messages cause one reload. */
export function useThrottled(fn: () => void, ms = 500): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      ref.current();
    }, ms);
  }, [ms]);
}

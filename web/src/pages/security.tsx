import { useEffect, useState } from 'preact/hooks';
import { admin, del, get, post, put } from '../api';
import { useAction, useLive, useLoad, useThrottled } from '../hooks';
import { Badge, Confirm, DoneNote, Empty, ErrorNote, Loading, Panel, Time, fmt } from '../ui';

export interface SecurityEvent {
  id?: number;
  type: string;
  severity: string;
  time: string;
  ip: string | null;
  user_id: string | null;
  details: Record<string, unknown>;
}
interface Block {
  id: string;
  target: string;
  reason: string;
  source: string;
  offence: number;
  created_at: string;
  expires_at: string | null;
  created_by: string | null;
}
interface Locked {
  user_id: string;
  email: string;
  locked_until: string;
}
interface Emergency {
  enabled: boolean;
  source: string | null;
  since: string | null;
  by: string | null;
  access_token_ttl_seconds: number;
}

const LIVE_MAX = 100;
/** Events that change the blocks, the locked accounts or emergency mode: those lists reload. */
const CHANGES = new Set(['IP_BLOCKED', 'IP_UNBLOCKED', 'ACCOUNT_LOCKED', 'ACCOUNT_UNLOCKED', 'EMERGENCY_MODE_CHANGED']);
/** What makes an address an offender. */
const OFFENCES = ['LOGIN_FAILED', 'RATE_LIMITED', 'API_KEY_REJECTED', 'SUSPICIOUS_ACTIVITY', 'IP_BLOCKED', 'REFRESH_REUSE_DETECTED'];

const summary = (d: Record<string, unknown>) =>
  Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${k === 'until' && typeof v === 'number' ? new Date(v).toLocaleString() : String(v)}`)
    .join(', ');

export function EventRow({ e }: { e: SecurityEvent }) {
  return (
    <li class={`event sev-${e.severity}`}>
      <Time at={e.time} /> <Badge value={e.severity} /> <strong>{e.type}</strong>
      {e.ip && <span class="mono"> {e.ip}</span>}
      <span class="muted"> {summary(e.details)}</span>
    </li>
  );
}

function LiveEvents() {
  const initial = useLoad(() => get<{ events: SecurityEvent[] }>(admin('/security-events?limit=50')));
  const [live, setLive] = useState<SecurityEvent[]>([]);
  const [paused, setPaused] = useState(false);
  useLive<SecurityEvent>('security_event', (m) => {
    if (!paused) setLive((list) => [m.data, ...list].slice(0, LIVE_MAX));
  });
  const events = [...live, ...(initial.data?.events ?? [])].slice(0, LIVE_MAX);
  return (
    <Panel
      title="Live security events"
      actions={
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      }
    >
      <ErrorNote error={initial.error} />
      {initial.loading && !initial.data && <Loading what="events" />}
      {initial.data && events.length === 0 && <Empty text="No security events yet." />}
      <ol class="events" aria-live={paused ? 'off' : 'polite'} aria-relevant="additions" data-testid="live-events">
        {events.map((e, i) => <EventRow key={`${e.time}-${e.type}-${i}`} e={e} />)}
      </ol>
    </Panel>
  );
}

function Blocks({ reloadSignal }: { reloadSignal: number }) {
  const blocks = useLoad(() => get<{ blocks: Block[] }>(admin('/ip-blocks')), [reloadSignal]);
  const action = useAction();
  const [target, setTarget] = useState('');
  const [duration, setDuration] = useState('24h');
  const [reason, setReason] = useState('');
  return (
    <Panel title="Blocked IPs">
      <ErrorNote error={blocks.error ?? action.error} />
      <DoneNote text={action.done} />
      {blocks.data && blocks.data.blocks.length === 0 && <Empty text="No address is blocked." />}
      {blocks.data && blocks.data.blocks.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr><th scope="col">Address</th><th scope="col">Reason</th><th scope="col">Source</th><th scope="col">Until</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {blocks.data.blocks.map((b) => (
                <tr key={b.id}>
                  <th scope="row" class="mono">{b.target}</th>
                  <td>{b.reason}</td>
                  <td>{b.source}{b.offence > 1 ? ` (offence ${b.offence})` : ''}</td>
                  <td>{b.expires_at ? <Time at={b.expires_at} /> : 'until lifted'}</td>
                  <td>
                    <button type="button" disabled={action.busy} aria-label={`Unblock ${b.target}`}
                      onClick={() => void action.run(async () => {
                        await del(admin(`/ip-blocks/${encodeURIComponent(b.target)}`));
                        blocks.reload();
                        return `Unblocked ${b.target}.`;
                      })}>
                      Unblock
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <details>
        <summary>Block an address</summary>
        <form class="inline-form" onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            await post(admin('/ip-blocks'), { target, duration: duration || undefined, reason });
            blocks.reload();
            setTarget('');
            setReason('');
            return `Blocked ${target}.`;
          });
        }}>
          <label>IP or CIDR<input required value={target} onInput={(e) => setTarget(e.currentTarget.value)} placeholder="203.0.113.7" /></label>
          <label>Duration<input value={duration} onInput={(e) => setDuration(e.currentTarget.value)} placeholder="24h" /></label>
          <label>Reason<input required value={reason} onInput={(e) => setReason(e.currentTarget.value)} /></label>
          <button type="submit" disabled={action.busy}>Block</button>
        </form>
      </details>
    </Panel>
  );
}

function LockedAccounts({ reloadSignal }: { reloadSignal: number }) {
  const locked = useLoad(() => get<{ accounts: Locked[] }>(admin('/locked-accounts')), [reloadSignal]);
  const action = useAction();
  return (
    <Panel title="Locked accounts">
      <ErrorNote error={locked.error ?? action.error} />
      <DoneNote text={action.done} />
      {locked.data && locked.data.accounts.length === 0 && <Empty text="No account is locked." />}
      {locked.data && locked.data.accounts.length > 0 && (
        <ul class="rows">
          {locked.data.accounts.map((a) => (
            <li key={a.user_id}>
              <span>{a.email} <span class="muted">until <Time at={a.locked_until} /></span></span>
              <button type="button" disabled={action.busy} aria-label={`Unlock ${a.email}`}
                onClick={() => void action.run(async () => {
                  await del(admin(`/locked-accounts/${encodeURIComponent(a.user_id)}`));
                  locked.reload();
                  return `Unlocked ${a.email}.`;
                })}>
                Unlock
              </button>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

function TopOffenders({ reloadSignal }: { reloadSignal: number }) {
  const since = new Date(Date.now() - 86_400_000).toISOString();
  const events = useLoad(() => get<{ events: SecurityEvent[] }>(admin(`/security-events?type=${OFFENCES.join(',')}&since=${encodeURIComponent(since)}&limit=500`)), [reloadSignal]);
  // The log is written in batches: offences seen live since the last load count until the next one.
  const [live, setLive] = useState<SecurityEvent[]>([]);
  useEffect(() => setLive([]), [events.data]);
  useLive<SecurityEvent>('security_event', (m) => {
    if (OFFENCES.includes(m.data.type)) setLive((l) => [...l, m.data]);
  });
  const counts = new Map<string, { n: number; types: Set<string> }>();
  for (const e of [...(events.data?.events ?? []), ...live]) {
    if (!e.ip) continue;
    const c = counts.get(e.ip) ?? { n: 0, types: new Set<string>() };
    c.n++;
    c.types.add(e.type);
    counts.set(e.ip, c);
  }
  const top = [...counts.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, 10);
  return (
    <Panel title="Top offending IPs (24 h)">
      <ErrorNote error={events.error} />
      {events.data && top.length === 0 && <Empty text="No failed logins, rate limiting or rejected keys in the last 24 hours." />}
      {top.length > 0 && (
        <table>
          <thead>
            <tr><th scope="col">Address</th><th scope="col">Events</th><th scope="col">Kinds</th></tr>
          </thead>
          <tbody>
            {top.map(([ip, c]) => (
              <tr key={ip}>
                <th scope="row" class="mono">{ip}</th>
                <td>{fmt.num(c.n)}</td>
                <td class="muted">{[...c.types].join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function EmergencySwitch({ reloadSignal }: { reloadSignal: number }) {
  const state = useLoad(() => get<Emergency>(admin('/emergency')), [reloadSignal]);
  const action = useAction();
  const [asking, setAsking] = useState(false);
  const [revoke, setRevoke] = useState(false);
  const on = state.data?.enabled ?? false;
  return (
    <Panel title="Emergency mode">
      <ErrorNote error={state.error ?? action.error} />
      <DoneNote text={action.done} />
      {state.data && (
        <>
          <p>
            Emergency auth mode is <Badge value={on ? 'on' : 'off'} kind={on ? 'critical' : 'ok'} />
            {on && state.data.since && <span class="muted"> since <Time at={state.data.since} /> ({state.data.source}{state.data.by ? `, ${state.data.by}` : ''})</span>}
          </p>
          <p class="muted">
            While on: registration is closed, only administrators may sign in, and access tokens last {state.data.access_token_ttl_seconds} s.
          </p>
          <button type="button" class={on ? 'primary' : 'danger'} disabled={action.busy} onClick={() => { setRevoke(false); setAsking(true); }}>
            {on ? 'Turn emergency mode off…' : 'Turn emergency mode on…'}
          </button>
        </>
      )}
      <Confirm
        open={asking}
        title={on ? 'Turn emergency mode off?' : 'Turn emergency mode on?'}
        confirmLabel={on ? 'Turn off' : 'Turn on'}
        danger={!on}
        onClose={(yes) => {
          setAsking(false);
          if (!yes) return;
          void action.run(async () => {
            await put(admin('/emergency'), on ? { enabled: false } : { enabled: true, revoke_sessions: revoke });
            state.reload();
            return on ? 'Emergency mode is off.' : 'Emergency mode is on.';
          });
        }}
      >
        {on ? (
          <p>Registration reopens and every user may sign in again.</p>
        ) : (
          <>
            <p>Registration closes, only administrators can sign in, and new access tokens are short-lived.</p>
            <label class="check">
              <input type="checkbox" checked={revoke} onChange={(e) => setRevoke(e.currentTarget.checked)} />
              Also sign out every session but this one
            </label>
          </>
        )}
      </Confirm>
    </Panel>
  );
}

export function SecurityPage() {
  // Live events that change the lists below reload them, throttled so that an attack's burst of
  // events costs a few requests (the operator's own address has a rate limit too).
  const [changed, setChanged] = useState(0);
  const [offended, setOffended] = useState(0);
  const bumpChanged = useThrottled(() => setChanged((n) => n + 1), 1000);
  const bumpOffended = useThrottled(() => setOffended((n) => n + 1), 10_000);
  useLive<SecurityEvent>('security_event', (m) => {
    if (CHANGES.has(m.data.type)) bumpChanged();
    if (OFFENCES.includes(m.data.type)) bumpOffended();
  });
  return (
    <div class="grid">
      <LiveEvents />
      <Blocks reloadSignal={changed} />
      <LockedAccounts reloadSignal={changed} />
      <EmergencySwitch reloadSignal={changed} />
      <TopOffenders reloadSignal={offended} />
    </div>
  );
}

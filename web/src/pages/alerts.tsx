import { useState } from 'preact/hooks';
import { admin, del, get, post } from '../api';
import { useAction, useLive, useLoad, useThrottled } from '../hooks';
import { Badge, DoneNote, Empty, ErrorNote, Loading, Panel, Time } from '../ui';

interface Alert {
  fingerprint: string;
  rule: string;
  state: string;
  severity: string;
  category: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: number;
  active_at: string;
  fired_at: string | null;
  muted: string | null;
}
interface Silence {
  id: string;
  matchers: string[];
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
}

function AlertList({ alerts, state, onSilence }: { alerts: Alert[]; state: string; onSilence: (a: Alert) => void }) {
  const list = alerts.filter((a) => a.state === state);
  if (list.length === 0) return <Empty text={state === 'firing' ? 'Nothing is firing.' : 'Nothing is pending.'} />;
  return (
    <ul class="cards">
      {list.map((a) => (
        <li key={a.fingerprint} class={`card sev-${a.severity}`}>
          <div class="card-head">
            <strong>{a.rule}</strong> <Badge value={a.severity} /> <Badge value={a.category} kind="category" />
            {a.muted && <Badge value={`muted: ${a.muted}`} kind="muted" />}
          </div>
          <p>{a.annotations.summary ?? ''}</p>
          <p class="muted">
            value {Math.round(a.value * 1000) / 1000} · active <Time at={a.active_at} />
            {a.fired_at && <> · fired <Time at={a.fired_at} /></>}
            {a.annotations.runbook_url && <> · <a href={a.annotations.runbook_url} target="_blank" rel="noopener noreferrer">runbook</a></>}
          </p>
          <button type="button" onClick={() => onSilence(a)} aria-label={`Silence ${a.rule}`}>Silence…</button>
        </li>
      ))}
    </ul>
  );
}

export function AlertsPage() {
  const alerts = useLoad(() => get<{ alerts: Alert[] }>(admin('/alerts')));
  const silences = useLoad(() => get<{ silences: Silence[] }>(admin('/alerts/silences')));
  const reload = useThrottled(() => {
    alerts.reload();
    silences.reload();
  }, 1000);
  useLive('alert', reload);
  const action = useAction();
  const [matchers, setMatchers] = useState('');
  const [duration, setDuration] = useState('2h');
  const [comment, setComment] = useState('');

  const prefill = (a: Alert) => {
    setMatchers(`alertname=${a.labels.alertname ?? a.rule}`);
    document.getElementById('silence-matchers')?.focus();
  };

  return (
    <div class="grid">
      <Panel title="Firing" actions={<button type="button" onClick={alerts.reload}>Refresh</button>}>
        <ErrorNote error={alerts.error} />
        {alerts.loading && !alerts.data && <Loading what="alerts" />}
        {alerts.data && <AlertList alerts={alerts.data.alerts} state="firing" onSilence={prefill} />}
      </Panel>
      <Panel title="Pending">
        {alerts.data && <AlertList alerts={alerts.data.alerts} state="pending" onSilence={prefill} />}
      </Panel>
      <Panel title="Silences">
        <ErrorNote error={silences.error ?? action.error} />
        <DoneNote text={action.done} />
        {silences.data && silences.data.silences.length === 0 && <Empty text="No silence in force." />}
        {silences.data && silences.data.silences.length > 0 && (
          <ul class="rows">
            {silences.data.silences.map((s) => (
              <li key={s.id}>
                <span>
                  <span class="mono">{s.matchers.join(', ')}</span>
                  <span class="muted"> — {s.comment} · by {s.created_by} · ends <Time at={s.ends_at} /></span>
                </span>
                <button type="button" disabled={action.busy} aria-label={`Expire silence ${s.matchers.join(', ')}`}
                  onClick={() => void action.run(async () => {
                    await del(admin(`/alerts/silences/${encodeURIComponent(s.id)}`));
                    silences.reload();
                    alerts.reload();
                    return 'Silence expired.';
                  })}>
                  Expire
                </button>
              </li>
            ))}
          </ul>
        )}
        <form class="stack-form" onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const list = matchers.split(/\n|,(?=\s*[A-Za-z_]+\s*(?:=|!=|=~|!~))/).map((m) => m.trim()).filter(Boolean);
            await post(admin('/alerts/silences'), { matchers: list, duration, comment });
            setMatchers('');
            setComment('');
            silences.reload();
            alerts.reload();
            return 'Silence created.';
          });
        }}>
          <h3>New silence</h3>
          <label for="silence-matchers">Matchers <span class="muted">(one per line: alertname=HighErrorRate, severity!=critical)</span></label>
          <textarea id="silence-matchers" required rows={2} value={matchers} onInput={(e) => setMatchers(e.currentTarget.value)} />
          <label for="silence-duration">Duration</label>
          <input id="silence-duration" required value={duration} onInput={(e) => setDuration(e.currentTarget.value)} placeholder="2h" />
          <label for="silence-comment">Comment</label>
          <input id="silence-comment" required value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={action.busy}>Create silence</button>
        </form>
      </Panel>
    </div>
  );
}

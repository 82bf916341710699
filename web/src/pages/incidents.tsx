import { useState } from 'preact/hooks';
import { admin, get, post, put } from '../api';
import { useAction, useLive, useLoad, useThrottled } from '../hooks';
import { Badge, DoneNote, Empty, ErrorNote, Link, Loading, Panel, Time } from '../ui';

interface Incident {
  id: string;
  title: string;
  severity: string;
  status: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  escalations: number;
  public_title?: string | null;
}
interface Detail extends Incident {
  timeline: { at: string; kind: string; actor: string | null; text: string }[];
}

const STATUSES = ['', 'open', 'acknowledged', 'resolved', 'closed'] as const;

function IncidentList() {
  const [status, setStatus] = useState('');
  const list = useLoad(() => get<{ incidents: Incident[] }>(admin(`/incidents?limit=100${status ? `&status=${status}` : ''}`)), [status]);
  useLive('incident', useThrottled(list.reload, 1000));
  return (
    <Panel
      title="Incidents"
      actions={
        <label class="inline">
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            {STATUSES.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
          </select>
        </label>
      }
    >
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <Loading what="incidents" />}
      {list.data && list.data.incidents.length === 0 && <Empty text="No incidents." />}
      {list.data && list.data.incidents.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr><th scope="col">Incident</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col">Opened</th></tr>
            </thead>
            <tbody>
              {list.data.incidents.map((i) => (
                <tr key={i.id}>
                  <th scope="row"><Link to={`incidents/${i.id}`}>{i.title}</Link></th>
                  <td><Badge value={i.severity} /></td>
                  <td><Badge value={i.status} /></td>
                  <td><Time at={i.created_at} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

function Postmortem({ id, onDone }: { id: string; onDone: () => void }) {
  const action = useAction();
  const [f, setF] = useState({ summary: '', impact: '', root_cause: '', contributing_factors: '', resolution: '', action_items: '' });
  const field = (name: keyof typeof f, label: string, hint?: string) => (
    <>
      <label for={`pm-${name}`}>{label}{hint && <span class="muted"> ({hint})</span>}</label>
      <textarea id={`pm-${name}`} rows={2} required={!hint} value={f[name]} onInput={(e) => setF({ ...f, [name]: e.currentTarget.value })} />
    </>
  );
  return (
    <form class="stack-form" onSubmit={(e) => {
      e.preventDefault();
      void action.run(async () => {
        await post(admin(`/incidents/${id}/close`), {
          postmortem: { summary: f.summary, impact: f.impact, root_cause: f.root_cause, resolution: f.resolution, contributing_factors: lines(f.contributing_factors), action_items: lines(f.action_items) },
        });
        onDone();
        return 'Closed with its postmortem.';
      });
    }}>
      <p class="muted">Write the postmortem, then close the incident with it.</p>
      {field('summary', 'Summary')}
      {field('impact', 'Impact')}
      {field('root_cause', 'Root cause')}
      {field('contributing_factors', 'Contributing factors', 'one per line, optional')}
      {field('resolution', 'Resolution')}
      {field('action_items', 'Action items', 'one per line, optional')}
      <ErrorNote error={action.error} />
      <DoneNote text={action.done} />
      <button type="submit" class="primary" disabled={action.busy}>Close incident</button>
    </form>
  );
}

function IncidentDetail({ id }: { id: string }) {
  const detail = useLoad(() => get<Detail>(admin(`/incidents/${encodeURIComponent(id)}`)), [id]);
  const reload = useThrottled(detail.reload, 500);
  useLive<{ id: string }>('incident', (m) => {
    if (m.data.id === id) reload();
  });
  const action = useAction();
  const [note, setNote] = useState('');
  const [publicText, setPublicText] = useState('');
  const i = detail.data;
  const act = (label: string, path: string, body: unknown = {}) =>
    action.run(async () => {
      await post(admin(`/incidents/${id}/${path}`), body);
      detail.reload();
      return label;
    });

  return (
    <>
      <p><Link to="incidents">← All incidents</Link></p>
      <ErrorNote error={detail.error} />
      {detail.loading && !i && <Loading what="the incident" />}
      {i && (
        <div class="grid">
          <Panel title={i.title} id="incident-title">
            <p>
              <Badge value={i.severity} /> <Badge value={i.status} /> opened <Time at={i.created_at} />
              {i.acknowledged_at && <> · acknowledged <Time at={i.acknowledged_at} /> by {i.acknowledged_by}</>}
              {i.resolved_at && <> · resolved <Time at={i.resolved_at} /></>}
              {i.escalations > 0 && <> · escalated {i.escalations}×</>}
            </p>
            <ErrorNote error={action.error} />
            <DoneNote text={action.done} />
            <div class="buttons">
              {i.status === 'open' && <button type="button" class="primary" disabled={action.busy} onClick={() => void act('Acknowledged.', 'ack')}>Acknowledge</button>}
              {(i.status === 'open' || i.status === 'acknowledged') && (
                <button type="button" disabled={action.busy} onClick={() => void act('Resolved.', 'resolve', note.trim() ? { text: note.trim() } : {}).then((ok) => ok && setNote(''))}>
                  Resolve{note.trim() ? ' with this note' : ''}
                </button>
              )}
              <a href={admin(`/incidents/${id}/report`)} class="button" onClick={(e) => {
                e.preventDefault();
                void get<string>(admin(`/incidents/${id}/report`)).then((md) => {
                  const url = URL.createObjectURL(new Blob([md], { type: 'text/markdown' }));
                  const a = document.createElement('a');
                  a.href = url;
                  a.download = `incident-${id}.md`;
                  a.click();
                  setTimeout(() => URL.revokeObjectURL(url), 1000);
                });
              }}>Download report</a>
            </div>
            {i.status !== 'closed' && (
              <form class="stack-form" onSubmit={(e) => {
                e.preventDefault();
                void act('Note added.', 'notes', { text: note.trim() }).then((ok) => ok && setNote(''));
              }}>
                <label for="incident-note">Note</label>
                <textarea id="incident-note" rows={3} required value={note} onInput={(e) => setNote(e.currentTarget.value)} />
                <button type="submit" disabled={action.busy || !note.trim()}>Add note</button>
              </form>
            )}
          </Panel>
          <Panel title="Timeline">
            <ol class="timeline">
              {i.timeline.map((t, n) => (
                <li key={n}>
                  <Time at={t.at} /> <Badge value={t.kind} kind="kind" /> {t.actor && <span class="muted">{t.actor}: </span>}
                  <span class="pre">{t.text}</span>
                </li>
              ))}
            </ol>
          </Panel>
          {'public_title' in i && (
            <Panel title="Status page">
              <p>Public title: {i.public_title ?? <span class="muted">generic (from the severity)</span>}</p>
              <form class="stack-form" onSubmit={(e) => {
                e.preventDefault();
                void action.run(async () => {
                  await post(admin(`/incidents/${id}/public-updates`), { text: publicText.trim() });
                  setPublicText('');
                  detail.reload();
                  return 'Posted on the status page.';
                });
              }}>
                <label for="public-update">Public update <span class="muted">(shown on /status: no internal details)</span></label>
                <textarea id="public-update" rows={2} required value={publicText} onInput={(e) => setPublicText(e.currentTarget.value)} />
                <div class="buttons">
                  <button type="submit" disabled={action.busy || !publicText.trim()}>Post update</button>
                  <button type="button" disabled={action.busy || !publicText.trim()} onClick={() => void action.run(async () => {
                    await put(admin(`/incidents/${id}/public`), { public_title: publicText.trim() });
                    setPublicText('');
                    detail.reload();
                    return 'Public title set.';
                  })}>Set as public title</button>
                </div>
              </form>
            </Panel>
          )}
          {i.status === 'resolved' && (
            <Panel title="Postmortem">
              <Postmortem id={id} onDone={detail.reload} />
            </Panel>
          )}
        </div>
      )}
    </>
  );
}

/** Incident ids are UUIDs: anything else in the address (an encoded slash, say) is not one, and never reaches an API path. */
const INCIDENT_ID = /^[A-Za-z0-9-]{1,64}$/;

export function IncidentsPage({ id }: { id: string | undefined }) {
  if (id === undefined) return <IncidentList />;
  if (!INCIDENT_ID.test(id)) return <p>There is no incident at this address. <Link to="incidents">All incidents</Link></p>;
  return <IncidentDetail id={id} />;
}

import { useState } from 'preact/hooks';
import { admin, get, post } from '../api';
import { useAction, useLoad } from '../hooks';
import { Badge, DoneNote, Empty, ErrorNote, Loading, Panel, Time, fmt } from '../ui';

interface Run {
  id: string;
  status: string;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  stats: Record<string, unknown> | null;
  error: string | null;
}
interface Job {
  name: string;
  description: string;
  schedule: string | null;
  timezone: string;
  next_run: string | null;
  last_run: Run | null;
  last_success_at: string | null;
}
interface Backup {
  file: string;
  created_at: string;
  size: number;
  label: string | null;
  sha256: string | null;
  row_counts: Record<string, number> | null;
}
interface Verify {
  ok: boolean;
  file: string;
  checks: { name: string; ok: boolean; detail: string }[];
}

function Jobs() {
  const jobs = useLoad(() => get<{ jobs: Job[] }>(admin('/jobs')));
  const action = useAction();
  const [running, setRunning] = useState<string | null>(null);
  return (
    <Panel title="Jobs" actions={<button type="button" onClick={jobs.reload}>Refresh</button>}>
      <ErrorNote error={jobs.error ?? action.error} />
      <DoneNote text={action.done} />
      {jobs.loading && !jobs.data && <Loading what="jobs" />}
      {jobs.data && (
        <div class="scroll">
          <table>
            <thead>
              <tr><th scope="col">Job</th><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col"><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {jobs.data.jobs.map((j) => (
                <tr key={j.name}>
                  <th scope="row">{j.name}<span class="sub">{j.description}</span></th>
                  <td class="mono">{j.schedule ?? 'manual'}</td>
                  <td>
                    {j.last_run ? <><Badge value={j.last_run.status} /> <Time at={j.last_run.finished_at ?? j.last_run.started_at} /></> : <span class="muted">never</span>}
                    {j.last_run?.error && <span class="sub error-text">{j.last_run.error}</span>}
                  </td>
                  <td><Time at={j.next_run} /></td>
                  <td>
                    <button type="button" disabled={action.busy} aria-label={`Run ${j.name} now`} onClick={() => {
                      setRunning(j.name);
                      void action.run(async () => {
                        const run = await post<Run>(admin(`/jobs/${j.name}/run`), {});
                        jobs.reload();
                        return `${j.name}: ${run.status}${run.error ? ` — ${run.error}` : ''}.`;
                      }).finally(() => setRunning(null));
                    }}>
                      {running === j.name ? 'Running…' : 'Run now'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

function Backups() {
  const backups = useLoad(() => get<{ backups: Backup[] }>(admin('/backups')));
  const action = useAction();
  const [verified, setVerified] = useState<Verify | null>(null);
  return (
    <Panel
      title="Backups"
      actions={
        <button type="button" disabled={action.busy} onClick={() => void action.run(async () => {
          const made = await post<Backup>(admin('/backups'), {});
          backups.reload();
          return `Backup ${made.file} created.`;
        })}>
          Back up now
        </button>
      }
    >
      <ErrorNote error={backups.error ?? action.error} />
      <DoneNote text={action.done} />
      {backups.data && backups.data.backups.length === 0 && <Empty text="No backups in BACKUP_DIR yet." />}
      {backups.data && backups.data.backups.length > 0 && (
        <ul class="rows">
          {backups.data.backups.map((b) => (
            <li key={b.file}>
              <span>
                <span class="mono">{b.file}</span>
                <span class="muted"> {fmt.bytes(b.size)} · <Time at={b.created_at} />{b.label ? ` · ${b.label}` : ''}</span>
              </span>
              <button type="button" disabled={action.busy} aria-label={`Verify ${b.file}`} onClick={() => void action.run(async () => {
                setVerified(null);
                const v = await post<Verify>(admin(`/backups/${encodeURIComponent(b.file)}/verify`), {});
                setVerified(v);
                return `${b.file}: ${v.ok ? 'verified' : 'verification FAILED'}.`;
              })}>
                Verify
              </button>
            </li>
          ))}
        </ul>
      )}
      {verified && (
        <table>
          <caption>Checks of {verified.file}</caption>
          <tbody>
            {verified.checks.map((c) => (
              <tr key={c.name}><th scope="row">{c.name}</th><td><Badge value={c.ok ? 'ok' : 'failed'} /></td><td>{c.detail}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function MaintenancePage() {
  return (
    <div class="grid">
      <Jobs />
      <Backups />
    </div>
  );
}

import { useState } from 'preact/hooks';
import { admin, get } from '../api';
import { useLoad } from '../hooks';
import { ErrorNote, Loading, Panel } from '../ui';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Flattens the configuration into dotted keys (`http.trustProxy`) for one searchable table. */
function flatten(value: Json, prefix = '', out: [string, string][] = []): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix, typeof value === 'string' ? value : JSON.stringify(value)]);
  return out;
}

export function ConfigPage() {
  const config = useLoad(() => get<Json>(admin('/config')));
  const [filter, setFilter] = useState('');
  const rows = config.data === undefined ? [] : flatten(config.data).filter(([k, v]) => !filter || k.toLowerCase().includes(filter.toLowerCase()) || v.toLowerCase().includes(filter.toLowerCase()));
  return (
    <Panel title="Effective configuration" actions={<span class="muted">secrets are redacted by Vigil</span>}>
      <ErrorNote error={config.error} />
      {config.loading && !config.data && <Loading what="the configuration" />}
      <label class="inline">Filter <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} /></label>
      {config.data !== undefined && (
        <div class="scroll">
          <table class="config">
            <thead>
              <tr><th scope="col">Setting</th><th scope="col">Value</th></tr>
            </thead>
            <tbody>
              {rows.map(([k, v]) => (
                <tr key={k}><th scope="row" class="mono">{k}</th><td class="mono wrap">{v}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}

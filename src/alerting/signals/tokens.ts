import type { Registry } from 'prom-client';
import { scalar, type SignalSource } from './types.js';

/**
 * Token blacklist size and expired share, from the `vigil_token_blacklist_entries` gauge the
 * metrics module computes by query every 30 s (no query of its own; no data without metrics).
 */
export function tokenSignals(deps: { registry: Registry | undefined }): SignalSource {
  let active: number | undefined;
  let expired: number | undefined;
  return {
    signals: [
      { name: 'token_blacklist_size', help: 'Entries in the token blacklist (active and expired).', windowed: false, read: () => scalar(active === undefined || expired === undefined ? undefined : active + expired) },
      {
        name: 'token_blacklist_expired_ratio',
        help: 'Share of blacklist entries already expired (awaiting cleanup), 0–1; no data while the blacklist is empty.',
        windowed: false,
        read: () => scalar(active === undefined || expired === undefined || active + expired === 0 ? undefined : expired / (active + expired)),
      },
    ],
    async sample() {
      const metric = deps.registry?.getSingleMetric('vigil_token_blacklist_entries');
      if (!metric) return;
      const values = (await metric.get()).values;
      if (values.length === 0) return;
      active = values.find((v) => v.labels.state === 'active')?.value;
      expired = values.find((v) => v.labels.state === 'expired')?.value;
    },
  };
}

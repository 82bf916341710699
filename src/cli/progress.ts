import type { CliOutput } from './context.js';

/**
 * Progress of long work on stderr: one line rewritten in place on a terminal; otherwise a plain
 * line at each quarter, so a log file gets a few lines and no control characters.
 */
export function cliProgress(out: CliOutput): { update: (done: number, total: number, what: string) => void; end: () => void } {
  let shown = false;
  let lastQuarter = -1;
  let lastDraw = 0;
  return {
    update(done, total, what) {
      const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
      if (out.isTTY) {
        const now = Date.now();
        if (now - lastDraw < 100 && pct < 100) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%  ${done}/${total} ${what}`);
        shown = true;
        return;
      }
      const quarter = Math.floor(pct / 25);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        out.write(`progress: ${pct}% (${done}/${total} ${what})\n`);
      }
    },
    end() {
      if (shown) out.write('\n');
      shown = false;
    },
  };
}

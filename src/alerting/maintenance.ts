const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A weekly window in UTC: day of week (0 = Sunday, or every day) and minutes from midnight. */
export interface MaintenanceWindow {
  day: number | 'daily';
  startMinute: number;
  endMinute: number;
}

/**
 * Parses `MAINTENANCE_WINDOWS`: comma-separated `sun 02:00-04:00` (UTC; `daily` for every day).
 * A window may cross midnight (`sat 23:00-01:00` runs into Sunday). Throws a message.
 */
export function parseMaintenanceWindows(raw: string): MaintenanceWindow[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^([a-z]{3,5})\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})$/i.exec(item);
      const dayText = m?.[1]?.toLowerCase();
      const day = dayText === 'daily' ? 'daily' : DAYS.indexOf(dayText?.slice(0, 3) ?? '');
      const [h1, m1, h2, m2] = (m?.slice(2) ?? []).map(Number) as [number, number, number, number];
      if (!m || day === -1 || h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59) throw new Error(`"${item}" is not a window such as "sun 02:00-04:00" (UTC)`);
      const start = h1 * 60 + m1;
      const end = h2 * 60 + m2;
      if (start === end) throw new Error(`"${item}" is empty`);
      return { day, startMinute: start, endMinute: end };
    });
}

const WEEK = 7 * 1440;

/** True when `now` (epoch ms) falls in one of the windows. */
export function inMaintenance(windows: readonly MaintenanceWindow[], now: number): boolean {
  const d = new Date(now);
  const minuteOfWeek = d.getUTCDay() * 1440 + d.getUTCHours() * 60 + d.getUTCMinutes();
  return windows.some((w) => {
    const days = w.day === 'daily' ? [0, 1, 2, 3, 4, 5, 6] : [w.day];
    return days.some((day) => {
      const start = day * 1440 + w.startMinute;
      const length = (w.endMinute - w.startMinute + 1440) % 1440;
      const offset = (minuteOfWeek - start + WEEK) % WEEK;
      return offset < length;
    });
  });
}

import { CronPattern } from 'croner';
import { InvalidValue, type Parser } from './parsers.js';

/** A cron pattern (5 fields, or 6 with seconds first), or `off`: null, the job is not scheduled. */
export const cronOrOff: Parser<string | null> = {
  expected: 'a cron pattern such as "0 2 * * *" (minute hour day month weekday; a sixth leading field is seconds), or "off"',
  parse(raw) {
    const text = raw.trim().replace(/\s+/g, ' ');
    if (text === 'off') return null;
    const fields = text.split(' ').length;
    if (fields < 5 || fields > 6) throw new InvalidValue(this.expected);
    try {
      new CronPattern(text, 'UTC');
    } catch {
      throw new InvalidValue(this.expected);
    }
    return text;
  },
};

/** An IANA time zone name (`UTC`, `Europe/Berlin`). */
export const timeZone: Parser<string> = {
  expected: 'an IANA time zone such as UTC or Europe/Berlin',
  parse(raw) {
    const text = raw.trim();
    try {
      new Intl.DateTimeFormat('en', { timeZone: text });
    } catch {
      throw new InvalidValue(this.expected);
    }
    return text;
  },
};

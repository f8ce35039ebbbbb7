// The zone's wall clock. Billable time is elapsed time (instants in ms since the
// epoch); time spans follow the wall clock of the dataset's IANA time zone, so
// across a DST change an hour of parking is still 60 minutes while 02:00–03:00
// may not exist (spring) or happen twice (autumn). Intl knows the zone rules;
// no tz library is needed.

export type WallClock = {
  year: number;
  month: number; // 1–12
  day: number; // 1–31
  weekday: Weekday;
  minute_of_day: number; // 0–1439
  /** `YYYY-MM-DD` on the zone's calendar. */
  date: string;
  offset_minutes: number;
};

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const formats = new Map<string, Intl.DateTimeFormat>();
const FORMATS_MAX = 16;

function formatFor(time_zone: string): Intl.DateTimeFormat {
  let format = formats.get(time_zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: time_zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formats.size >= FORMATS_MAX) formats.clear(); // bounded: a kiosk has a zone or two
    formats.set(time_zone, format);
  }
  return format;
}

/** True when Intl knows the IANA zone name. */
export function isKnownTimeZone(time_zone: string): boolean {
  try {
    formatFor(time_zone);
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function wallClock(at_ms: number, time_zone: string): WallClock {
  const parts = formatFor(time_zone).formatToParts(at_ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const [year, month, day, hour, minute, second] = [part('year'), part('month'), part('day'), part('hour'), part('minute'), part('second')];
  const local_as_utc_ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const whole_second_ms = Math.floor(at_ms / 1000) * 1000;
  return {
    year,
    month,
    day,
    weekday: WEEKDAYS[new Date(Date.UTC(year, month - 1, day)).getUTCDay()]!,
    minute_of_day: hour * 60 + minute,
    date: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    offset_minutes: Math.round((local_as_utc_ms - whole_second_ms) / 60_000),
  };
}

/** ISO 8601 with the zone's offset at that instant: `2025-03-09T03:30:00-05:00`. */
export function isoWithOffset(at_ms: number, time_zone: string): string {
  const wall = wallClock(at_ms, time_zone);
  const second = Math.floor((((at_ms % 60_000) + 60_000) % 60_000) / 1000);
  const sign = wall.offset_minutes < 0 ? '-' : '+';
  const offset = Math.abs(wall.offset_minutes);
  const time = `${pad(Math.floor(wall.minute_of_day / 60))}:${pad(wall.minute_of_day % 60)}:${pad(second)}`;
  return `${wall.date}T${time}${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}`;
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An instant written with its offset or `Z`. A local time without an offset is
 * refused: across a DST change it names two instants or none.
 */
export function parseInstant(text: string): number | null {
  const m = ISO_INSTANT.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const days_in_month = new Date(Date.UTC(year, month, 0)).getUTCDate(); // Date.parse would roll 02-30 into March
  if (month < 1 || month > 12 || day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 59) return null;
  const at_ms = Date.parse(text);
  return Number.isFinite(at_ms) ? at_ms : null;
}

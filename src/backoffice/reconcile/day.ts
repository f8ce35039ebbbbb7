// The business day reconciliation covers: a local calendar date in the city's
// time zone, as the half-open window [start_ms, end_ms) of UTC milliseconds.
// A day is not always 24 hours (daylight saving), so both ends are computed.
// The zone's wall clock is the parking tariffs' (src/parking/wall-clock.ts).

import { isKnownTimeZone, wallClock } from '../../parking/wall-clock';

export interface BusinessDay {
  date: string;
  time_zone: string;
  start_ms: number;
  end_ms: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function businessDay(date: string, time_zone: string): BusinessDay {
  const m = DATE.exec(date);
  const [y, mo, d] = m === null ? [NaN, NaN, NaN] : [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (m === null || probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) {
    throw new RangeError(`the date must be YYYY-MM-DD, a real day, not ${date}`);
  }
  assertTimeZone(time_zone);
  return { date, time_zone, start_ms: localMidnight(y, mo, d, time_zone), end_ms: localMidnight(y, mo, d + 1, time_zone) };
}

export function assertTimeZone(time_zone: string): void {
  if (!isKnownTimeZone(time_zone)) throw new RangeError(`unknown time zone ${time_zone} (use an IANA name such as America/Chicago)`);
}

/** The local calendar date (YYYY-MM-DD) of an instant in `time_zone`. */
export function localDate(ms: number, time_zone: string): string {
  return wallClock(ms, time_zone).date;
}

/** The local wall-clock minutes since midnight of an instant. */
export function localMinutes(ms: number, time_zone: string): number {
  return wallClock(ms, time_zone).minute_of_day;
}

/** The local calendar date `days` after `date` (YYYY-MM-DD, days may be negative). */
export function addDays(date: string, days: number): string {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, mo - 1, d + days)).toISOString().slice(0, 10);
}

/**
 * UTC ms of local wall-clock time `minutes` after midnight on `date`. A wall
 * time skipped by a daylight-saving change comes out as the instant after the
 * jump; one that happens twice, as the first.
 */
export function wallClockInstant(date: string, minutes: number, time_zone: string): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  return localMidnight(y, mo, d, time_zone, minutes);
}

/** UTC ms of local day y-mo-d (d may overflow the month) at `minutes` past midnight. */
function localMidnight(y: number, mo: number, d: number, time_zone: string, minutes = 0): number {
  const wall = Date.UTC(y, mo - 1, d) + minutes * 60_000;
  // The offsets in force half a day either side cover any daylight-saving change near `wall`.
  const before = wall - offsetMs(wall - 12 * 3_600_000, time_zone);
  const after = wall - offsetMs(wall + 12 * 3_600_000, time_zone);
  const valid = [before, after].filter((t) => t + offsetMs(t, time_zone) === wall);
  // Twice (clocks went back): the first. Never (clocks jumped over it): the instant the jump lands on.
  return valid.length > 0 ? Math.min(...valid) : Math.max(before, after);
}

/** Local wall time minus UTC at an instant, in ms. */
function offsetMs(ms: number, time_zone: string): number {
  return wallClock(ms, time_zone).offset_minutes * 60_000;
}

import { describe, expect, it } from 'vitest';
import { isoWithOffset, parseInstant, wallClock } from '../../../src/parking/wall-clock';

describe('the zone wall clock', () => {
  it('reads an instant with an offset or Z, and refuses a local time without one', () => {
    expect(parseInstant('2025-07-11T10:00:00-05:00')).toBe(Date.UTC(2025, 6, 11, 15));
    expect(parseInstant('2025-07-11T15:00Z')).toBe(Date.UTC(2025, 6, 11, 15));
    expect(parseInstant('2025-07-11T10:00:00')).toBeNull();
  });

  it('refuses a calendar date that does not exist instead of rolling it into the next month', () => {
    expect(parseInstant('2025-02-30T10:00:00Z')).toBeNull();
    expect(parseInstant('2025-04-31T10:00:00Z')).toBeNull();
    expect(parseInstant('2024-02-29T10:00:00Z')).toBe(Date.UTC(2024, 1, 29, 10));
  });

  it('tells both readings of 01:30 on the fall-back night apart by their offsets', () => {
    const first = Date.UTC(2025, 10, 2, 6, 30);
    const second = first + 3_600_000;
    expect([isoWithOffset(first, 'America/Chicago'), isoWithOffset(second, 'America/Chicago')]).toEqual(['2025-11-02T01:30:00-05:00', '2025-11-02T01:30:00-06:00']);
    expect(wallClock(second, 'America/Chicago')).toMatchObject({ date: '2025-11-02', weekday: 'sun', minute_of_day: 90, offset_minutes: -360 });
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTariffs, quote, type QuoteRequest, type Tariffs } from '../../../src/parking';

function load(name: string): Tariffs {
  const parsed = parseTariffs(JSON.parse(readFileSync(new URL(`../../fixtures/tariffs/${name}`, import.meta.url), 'utf8')));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.tariffs;
}

const downtown = load('chicago-downtown.json');
const METER = '0a1e0000-0000-4000-8000-000000000003';
const NIGHT = '0a1e0000-0000-4000-8000-000000000004';
const BASE = '0a1e0000-0000-4000-8000-000000000005';
const HOLIDAY = '0a1e0000-0000-4000-8000-000000000002';

type Case = { name: string; start: string; minutes: number; last_session_end?: string; amount_minor: number; end: string; lines?: [string, number, number, number][] };

// [policy, minutes, billed_minutes, amount_minor] per breakdown line.
const priced: Case[] = [
  {
    name: 'spring forward (Chicago, 2025-03-09): 120 elapsed minutes from 00:30 CST end at 03:30 CDT; the free night span ends at wall-clock 02:00, after 90 minutes',
    start: '2025-03-09T00:30:00-06:00', minutes: 120, amount_minor: 50, end: '2025-03-09T03:30:00-05:00',
    lines: [[NIGHT, 90, 90, 0], [BASE, 30, 30, 50]],
  },
  {
    name: 'fall back (Chicago, 2025-11-02): 01:00–02:00 happens twice, so the free night span lasts 150 elapsed minutes from 00:30 CDT',
    start: '2025-11-02T00:30:00-05:00', minutes: 180, amount_minor: 50, end: '2025-11-02T02:30:00-06:00',
    lines: [[NIGHT, 150, 150, 0], [BASE, 30, 30, 50]],
  },
  {
    name: 'a holiday (2025-07-04) overrides the meter: free',
    start: '2025-07-04T10:00:00-05:00', minutes: 90, amount_minor: 0, end: '2025-07-04T11:30:00-05:00',
    lines: [[HOLIDAY, 90, 90, 0]],
  },
  {
    name: 'the same stay a week later pays the progressive bands: 60 min at 5¢/min, then 30 min at $6/h',
    start: '2025-07-11T10:00:00-05:00', minutes: 90, amount_minor: 600, end: '2025-07-11T11:30:00-05:00',
    lines: [[METER, 60, 60, 300], [METER, 30, 30, 300]],
  },
  {
    name: 'increment_duration: 20 minutes are bought as 30 (two quarter hours)',
    start: '2025-07-11T10:00:00-05:00', minutes: 20, amount_minor: 150, end: '2025-07-11T10:20:00-05:00',
    lines: [[METER, 20, 30, 150]],
  },
  {
    name: 'increment_amount: 10 minutes of the second band cost 100¢, rounded up to 150¢',
    start: '2025-07-11T10:00:00-05:00', minutes: 70, amount_minor: 450, end: '2025-07-11T11:10:00-05:00',
    lines: [[METER, 60, 60, 300], [METER, 10, 10, 150]],
  },
  {
    name: 'increment_amount: 20 minutes at $1/h are 33⅓¢, rounded up to 50¢',
    start: '2025-07-13T12:00:00-05:00', minutes: 20, amount_minor: 50, end: '2025-07-13T12:20:00-05:00',
    lines: [[BASE, 20, 20, 50]],
  },
  {
    name: 'max stay reached exactly is sold',
    start: '2025-07-11T10:00:00-05:00', minutes: 120, amount_minor: 900, end: '2025-07-11T12:00:00-05:00',
  },
  {
    name: 'max stay and bands count from when the meter starts, not from arrival: 07:00 for 3 hours',
    start: '2025-07-11T07:00:00-05:00', minutes: 180, amount_minor: 1000, end: '2025-07-11T10:00:00-05:00',
    lines: [[BASE, 60, 60, 100], [METER, 60, 60, 300], [METER, 60, 60, 600]],
  },
  {
    name: 'the meter stops at 18:00 wall clock: 30 minutes metered, 30 at the base rate',
    start: '2025-07-11T17:30:00-05:00', minutes: 60, amount_minor: 200, end: '2025-07-11T18:30:00-05:00',
    lines: [[METER, 30, 30, 150], [BASE, 30, 30, 50]],
  },
  {
    name: 'no-return: a stay that ended 60 minutes ago is far enough',
    start: '2025-07-11T10:00:00-05:00', minutes: 15, last_session_end: '2025-07-11T14:00:00Z', amount_minor: 75, end: '2025-07-11T10:15:00-05:00',
  },
  {
    name: 'a start given in UTC is answered in the zone’s offset',
    start: '2025-07-11T15:00:00Z', minutes: 15, amount_minor: 75, end: '2025-07-11T10:15:00-05:00',
  },
];

type Refusal = { name: string; start: string; minutes: number; zone?: string; last_session_end?: string; reason: string; detail: RegExp };

const refused: Refusal[] = [
  { name: 'beyond max stay: 121 minutes under a 2-hour limit', start: '2025-07-11T10:00:00-05:00', minutes: 121, reason: 'beyond_max_stay', detail: /allows 120 minutes from 2025-07-11T10:00:00-05:00/ },
  { name: 'beyond max stay: arriving at 07:00, past 10:00 is more than 2 hours of meter', start: '2025-07-11T07:00:00-05:00', minutes: 181, reason: 'beyond_max_stay', detail: /from 2025-07-11T08:00:00-05:00/ },
  { name: 'inside no-return: the last stay ended 30 minutes ago', start: '2025-07-11T10:00:00-05:00', minutes: 30, last_session_end: '2025-07-11T09:30:00-05:00', reason: 'inside_no_return', detail: /60 minutes away.*back from 2025-07-11T10:30:00-05:00/ },
  { name: 'no parking: the stay runs into Tuesday street cleaning at 03:00', start: '2025-07-08T02:30:00-05:00', minutes: 60, reason: 'no_parking', detail: /"no parking".*at 2025-07-08T03:00:00-05:00/ },
  { name: 'unknown zone', start: '2025-07-11T10:00:00-05:00', minutes: 30, zone: '999', reason: 'unknown_zone', detail: /"999"/ },
  { name: 'a zone not yet in force', start: '2024-12-31T10:00:00-06:00', minutes: 30, reason: 'zone_not_in_force', detail: /start_date/ },
  { name: 'a start without an offset', start: '2025-07-11T10:00:00', minutes: 30, reason: 'invalid_request', detail: /offset/ },
  { name: 'zero minutes', start: '2025-07-11T10:00:00-05:00', minutes: 0, reason: 'invalid_request', detail: /minutes/ },
  { name: 'a previous stay that ends after this one starts', start: '2025-07-11T10:00:00-05:00', minutes: 30, last_session_end: '2025-07-11T10:01:00-05:00', reason: 'invalid_request', detail: /after start/ },
];

const request = (c: { start: string; minutes: number; zone?: string; last_session_end?: string }): QuoteRequest => ({
  tariffs: downtown,
  zone: c.zone ?? '101',
  start: c.start,
  minutes: c.minutes,
  ...(c.last_session_end === undefined ? {} : { last_session_end: c.last_session_end }),
});

describe('parking quote (CDS tariffs, America/Chicago)', () => {
  it.each(priced)('$name', (c) => {
    const result = quote(request(c));
    if (!result.ok) throw new Error(`refused: ${result.reason}: ${result.detail}`);
    expect(result.amount_minor).toBe(c.amount_minor);
    expect(result.end).toBe(c.end);
    expect(result.currency).toBe('USD');
    if (c.lines) expect(result.breakdown.map((l) => [l.curb_policy_id, l.minutes, l.billed_minutes, l.amount_minor])).toEqual(c.lines);
    expect(result.breakdown.reduce((sum, l) => sum + l.minutes, 0)).toBe(c.minutes);
  });

  it.each(refused)('refuses: $name', (c) => {
    const result = quote(request(c));
    expect(result).toMatchObject({ ok: false, reason: c.reason });
    if (!result.ok) expect(result.detail).toMatch(c.detail);
  });

  it('finds the zone by its curb_zone_id as well as its user_zone_id', () => {
    const byId = quote({ ...request({ start: '2025-07-11T10:00:00-05:00', minutes: 30 }), zone: '3f1b7c2e-8a4d-4e59-9b61-2d7e5a0c1f01' });
    expect(byId).toEqual(quote(request({ start: '2025-07-11T10:00:00-05:00', minutes: 30 })));
  });

  it('breakdown lines follow each other and carry the zone’s offset', () => {
    const result = quote(request({ start: '2025-03-09T00:30:00-06:00', minutes: 120 }));
    if (!result.ok) throw new Error(result.detail);
    expect(result.breakdown.map((l) => [l.from, l.to])).toEqual([
      ['2025-03-09T00:30:00-06:00', '2025-03-09T03:00:00-05:00'],
      ['2025-03-09T03:00:00-05:00', '2025-03-09T03:30:00-05:00'],
    ]);
  });
});

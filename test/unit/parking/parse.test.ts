import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTariffs, quote } from '../../../src/parking';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const fixture = (): Json => JSON.parse(readFileSync(new URL('../../fixtures/tariffs/chicago-downtown.json', import.meta.url), 'utf8'));

/** The fixture after `edit`, parsed: the errors' paths and messages. */
function errorsAfter(edit: (json: Json) => void): string[] {
  const json = fixture();
  edit(json);
  const parsed = parseTariffs(json);
  return parsed.ok ? [] : parsed.errors.map((e) => `${e.path}: ${e.message}`);
}

const meterRate = (json: Json) => json.data.policies[2].rules[0].rate[0];

describe('CDS tariff files', () => {
  it('accepts the published envelope with names, geometry and metadata it does not read', () => {
    expect(errorsAfter(() => {})).toEqual([]);
    expect(errorsAfter((j) => Object.assign(j.data.zones[0], { location_references: [], width: 240, curb_area_ids: [] }))).toEqual([]);
  });

  it.each([
    ['maximum_fee', (j: Json) => (meterRate(j).maximum_fee = 1000), /^\$\.data\.policies\[2\]\.rules\[0\]\.rate\[0\]\.maximum_fee: not implemented/],
    ['rate_unit_period "calendar"', (j: Json) => (meterRate(j).rate_unit_period = 'calendar'), /rate\[0\]\.rate_unit_period: "calendar" not implemented/],
    ['a rate_unit of "month"', (j: Json) => (meterRate(j).rate_unit = 'month'), /rate\[0\]\.rate_unit: "month" not implemented/],
    ['a max_stay_unit of "year"', (j: Json) => (j.data.policies[2].rules[0].max_stay_unit = 'year'), /rules\[0\]\.max_stay_unit: "year" not implemented/],
    ['an unknown field in a rule', (j: Json) => (j.data.policies[2].rules[0].discount = 50), /rules\[0\]\.discount: unknown field/],
    ['an unknown field in the envelope', (j: Json) => (j.tax_rate = 7), /^\$\.tax_rate: unknown field/],
    ['a designated period whose dates are not given', (j: Json) => (j.data.policies[1].time_spans[0].designated_period = 'snow emergency'), /time_spans\[0\]\.designated_period: "snow emergency" is not defined/],
    ['one page of a paginated response', (j: Json) => (j.links = { next: 'https://example.org/curbs/policies?page=2' }), /^\$\.links\.next: the file is one page of several/],
    ['a policy id the file does not hold', (j: Json) => j.data.zones[0].curb_policy_ids.push('nope'), /zones\[0\]\.curb_policy_ids\[5\]: names a policy that is not in data\.policies/],
    ['overlapping rate bands', (j: Json) => (j.data.policies[2].rules[0].rate[1].start_duration = 0), /rules\[0\]\.rate: rates must follow each other/],
    ['a rate in dollars', (j: Json) => (meterRate(j).rate = 0.05), /rate\[0\]\.rate: must be an integer/],
    ['an unknown time zone', (j: Json) => (j.time_zone = 'Mars/Olympus_Mons'), /^\$\.time_zone: "Mars\/Olympus_Mons" is not a time zone/],
    ['a time of day that is not HH:MM', (j: Json) => (j.data.policies[0].time_spans[0].time_of_day_start = '3am'), /time_spans\[0\]\.time_of_day_start: must be "HH:MM"/],
  ])('refuses %s, naming the field', (_name, edit, expected) => {
    const errors = errorsAfter(edit);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(expected);
  });

  it('null currency means USD cents (CDS)', () => {
    const json = fixture();
    json.currency = null;
    const parsed = parseTariffs(json);
    expect(parsed.ok && parsed.tariffs.currency).toBe('USD');
  });

  it('a policy for named data source operators does not bind a kiosk customer', () => {
    const json = fixture();
    json.data.policies[0].data_source_operator_id = ['b2046faf-2bc2-4f0e-b784-7cc746138555'];
    const parsed = parseTariffs(json);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(quote({ tariffs: parsed.tariffs, zone: '101', start: '2025-07-08T03:00:00-05:00', minutes: 60 })).toMatchObject({ ok: true, amount_minor: 100 });
  });

  it('a rule for a user class applies only to vehicles of every class it names', () => {
    const json = fixture();
    json.data.policies[2].rules.push({ activity: 'parking', max_stay: 240, user_classes: ['disabled_parking_permit'] });
    const parsed = parseTariffs(json);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const stay = { tariffs: parsed.tariffs, zone: '101', start: '2025-07-11T10:00:00-05:00', minutes: 180 };
    expect(quote(stay)).toMatchObject({ ok: false, reason: 'beyond_max_stay' });
    expect(quote({ ...stay, user_classes: ['disabled_parking_permit', 'car'] })).toMatchObject({ ok: true, amount_minor: 0 });
  });

  it('designated_period_except: a span that holds on every day but the period', () => {
    const json = fixture();
    json.data.policies[1].time_spans[0].designated_period_except = true;
    const parsed = parseTariffs(json);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const at = (start: string) => quote({ tariffs: parsed.tariffs, zone: '101', start, minutes: 60 });
    expect(at('2025-07-11T10:00:00-05:00')).toMatchObject({ ok: true, amount_minor: 0 });
    expect(at('2025-07-04T10:00:00-05:00')).toMatchObject({ ok: true, amount_minor: 300 });
  });

  it('prev_policies govern the minutes inside their dates, the current policies the rest', () => {
    const json = fixture();
    const base = '0a1e0000-0000-4000-8000-000000000005';
    json.data.zones[0].prev_policies = [{ curb_policy_ids: [base], start_date: Date.UTC(2025, 0, 1), end_date: Date.UTC(2025, 6, 1) }];
    const parsed = parseTariffs(json);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const at = (start: string) => quote({ tariffs: parsed.tariffs, zone: '101', start, minutes: 60 });
    expect(at('2025-06-27T10:00:00-05:00')).toMatchObject({ ok: true, amount_minor: 100 });
    expect(at('2025-07-11T10:00:00-05:00')).toMatchObject({ ok: true, amount_minor: 300 });
  });
});

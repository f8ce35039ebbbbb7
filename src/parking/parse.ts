import { DATA, ENVELOPE, POLICY, PREV_POLICY, RATE, RULE, TIME_SPAN, ZONE, unsupportedFields, type FieldTable } from './fields';
import { PARKING_ACTIVITIES, type Activity, type Policy, type Rate, type Rule, type TariffError, type Tariffs, type TimeSpan, type Zone } from './types';
import { isKnownTimeZone, WEEKDAYS, type Weekday } from './wall-clock';

// CDS Curbs JSON as published (the response envelope whose `data` holds
// `zones` and `policies`) into typed tariffs, or every reason it cannot be
// priced, each naming the field by its path. docs/parking-tariffs.md lists
// the subset.

export type ParseResult = { ok: true; tariffs: Tariffs } | { ok: false; errors: TariffError[] };

type Obj = Record<string, unknown>;

// Fixed lengths of elapsed time. Month, quarter and year have no fixed length
// and are refused where a duration is read.
const UNIT_SECONDS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86_400, week: 604_800 };
const CALENDAR_UNITS = ['month', 'quarter', 'year'];
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LOCAL_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const MAX_ITEMS = 10_000; // bounds every list read from a file

class Reader {
  readonly errors: TariffError[] = [];

  fail(path: string, message: string): undefined {
    this.errors.push({ path, message });
    return undefined;
  }

  object(value: unknown, path: string, table: FieldTable): Obj | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, 'must be an object');
    this.errors.push(...unsupportedFields(value as Obj, table, path));
    return value as Obj;
  }

  array(value: unknown, path: string): unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, 'must be an array');
    if (value.length > MAX_ITEMS) return this.fail(path, `more than ${MAX_ITEMS} items`);
    return value;
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value !== 'string' || value.length === 0) return this.fail(path, 'must be a non-empty string');
    return value;
  }

  integer(value: unknown, path: string, min = 0): number | undefined {
    if (!Number.isSafeInteger(value) || (value as number) < min) return this.fail(path, `must be an integer of at least ${min}`);
    return value as number;
  }

  timestamp(value: unknown, path: string): number | undefined {
    return this.integer(value, path, Number.MIN_SAFE_INTEGER) === undefined ? undefined : (value as number);
  }

  strings(value: unknown, path: string): string[] | undefined {
    const items = this.array(value, path);
    if (items === undefined) return undefined;
    const out = items.map((item, i) => this.string(item, `${path}[${i}]`));
    return out.every((s) => s !== undefined) ? (out as string[]) : undefined;
  }

  integersIn(value: unknown, path: string, min: number, max: number): number[] | undefined {
    const items = this.array(value, path);
    if (items === undefined) return undefined;
    const bad = items.findIndex((n) => !Number.isInteger(n) || (n as number) < min || (n as number) > max);
    if (bad >= 0) return this.fail(`${path}[${bad}]`, `must be an integer from ${min} to ${max}`);
    return items as number[];
  }

  /** `amount` of `unit` (default minute) as whole minutes of elapsed time. */
  minutes(amount: unknown, unit: unknown, path: string, unit_path: string): number | undefined {
    const n = this.integer(amount, path);
    const unit_seconds = this.unitSeconds(unit ?? 'minute', unit_path);
    if (n === undefined || unit_seconds === undefined) return undefined;
    if ((n * unit_seconds) % 60 !== 0) return this.fail(path, 'must be a whole number of minutes');
    return (n * unit_seconds) / 60;
  }

  unitSeconds(unit: unknown, path: string): number | undefined {
    if (typeof unit === 'string' && unit in UNIT_SECONDS) return UNIT_SECONDS[unit];
    if (typeof unit === 'string' && CALENDAR_UNITS.includes(unit)) return this.fail(path, `"${unit}" not implemented: it has no fixed length of elapsed time`);
    return this.fail(path, `must be one of ${[...Object.keys(UNIT_SECONDS), ...CALENDAR_UNITS].join(', ')}`);
  }
}

function parseRate(r: Reader, value: unknown, path: string): Rate | undefined {
  const o = r.object(value, path, RATE);
  if (o === undefined) return undefined;
  const rate_minor = r.integer(o.rate, `${path}.rate`);
  const unit_seconds = r.unitSeconds(o.rate_unit, `${path}.rate_unit`);
  if (o.rate_unit_period !== undefined && o.rate_unit_period !== 'rolling') {
    r.fail(`${path}.rate_unit_period`, o.rate_unit_period === 'calendar' ? '"calendar" not implemented: only "rolling" (the default)' : 'must be "rolling" or "calendar"');
  }
  if (rate_minor === undefined || unit_seconds === undefined) return undefined;
  const unit = o.rate_unit;
  const duration = (field: 'start_duration' | 'end_duration' | 'increment_duration') =>
    o[field] === undefined ? null : (r.minutes(o[field], unit, `${path}.${field}`, `${path}.rate_unit`) ?? null);
  const increment_amount_minor = o.increment_amount === undefined ? null : (r.integer(o.increment_amount, `${path}.increment_amount`, 1) ?? null);
  const rate: Rate = {
    rate_minor,
    rate_unit: unit as string,
    unit_seconds,
    start_minute: duration('start_duration') ?? 0,
    end_minute: duration('end_duration'),
    increment_minutes: duration('increment_duration'),
    increment_amount_minor,
  };
  if (rate.increment_minutes === 0) r.fail(`${path}.increment_duration`, 'must be at least 1');
  if (rate.end_minute !== null && rate.end_minute <= rate.start_minute) r.fail(`${path}.end_duration`, 'must be after start_duration');
  return rate;
}

/** Bands sorted, from 0, without overlap or gap (CDS: "must span from 0 … without overlap"). */
function checkBands(r: Reader, rates: Rate[], path: string): Rate[] {
  const sorted = [...rates].sort((a, b) => a.start_minute - b.start_minute);
  let covered_to = 0;
  for (const [i, band] of sorted.entries()) {
    if (covered_to === null || band.start_minute !== covered_to) {
      r.fail(path, `rates must follow each other from minute 0 without gap or overlap (a band starts at minute ${band.start_minute})`);
      break;
    }
    if (band.end_minute === null && i < sorted.length - 1) {
      r.fail(path, 'only the last rate may leave end_duration open');
      break;
    }
    covered_to = band.end_minute as number;
  }
  return sorted;
}

function parseRule(r: Reader, value: unknown, path: string): Rule | undefined {
  const o = r.object(value, path, RULE);
  if (o === undefined) return undefined;
  const activity = (PARKING_ACTIVITIES as readonly unknown[]).includes(o.activity) ? (o.activity as Activity) : r.fail(`${path}.activity`, `must be one of ${PARKING_ACTIVITIES.join(', ')}`);
  const max_stay_minutes = o.max_stay === undefined ? null : r.minutes(o.max_stay, o.max_stay_unit, `${path}.max_stay`, `${path}.max_stay_unit`);
  const no_return_minutes = o.no_return === undefined ? 0 : r.minutes(o.no_return, o.no_return_unit, `${path}.no_return`, `${path}.no_return_unit`);
  const user_classes = o.user_classes === undefined ? [] : r.strings(o.user_classes, `${path}.user_classes`);
  const items = o.rate === undefined ? [] : (r.array(o.rate, `${path}.rate`) ?? []);
  const rates = items.map((item, i) => parseRate(r, item, `${path}.rate[${i}]`));
  if (activity === undefined || max_stay_minutes === undefined || no_return_minutes === undefined || user_classes === undefined || !rates.every((x) => x !== undefined)) return undefined;
  if (activity !== 'parking' && rates.length > 0) r.fail(`${path}.rate`, `a "${activity}" rule cannot carry rates`);
  return { activity, max_stay_minutes, no_return_minutes, user_classes, rates: checkBands(r, rates as Rate[], `${path}.rate`) };
}

function minuteOfDay(r: Reader, value: unknown, path: string, absent: number): number {
  if (value === undefined) return absent;
  if (value === '24:00' && absent === 1440) return 1440;
  const m = typeof value === 'string' ? TIME_OF_DAY.exec(value) : null;
  if (m === null) return r.fail(path, 'must be "HH:MM" (24-hour)') ?? absent;
  return Number(m[1]) * 60 + Number(m[2]);
}

function parseTimeSpan(r: Reader, value: unknown, path: string, periods: ReadonlyMap<string, unknown>): TimeSpan | undefined {
  const o = r.object(value, path, TIME_SPAN);
  if (o === undefined) return undefined;
  const span: TimeSpan = {
    minute_start: minuteOfDay(r, o.time_of_day_start, `${path}.time_of_day_start`, 0),
    minute_end: minuteOfDay(r, o.time_of_day_end, `${path}.time_of_day_end`, 1440),
  };
  if (o.start_date !== undefined) span.start_ms = r.timestamp(o.start_date, `${path}.start_date`);
  if (o.end_date !== undefined) span.end_ms = r.timestamp(o.end_date, `${path}.end_date`);
  if (o.days_of_week !== undefined) {
    const days = r.strings(o.days_of_week, `${path}.days_of_week`);
    const bad = days?.findIndex((d) => !(WEEKDAYS as readonly string[]).includes(d)) ?? -1;
    if (bad >= 0) r.fail(`${path}.days_of_week[${bad}]`, `must be one of ${WEEKDAYS.join(', ')}`);
    else if (days !== undefined) span.days_of_week = days as Weekday[];
  }
  if (o.days_of_month !== undefined) span.days_of_month = r.integersIn(o.days_of_month, `${path}.days_of_month`, 1, 31);
  if (o.months !== undefined) span.months = r.integersIn(o.months, `${path}.months`, 1, 12);
  if (o.designated_period !== undefined) {
    const name = r.string(o.designated_period, `${path}.designated_period`);
    if (name !== undefined && !periods.has(name)) r.fail(`${path}.designated_period`, `"${name}" is not defined in civicard_designated_periods: its dates are unknown`);
    if (o.designated_period_except !== undefined && typeof o.designated_period_except !== 'boolean') r.fail(`${path}.designated_period_except`, 'must be true or false');
    if (name !== undefined) span.designated_period = { name, except: o.designated_period_except === true };
  } else if (o.designated_period_except !== undefined) {
    r.fail(`${path}.designated_period_except`, 'needs a designated_period');
  }
  return span;
}

function parsePolicy(r: Reader, value: unknown, path: string, periods: ReadonlyMap<string, unknown>): Policy | undefined {
  const o = r.object(value, path, POLICY);
  if (o === undefined) return undefined;
  const curb_policy_id = r.string(o.curb_policy_id, `${path}.curb_policy_id`);
  const priority = r.integer(o.priority, `${path}.priority`, Number.MIN_SAFE_INTEGER);
  const rules = (r.array(o.rules, `${path}.rules`) ?? []).map((rule, i) => parseRule(r, rule, `${path}.rules[${i}]`));
  const spans = o.time_spans === undefined ? [] : (r.array(o.time_spans, `${path}.time_spans`) ?? []).map((s, i) => parseTimeSpan(r, s, `${path}.time_spans[${i}]`, periods));
  const operators = o.data_source_operator_id === undefined ? [] : r.strings(o.data_source_operator_id, `${path}.data_source_operator_id`);
  if (curb_policy_id === undefined || priority === undefined || operators === undefined || !rules.every((x) => x !== undefined) || !spans.every((x) => x !== undefined)) return undefined;
  return { curb_policy_id, priority, rules: rules as Rule[], time_spans: spans as TimeSpan[], operators_only: operators.length > 0 };
}

function policyIds(r: Reader, value: unknown, path: string, known: ReadonlyMap<string, Policy>): string[] | undefined {
  const ids = r.strings(value, path);
  const missing = ids?.findIndex((id) => !known.has(id)) ?? -1;
  if (missing >= 0) return r.fail(`${path}[${missing}]`, 'names a policy that is not in data.policies');
  return ids;
}

function parseZone(r: Reader, value: unknown, path: string, policies: ReadonlyMap<string, Policy>): Zone | undefined {
  const o = r.object(value, path, ZONE);
  if (o === undefined) return undefined;
  const curb_zone_id = r.string(o.curb_zone_id, `${path}.curb_zone_id`);
  const curb_policy_ids = policyIds(r, o.curb_policy_ids, `${path}.curb_policy_ids`, policies);
  const start_ms = r.timestamp(o.start_date, `${path}.start_date`);
  const prev = o.prev_policies === undefined ? [] : (r.array(o.prev_policies, `${path}.prev_policies`) ?? []);
  const prev_policies = prev.map((p, i) => {
    const at = `${path}.prev_policies[${i}]`;
    const po = r.object(p, at, PREV_POLICY);
    if (po === undefined) return undefined;
    const ids = policyIds(r, po.curb_policy_ids, `${at}.curb_policy_ids`, policies);
    const [from, to] = [r.timestamp(po.start_date, `${at}.start_date`), r.timestamp(po.end_date, `${at}.end_date`)];
    return ids === undefined || from === undefined || to === undefined ? undefined : { curb_policy_ids: ids, start_ms: from, end_ms: to };
  });
  if (curb_zone_id === undefined || curb_policy_ids === undefined || start_ms === undefined || !prev_policies.every((p) => p !== undefined)) return undefined;
  const zone: Zone = { curb_zone_id, curb_policy_ids, start_ms, prev_policies: prev_policies as Zone['prev_policies'] };
  if (o.user_zone_id !== undefined) zone.user_zone_id = r.string(o.user_zone_id, `${path}.user_zone_id`);
  if (o.end_date !== undefined) zone.end_ms = r.timestamp(o.end_date, `${path}.end_date`);
  return zone;
}

function parsePeriods(r: Reader, value: unknown): Map<string, Set<string>> {
  const periods = new Map<string, Set<string>>();
  if (value === undefined) return periods;
  const path = 'civicard_designated_periods';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return r.fail(path, 'must be an object of period name → local dates') ?? periods;
  for (const [name, dates] of Object.entries(value)) {
    const list = r.strings(dates, `${path}.${name}`) ?? [];
    const bad = list.findIndex((d) => !LOCAL_DATE.test(d));
    if (bad >= 0) r.fail(`${path}.${name}[${bad}]`, 'must be a local date "YYYY-MM-DD"');
    periods.set(name, new Set(list));
  }
  return periods;
}

function parseEnvelope(r: Reader, json: unknown): { time_zone?: string; currency?: string; data?: Obj; periods: Map<string, Set<string>> } {
  const env = r.object(json, '$', ENVELOPE);
  if (env === undefined) return { periods: new Map() };
  if (typeof env.version !== 'string' || !/^1(\.\d+){1,2}$/.test(env.version)) r.fail('$.version', 'must be a CDS 1.x version ("1.0", "1.0.1")');
  const time_zone = r.string(env.time_zone, '$.time_zone');
  if (time_zone !== undefined && !isKnownTimeZone(time_zone)) r.fail('$.time_zone', `"${time_zone}" is not a time zone this system knows`);
  // CDS: "If the currency field is null, USD cents is implied."
  const currency = env.currency === null ? 'USD' : typeof env.currency === 'string' && /^[A-Z]{3}$/.test(env.currency) ? env.currency : r.fail('$.currency', 'must be an ISO 4217 code');
  const links = env.links as Obj | undefined;
  if (links !== undefined && (typeof links !== 'object' || links === null || (links.next !== undefined && links.next !== null))) {
    r.fail('$.links.next', 'the file is one page of several: the missing pages could change prices');
  }
  const data = r.object(env.data, '$.data', DATA);
  return { time_zone, currency, data, periods: parsePeriods(r, env.civicard_designated_periods) };
}

export function parseTariffs(json: unknown): ParseResult {
  const r = new Reader();
  const { time_zone, currency, data, periods } = parseEnvelope(r, json);
  const policies = new Map<string, Policy>();
  for (const [i, item] of (data === undefined ? [] : (r.array(data.policies, '$.data.policies') ?? [])).entries()) {
    const policy = parsePolicy(r, item, `$.data.policies[${i}]`, periods);
    if (policy === undefined) continue;
    if (policies.has(policy.curb_policy_id)) r.fail(`$.data.policies[${i}].curb_policy_id`, 'appears twice');
    policies.set(policy.curb_policy_id, policy);
  }
  const zones = (data === undefined ? [] : (r.array(data.zones, '$.data.zones') ?? [])).map((z, i) => parseZone(r, z, `$.data.zones[${i}]`, policies));
  if (r.errors.length > 0 || time_zone === undefined || currency === undefined) return { ok: false, errors: r.errors };
  return { ok: true, tariffs: { time_zone, currency, zones: zones as Zone[], policies, designated_periods: periods } };
}

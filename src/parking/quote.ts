import { sumMinor, type Minor } from '../shared/money';
import { governingRule, type Governing } from './governing';
import { billedMinutes, priceOf } from './price';
import type { Rate, Tariffs, Zone } from './types';
import { isoWithOffset, parseInstant } from './wall-clock';

// A parking quote: what `minutes` of elapsed time from `start` cost in a zone.
// The stay is walked minute by minute (bounded); each minute is governed by one
// rule (governing.ts). `max_stay` and the rate bands count the minutes of the
// current run under that rule: from arrival, or from when the rule began to
// apply if later (a car parked before the meter starts owes from its start).
// Expected refusals are values, never exceptions.

export const MINUTES_MAX = 31 * 1440;
const MINUTE_MS = 60_000;

export type QuoteRequest = {
  tariffs: Tariffs;
  /** `curb_zone_id` or `user_zone_id`. */
  zone: string;
  /** ISO 8601 with an offset or `Z`. */
  start: string;
  minutes: number;
  /** CDS user classes the vehicle has (`car`, `disabled_parking_permit`, …); none: the general public. */
  user_classes?: readonly string[];
  /** When this vehicle's previous stay in the zone ended, for `no_return`. */
  last_session_end?: string;
};

export type QuoteLine = {
  from: string;
  to: string;
  curb_policy_id: string;
  minutes: number;
  billed_minutes: number;
  rate_minor: number;
  rate_unit: string | null;
  amount_minor: Minor;
};

export type RefusalReason =
  | 'invalid_request'
  | 'unknown_zone'
  | 'zone_not_in_force'
  | 'ambiguous_zone'
  | 'no_policy'
  | 'ambiguous_policies'
  | 'no_parking'
  | 'beyond_max_stay'
  | 'inside_no_return'
  | 'no_rate';

export type QuoteResult =
  | { ok: true; amount_minor: Minor; currency: string; end: string; breakdown: QuoteLine[] }
  | { ok: false; reason: RefusalReason; detail: string };

const refuse = (reason: RefusalReason, detail: string): QuoteResult => ({ ok: false, reason, detail });

type Group = { policy_id: string; run: string; band: Rate | null; first_minute: number; minutes: number };

function findZone(tariffs: Tariffs, id: string, start_ms: number, end_ms: number): Zone | QuoteResult {
  const named = tariffs.zones.filter((z) => z.curb_zone_id === id || z.user_zone_id === id);
  if (named.length === 0) return refuse('unknown_zone', `no zone has curb_zone_id or user_zone_id "${id}"`);
  const inForce = named.filter((z) => z.start_ms <= start_ms && (z.end_ms === undefined || end_ms <= z.end_ms));
  if (inForce.length === 0) return refuse('zone_not_in_force', `zone "${id}" is not valid for the whole stay (start_date/end_date)`);
  if (inForce.length > 1) return refuse('ambiguous_zone', `${inForce.length} zones answer to "${id}" at that time`);
  return inForce[0]!;
}

function unlessParking(g: Governing, at: string): QuoteResult | null {
  if (g.kind === 'none') return refuse('no_policy', `no policy of the zone applies at ${at}`);
  if (g.kind === 'ambiguous') return refuse('ambiguous_policies', `policies ${g.policy_ids.join(' and ')} share a priority at ${at}`);
  if (g.rule.activity !== 'parking') return refuse('no_parking', `"${g.rule.activity}" (policy ${g.policy.curb_policy_id}) at ${at}`);
  return null;
}

function checkRequest(req: QuoteRequest): { start_ms: number; last_end_ms: number | null } | QuoteResult {
  const start_ms = parseInstant(req.start);
  if (start_ms === null) return refuse('invalid_request', 'start must be ISO 8601 with an offset or Z, e.g. 2025-07-11T10:00:00-05:00');
  if (!Number.isSafeInteger(req.minutes) || req.minutes < 1 || req.minutes > MINUTES_MAX) return refuse('invalid_request', `minutes must be a whole number from 1 to ${MINUTES_MAX}`);
  if (req.last_session_end === undefined) return { start_ms, last_end_ms: null };
  const last_end_ms = parseInstant(req.last_session_end);
  if (last_end_ms === null) return refuse('invalid_request', 'last_session_end must be ISO 8601 with an offset or Z');
  if (last_end_ms > start_ms) return refuse('invalid_request', 'last_session_end is after start');
  return { start_ms, last_end_ms };
}

export function quote(req: QuoteRequest): QuoteResult {
  const checked = checkRequest(req);
  if ('ok' in checked) return checked;
  const { start_ms, last_end_ms } = checked;
  const { tariffs } = req;
  const end_ms = start_ms + req.minutes * MINUTE_MS;
  const zone = findZone(tariffs, req.zone, start_ms, end_ms);
  if ('ok' in zone) return zone;
  const user_classes = req.user_classes ?? [];
  const iso = (at_ms: number) => isoWithOffset(at_ms, tariffs.time_zone);

  const first = governingRule(tariffs, zone, start_ms, user_classes);
  const notParking = unlessParking(first, iso(start_ms));
  if (notParking !== null) return notParking;
  if (first.kind === 'rule' && last_end_ms !== null && start_ms - last_end_ms < first.rule.no_return_minutes * MINUTE_MS) {
    const back = iso(last_end_ms + first.rule.no_return_minutes * MINUTE_MS);
    return refuse('inside_no_return', `policy ${first.policy.curb_policy_id} asks ${first.rule.no_return_minutes} minutes away after a stay; back from ${back}`);
  }

  const groups: Group[] = [];
  let run = '';
  let run_start = 0;
  for (let i = 0; i < req.minutes; i++) {
    const at_ms = start_ms + i * MINUTE_MS;
    const g = i === 0 ? first : governingRule(tariffs, zone, at_ms, user_classes);
    const refused = unlessParking(g, iso(at_ms));
    if (refused !== null) return refused;
    if (g.kind !== 'rule') throw new Error('unreachable: unlessParking passed a non-rule');
    const key = `${g.policy.curb_policy_id}#${g.rule_index}`;
    if (key !== run) [run, run_start] = [key, i];
    const minute_in_run = i - run_start;
    const max_stay = g.rule.max_stay_minutes;
    if (max_stay !== null && minute_in_run >= max_stay) {
      return refuse('beyond_max_stay', `policy ${g.policy.curb_policy_id} allows ${max_stay} minutes from ${iso(start_ms + run_start * MINUTE_MS)}; the stay would last until ${iso(end_ms)}`);
    }
    const band = g.rule.rates.length === 0 ? null : g.rule.rates.find((r) => minute_in_run >= r.start_minute && (r.end_minute === null || minute_in_run < r.end_minute));
    if (band === undefined) return refuse('no_rate', `policy ${g.policy.curb_policy_id} has no rate for minute ${minute_in_run + 1} of its run`);
    const last = groups.at(-1);
    if (last !== undefined && last.run === `${key}@${run_start}` && last.band === band) last.minutes++;
    else groups.push({ policy_id: g.policy.curb_policy_id, run: `${key}@${run_start}`, band, first_minute: i, minutes: 1 });
  }

  const breakdown = groups.map((g): QuoteLine => ({
    from: iso(start_ms + g.first_minute * MINUTE_MS),
    to: iso(start_ms + (g.first_minute + g.minutes) * MINUTE_MS),
    curb_policy_id: g.policy_id,
    minutes: g.minutes,
    billed_minutes: g.band === null ? g.minutes : billedMinutes(g.band, g.minutes),
    rate_minor: g.band?.rate_minor ?? 0,
    rate_unit: g.band?.rate_unit ?? null,
    amount_minor: (g.band === null ? 0 : priceOf(g.band, g.minutes)) as Minor,
  }));
  return { ok: true, amount_minor: sumMinor(breakdown.map((l) => l.amount_minor)), currency: tariffs.currency, end: iso(end_ms), breakdown };
}

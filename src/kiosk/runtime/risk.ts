import { err, ok, type CheckRiskInput, type CheckRiskResult } from '../machines/contracts';
import type { KioskLedgerPort } from './ledger-port';

// Offline risk controls (DESIGN §7). All limits come from the signed config and
// are shown on the maintenance screen; a kiosk with a stale hotlist refuses
// risky offline debits rather than guessing.

export interface RiskPolicy {
  /** Largest single debit while offline. */
  readonly offline_tx_max_minor: number;
  /** Total committed debits not yet acknowledged by the back office. */
  readonly unsynced_cap_minor: number;
  /** Hotlist older than this: refuse debits. */
  readonly hotlist_max_age_ms: number;
  /** Per card per day: the kiosk's day, from local midnight in its time zone. */
  readonly daily_card_max_minor: number;
}

export const DEFAULT_RISK_POLICY: RiskPolicy = {
  offline_tx_max_minor: 5_000,
  unsynced_cap_minor: 200_000,
  hotlist_max_age_ms: 72 * 3_600_000,
  daily_card_max_minor: 20_000,
};

export interface RiskEnvironment {
  readonly policy: RiskPolicy;
  readonly ledger: KioskLedgerPort;
  readonly online: () => boolean;
  readonly hotlistAgeMs: () => number;
  readonly now: () => Date;
  /**
   * The kiosk's IANA time zone: its day and a card's expiry date follow the
   * local calendar. Where the kiosk is wired it defaults to the receipt's.
   */
  readonly time_zone?: string;
}

export async function checkRisk(env: RiskEnvironment & { readonly time_zone: string }, { card, amount_minor }: CheckRiskInput): Promise<CheckRiskResult> {
  if (card.hotlisted) return err('hotlisted');
  if (card.status !== 'active') return err('blocked');
  const now_ms = env.now().getTime();
  const today = localDate(now_ms, env.time_zone);
  if (card.expires_on < today) return err('expired');
  if (amount_minor === 0) return ok(null);
  if (env.hotlistAgeMs() > env.policy.hotlist_max_age_ms) return err('hotlist_stale');
  if (!env.online()) {
    if (amount_minor > env.policy.offline_tx_max_minor) return err('offline_tx_limit');
    if ((await env.ledger.unsyncedDebitsMinor()) + amount_minor > env.policy.unsynced_cap_minor) return err('unsynced_cap');
  }
  const dayStart = startOfLocalDay(now_ms, env.time_zone);
  if ((await env.ledger.cardDebitsSinceMinor(card.card_ref, dayStart)) + amount_minor > env.policy.daily_card_max_minor) return err('daily_limit');
  return ok(null);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const DATE_FORMATS_MAX = 16;

/** `YYYY-MM-DD` of the instant on the wall calendar of `time_zone`. */
export function localDate(at_ms: number, time_zone: string): string {
  let format = dateFormats.get(time_zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: time_zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (dateFormats.size >= DATE_FORMATS_MAX) dateFormats.clear(); // bounded: a kiosk has one zone
    dateFormats.set(time_zone, format);
  }
  const parts = format.formatToParts(at_ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

// Every zone's offset lies within −12:00…+14:00, so this long before a date's
// UTC midnight it is still the day before everywhere.
const BEFORE_ANY_LOCAL_MIDNIGHT_MS = 15 * 3_600_000;

/**
 * The first instant of the local day holding `at_ms` in `time_zone` (local
 * midnight, or the first instant of the date where a clock change skips
 * midnight). Days are 23 or 25 hours long across DST changes, so it is found
 * on the zone's own calendar by binary search (at most 28 steps to the
 * millisecond), never by subtracting hours.
 */
export function startOfLocalDay(at_ms: number, time_zone: string): number {
  const today = localDate(at_ms, time_zone);
  const utcMidnight = Date.parse(`${today}T00:00:00Z`);
  let before = utcMidnight - BEFORE_ANY_LOCAL_MIDNIGHT_MS; // the previous local day
  let from = at_ms; // today
  while (from - before > 1) {
    const mid = Math.floor((before + from) / 2);
    if (localDate(mid, time_zone) < today) before = mid;
    else from = mid;
  }
  return from;
}

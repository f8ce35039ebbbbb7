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
  /** Per card per day (kiosk-local day). */
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
}

export async function checkRisk(env: RiskEnvironment, { card, amount_minor }: CheckRiskInput): Promise<CheckRiskResult> {
  if (card.hotlisted) return err('hotlisted');
  if (card.status !== 'active') return err('blocked');
  const today = env.now().toISOString().slice(0, 10);
  if (card.expires_on < today) return err('expired');
  if (amount_minor === 0) return ok(null);
  if (env.hotlistAgeMs() > env.policy.hotlist_max_age_ms) return err('hotlist_stale');
  if (!env.online()) {
    if (amount_minor > env.policy.offline_tx_max_minor) return err('offline_tx_limit');
    if ((await env.ledger.unsyncedDebitsMinor()) + amount_minor > env.policy.unsynced_cap_minor) return err('unsynced_cap');
  }
  const dayStart = new Date(`${today}T00:00:00Z`).getTime();
  if ((await env.ledger.cardDebitsSinceMinor(card.card_ref, dayStart)) + amount_minor > env.policy.daily_card_max_minor) return err('daily_limit');
  return ok(null);
}

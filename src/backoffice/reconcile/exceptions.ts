import type { ExceptionSeverity } from '../db/schema';

// What reconciliation finds, one row per finding. Exceptions are data: a day
// with exceptions still reconciles; each one says in plain words what a
// finance clerk should look at. No names ever: a card is its card_ref.

export const RECONCILIATION_KINDS = [
  'chain_broken',
  'entries_missing',
  'projection_mismatch',
  'card_clone',
  'duplicate_transaction',
  'counter_gap',
  'counter_went_back',
  'balance_discontinuity',
  'unknown_starting_balance',
  'tmac_malformed',
  'tmac_reused',
  'open_intent',
  'open_intent_settled',
  'shift_short',
  'shift_over',
  'shift_expected_mismatch',
  'shift_not_closed',
  'service_not_posted',
  'service_unacknowledged',
  'refused_not_returned',
  'liability_unexplained',
  'liability_mismatch',
  'late_debit_after_hotlist',
  'replacement_used_twice',
  'replacement_not_authorised',
] as const;

export type ReconciliationKind = (typeof RECONCILIATION_KINDS)[number];

export interface ReconException {
  kind: ReconciliationKind;
  severity: ExceptionSeverity;
  kiosk_id: string | null;
  card_ref: string | null;
  tx_id: string | null;
  explanation: string;
  /** The figures behind the explanation. */
  detail: Record<string, unknown>;
}

const SEVERITY_ORDER: Record<ExceptionSeverity, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first, then by kind, kiosk, card and transaction: the same day gives the same list. */
export function sortExceptions(list: ReconException[]): ReconException[] {
  const key = (e: ReconException) => [e.kind, e.kiosk_id ?? '', e.card_ref ?? '', e.tx_id ?? ''].join('\u0000');
  return [...list].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** A card reference cut short for reports read by people (the full one stays in summary.json and the exceptions table). */
export function shortRef(card_ref: string | null): string {
  return card_ref === null ? '' : `${card_ref.slice(0, 8)}…`;
}

/** Minor units with thousands separators, sign first: `-12,345`. */
export function units(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  return sign + String(Math.abs(minor)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

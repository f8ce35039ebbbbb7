import { sql } from 'kysely';
import type { BackOfficeStore } from '../../src/backoffice/db/connect';
import { cardEventsCte } from '../../src/backoffice/reconcile/card-events';
import type { BusinessDay } from '../../src/backoffice/reconcile/day';

// What the card checks and the liability equation find, by their definitions
// over every entry held: window functions over each card's whole history
// (src/backoffice/reconcile/card-events.ts's `ev`), as reconciliation did
// before it read the card book. Slow and plain on purpose: the oracle
// reconcile-oracle.test.ts holds the card book's index-seeking queries to.

export interface ReferenceFinding {
  kind: string;
  kiosk_id: string;
  card_ref: string;
  tx_id: string;
}

export interface ReferenceCard {
  card_ref: string;
  start_balance_minor: number;
  end_balance_minor: number;
  credits_minor: number;
  debits_minor: number;
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const LAST_BY_COUNTER = sql`ROW_NUMBER() OVER (PARTITION BY ev.card_ref ORDER BY ev.counter_before DESC, ev.at_ms, ev.kiosk_id, ev.tx_id)`;

export async function referenceCardFindings(store: BackOfficeStore, day: BusinessDay): Promise<ReferenceFinding[]> {
  const { start_ms, end_ms } = day;
  const dayCards = sql`day_cards AS (SELECT DISTINCT card_ref FROM ev WHERE at_ms >= ${start_ms} AND at_ms < ${end_ms})`;
  const out: ReferenceFinding[] = [];

  type Row = { kiosk_id: string; tx_id: string; card_ref: string; counter_before: unknown; balance_after: unknown; tmac_value: string | null };
  const { rows: same } = await sql<Row>`
    WITH ${cardEventsCte()}, ${dayCards},
    g AS (
      SELECT ev.*, COUNT(*) OVER (PARTITION BY ev.card_ref, ev.counter_before) AS n,
             MAX(ev.at_ms) OVER (PARTITION BY ev.card_ref, ev.counter_before) AS last_at
      FROM ev JOIN day_cards d ON d.card_ref = ev.card_ref WHERE ev.at_ms < ${end_ms})
    SELECT kiosk_id, tx_id, card_ref, counter_before, balance_after, tmac_value FROM g WHERE n > 1 AND last_at >= ${start_ms}
    ORDER BY card_ref, counter_before, at_ms, kiosk_id, tx_id`.execute(store.db);
  const groups = new Map<string, Row[]>();
  for (const r of same) groups.set(`${r.card_ref}:${n(r.counter_before)}`, [...(groups.get(`${r.card_ref}:${n(r.counter_before)}`) ?? []), r]);
  for (const [first, ...rest] of groups.values()) {
    const sameTx = rest.every((r) => r.tx_id === first!.tx_id);
    const sameTmac = first!.tmac_value !== null && rest.every((r) => r.tmac_value === first!.tmac_value && n(r.balance_after) === n(first!.balance_after));
    for (const r of rest) out.push({ kind: sameTx || sameTmac ? 'duplicate_transaction' : 'card_clone', kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id });
  }

  const { rows: cont } = await sql<Row & { balance_before: unknown; prev_counter_after: unknown; prev_balance_after: unknown }>`
    WITH ${cardEventsCte()}, ${dayCards},
    d AS (
      SELECT ev.*, ROW_NUMBER() OVER (PARTITION BY ev.card_ref, ev.counter_before ORDER BY ev.at_ms, ev.kiosk_id, ev.tx_id) AS rn
      FROM ev JOIN day_cards c ON c.card_ref = ev.card_ref WHERE ev.at_ms < ${end_ms}),
    s AS (
      SELECT d.*, LAG(counter_after) OVER (PARTITION BY card_ref ORDER BY counter_before) AS prev_counter_after,
             LAG(balance_after) OVER (PARTITION BY card_ref ORDER BY counter_before) AS prev_balance_after
      FROM d WHERE rn = 1)
    SELECT kiosk_id, tx_id, card_ref, counter_before, balance_before, balance_after, tmac_value, prev_counter_after, prev_balance_after FROM s
    WHERE at_ms >= ${start_ms}
      AND ((prev_counter_after IS NULL AND balance_before <> 0)
        OR (prev_counter_after IS NOT NULL AND (counter_before <> prev_counter_after OR balance_before <> prev_balance_after)))`.execute(store.db);
  for (const r of cont) {
    const kind =
      r.prev_counter_after === null
        ? 'unknown_starting_balance'
        : n(r.counter_before) > n(r.prev_counter_after)
          ? 'counter_gap'
          : n(r.counter_before) < n(r.prev_counter_after)
            ? 'counter_went_back'
            : 'balance_discontinuity';
    out.push({ kind, kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id });
  }

  const { rows: malformed } = await sql<Row>`
    WITH ${cardEventsCte()}
    SELECT kiosk_id, tx_id, card_ref FROM ev WHERE at_ms >= ${start_ms} AND at_ms < ${end_ms} AND tmac_value IS NOT NULL AND LENGTH(tmac_value) <> 16`.execute(store.db);
  for (const r of malformed) out.push({ kind: 'tmac_malformed', kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id });
  const { rows: reused } = await sql<Row>`
    WITH ${cardEventsCte()}, ${dayCards},
    t AS (
      SELECT ev.card_ref, ev.kiosk_id, ev.tx_id, ev.counter_before, ev.at_ms,
             COUNT(*) OVER (PARTITION BY ev.card_ref, ev.tmac_value) AS uses,
             MIN(ev.counter_before) OVER (PARTITION BY ev.card_ref, ev.tmac_value) AS first_counter
      FROM ev JOIN day_cards c ON c.card_ref = ev.card_ref WHERE ev.tmac_value IS NOT NULL AND ev.at_ms < ${end_ms})
    SELECT card_ref, kiosk_id, tx_id FROM t WHERE uses > 1 AND counter_before > first_counter AND at_ms >= ${start_ms}`.execute(store.db);
  for (const r of reused) out.push({ kind: 'tmac_reused', kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id });
  return out;
}

export async function referenceLiability(store: BackOfficeStore, day: BusinessDay): Promise<{ start_minor: number; end_minor: number; cards_with_balance_at_end: number; cards: ReferenceCard[] }> {
  const at = async (t: number) => {
    const { rows } = await sql<{ total: unknown; cards: unknown }>`
      WITH ${cardEventsCte()},
      l AS (SELECT ev.card_ref, ev.balance_after, ${LAST_BY_COUNTER} AS rn FROM ev WHERE ev.at_ms < ${t})
      SELECT SUM(balance_after) AS total, COUNT(*) AS cards FROM l WHERE rn = 1`.execute(store.db);
    return { total: n(rows[0]?.total), cards: n(rows[0]?.cards) };
  };
  const { start_ms, end_ms } = day;
  const { rows } = await sql<{ card_ref: string; credits: unknown; debits: unknown; start_balance: unknown; end_balance: unknown }>`
    WITH ${cardEventsCte()},
    act AS (
      SELECT card_ref, SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END) AS credits,
             SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END) AS debits
      FROM ev WHERE at_ms >= ${start_ms} AND at_ms < ${end_ms} GROUP BY card_ref),
    s AS (SELECT ev.card_ref, ev.balance_after, ${LAST_BY_COUNTER} AS rn FROM ev JOIN act ON act.card_ref = ev.card_ref WHERE ev.at_ms < ${start_ms}),
    e AS (SELECT ev.card_ref, ev.balance_after, ${LAST_BY_COUNTER} AS rn FROM ev JOIN act ON act.card_ref = ev.card_ref WHERE ev.at_ms < ${end_ms})
    SELECT act.card_ref, act.credits, act.debits, s.balance_after AS start_balance, e.balance_after AS end_balance
    FROM act LEFT JOIN s ON s.card_ref = act.card_ref AND s.rn = 1 LEFT JOIN e ON e.card_ref = act.card_ref AND e.rn = 1
    ORDER BY act.card_ref`.execute(store.db);
  const start = await at(start_ms);
  const end = await at(end_ms);
  return {
    start_minor: start.total,
    end_minor: end.total,
    cards_with_balance_at_end: end.cards,
    cards: rows.map((r) => ({ card_ref: r.card_ref, start_balance_minor: n(r.start_balance), end_balance_minor: n(r.end_balance), credits_minor: n(r.credits), debits_minor: n(r.debits) })),
  };
}

import { sql } from 'kysely';
import { int, intOrNull } from './card-events';
import type { ReconcileContext } from './context';
import { shortRef, units, type ReconException } from './exceptions';

// Each card's history across all kiosks, ordered by the card's own Transaction
// MAC counter (it moves on every commit, whichever kiosk made it), for the
// cards that moved money during the day:
//   - clone / duplicate: two committed transactions that started at the same
//     counter. The same transaction recorded twice (same tx id, or the same
//     Transaction MAC) is a duplicate; different transactions are two cards
//     with one history, a clone (or a card restored from an image).
//   - continuity: each transaction starts at the counter and balance the one
//     before it left. A jump in the counter is a gap: card transactions the
//     back office does not hold (a kiosk not yet synced, or unknown); the
//     counter going back is a clone; the same counter with another balance is
//     a balance discontinuity (value appeared or vanished on the card).
//   - Transaction MAC: present and well formed (8 bytes), and never the same
//     value for two different counters of one card (a replayed commit).
// All of it in SQL (window functions) over the card book (fold.ts), so the
// database does the work and reads only the day's cards.

/** A DESFire EV2 Transaction MAC is 8 bytes: 16 hex digits. */
const TMAC_HEX_DIGITS = 16;

export interface TmacFigures {
  commits_with_tmac: number;
  well_formed: number;
  /** Always 0: see docs/reconciliation.md, "Transaction MAC". */
  verified_cryptographically: number;
  note: string;
}

export const TMAC_NOTE =
  'Transaction MACs are checked for presence, shape (8 bytes), counter order and reuse. They cannot be verified cryptographically here: that needs the card\'s own TMAC key, diversified from its serial number, which the back office never holds (only a keyed hash of the card id), and the exact commands of the transaction, which the ledger does not record.';

export async function checkCards(ctx: ReconcileContext): Promise<{ exceptions: ReconException[]; tmac: TmacFigures }> {
  const exceptions = [...(await sameCounter(ctx)), ...(await continuity(ctx))];
  const tmac = await tmacChecks(ctx, exceptions);
  return { exceptions, tmac };
}

/**
 * Another event of the same card at the same counter, held before the end of
 * the day and ordered before this one (by time, kiosk, tx): this one is not the
 * first at its counter. The first is the one the card's history goes on from.
 */
function sameCounterEarlier(x: string, of: string, end_ms: number) {
  const c = (a: string, col: string) => sql.ref(`${a}.${col}`);
  return sql`${c(x, 'card_ref')} = ${c(of, 'card_ref')} AND ${c(x, 'counter_before')} = ${c(of, 'counter_before')} AND ${c(x, 'at_ms')} < ${end_ms}
    AND (${c(x, 'at_ms')} < ${c(of, 'at_ms')} OR (${c(x, 'at_ms')} = ${c(of, 'at_ms')}
      AND (${c(x, 'kiosk_id')} < ${c(of, 'kiosk_id')} OR (${c(x, 'kiosk_id')} = ${c(of, 'kiosk_id')} AND ${c(x, 'tx_id')} < ${c(of, 'tx_id')}))))`;
}

interface EventRow {
  kiosk_id: string;
  tx_id: string;
  card_ref: string;
  direction: 'debit' | 'credit';
  amount_minor: number | string;
  counter_before: number | string;
  balance_before: number | string;
  balance_after: number | string;
  tmac_value: string | null;
  at_ms: number | string;
}

async function sameCounter(ctx: ReconcileContext): Promise<ReconException[]> {
  const { start_ms, end_ms } = ctx.day;
  const { rows } = await sql<EventRow>`
    WITH pairs AS (SELECT DISTINCT card_ref, counter_before FROM card_events WHERE at_ms >= ${start_ms} AND at_ms < ${end_ms}),
    g AS (
      SELECT ev.*, COUNT(*) OVER (PARTITION BY ev.card_ref, ev.counter_before) AS n,
             MAX(ev.at_ms) OVER (PARTITION BY ev.card_ref, ev.counter_before) AS last_at
      FROM card_events ev JOIN pairs p ON p.card_ref = ev.card_ref AND p.counter_before = ev.counter_before
      WHERE ev.at_ms < ${end_ms})
    SELECT kiosk_id, tx_id, card_ref, direction, amount_minor, counter_before, balance_before, balance_after, tmac_value, at_ms
    FROM g WHERE n > 1 AND last_at >= ${start_ms}
    ORDER BY card_ref, counter_before, at_ms, kiosk_id, tx_id`.execute(ctx.db);
  const groups = new Map<string, EventRow[]>();
  for (const r of rows) {
    const k = `${r.card_ref}:${int(r.counter_before)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: ReconException[] = [];
  for (const group of groups.values()) {
    const [first, ...rest] = group as [EventRow, ...EventRow[]];
    const counter = int(first.counter_before);
    const sameTx = rest.every((r) => r.tx_id === first.tx_id);
    const sameTmac = first.tmac_value !== null && rest.every((r) => r.tmac_value === first.tmac_value && int(r.balance_after) === int(first.balance_after));
    const where = group.map((r) => `${ctx.kioskName(r.kiosk_id)} (${r.direction} ${units(int(r.amount_minor))})`).join(' and ');
    const detail = { counter_before: counter, transactions: group.map((r) => ({ kiosk_id: r.kiosk_id, tx_id: r.tx_id, direction: r.direction, amount_minor: int(r.amount_minor), balance_before_minor: int(r.balance_before), balance_after_minor: int(r.balance_after), tmac_value: r.tmac_value })) };
    for (const r of rest) {
      if (sameTx || sameTmac) {
        out.push({
          kind: 'duplicate_transaction',
          severity: 'critical',
          kiosk_id: r.kiosk_id,
          card_ref: r.card_ref,
          tx_id: r.tx_id,
          explanation: `Card ${shortRef(r.card_ref)}: the same card transaction at counter ${counter} is recorded twice, by ${where}. It must count once; the second record doubles the figures.`,
          detail,
        });
      } else {
        out.push({
          kind: 'card_clone',
          severity: 'critical',
          kiosk_id: r.kiosk_id,
          card_ref: r.card_ref,
          tx_id: r.tx_id,
          explanation: `Card ${shortRef(r.card_ref)}: two different transactions started at the same card counter ${counter}, at ${where}. A genuine card moves its counter on every commit, so one of them was made on a copy of the card (a clone or a restored card). Block the card and compare the two kiosks' receipts.`,
          detail,
        });
      }
    }
  }
  return out;
}

interface ContinuityRow extends EventRow {
  prev_counter_after: number | string | null;
  prev_balance_after: number | string | null;
  prev_tx_id: string | null;
  prev_kiosk_id: string | null;
}

async function continuity(ctx: ReconcileContext): Promise<ReconException[]> {
  const { start_ms, end_ms } = ctx.day;
  const { rows } = await sql<ContinuityRow>`
    WITH de AS (SELECT ev.* FROM card_events ev WHERE ev.at_ms >= ${start_ms} AND ev.at_ms < ${end_ms}),
    f AS (
      SELECT de.*, (SELECT x.counter_before FROM card_events x
                    WHERE x.card_ref = de.card_ref AND x.counter_before < de.counter_before AND x.at_ms < ${end_ms}
                    ORDER BY x.counter_before DESC LIMIT 1) AS prev_counter
      FROM de WHERE NOT EXISTS (SELECT 1 FROM card_events x WHERE ${sameCounterEarlier('x', 'de', end_ms)})),
    s AS (
      SELECT f.*, p.counter_after AS prev_counter_after, p.balance_after AS prev_balance_after, p.tx_id AS prev_tx_id, p.kiosk_id AS prev_kiosk_id
      FROM f LEFT JOIN card_events p ON p.card_ref = f.card_ref AND p.counter_before = f.prev_counter AND p.at_ms < ${end_ms}
        AND NOT EXISTS (SELECT 1 FROM card_events y WHERE ${sameCounterEarlier('y', 'p', end_ms)}))
    SELECT kiosk_id, tx_id, card_ref, direction, amount_minor, counter_before, balance_before, balance_after, tmac_value, at_ms,
           prev_counter_after, prev_balance_after, prev_tx_id, prev_kiosk_id
    FROM s
    WHERE ((prev_counter_after IS NULL AND balance_before <> 0)
        OR (prev_counter_after IS NOT NULL AND (counter_before <> prev_counter_after OR balance_before <> prev_balance_after)))
    ORDER BY card_ref, counter_before`.execute(ctx.db);
  const out: ReconException[] = [];
  for (const r of rows) {
    const counter = int(r.counter_before);
    const balance = int(r.balance_before);
    const base = { kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id };
    const prevCounter = intOrNull(r.prev_counter_after);
    if (prevCounter === null) {
      out.push({
        ...base,
        kind: 'unknown_starting_balance',
        severity: 'warning',
        explanation: `Card ${shortRef(r.card_ref)} first appears at ${ctx.kioskName(r.kiosk_id)} already holding ${units(balance)}, with no opening balance or top-up on record: where that value came from is unknown to the back office.`,
        detail: { counter_before: counter, balance_before_minor: balance },
      });
      continue;
    }
    const prevBalance = int(r.prev_balance_after);
    const detail = { counter_before: counter, balance_before_minor: balance, previous: { tx_id: r.prev_tx_id, kiosk_id: r.prev_kiosk_id, counter_after: prevCounter, balance_after_minor: prevBalance } };
    const moved = `${units(prevBalance)} → ${units(balance)}`;
    if (counter > prevCounter) {
      out.push({
        ...base,
        kind: 'counter_gap',
        severity: 'warning',
        explanation: `Card ${shortRef(r.card_ref)}: its counter jumped from ${prevCounter} to ${counter} before this transaction at ${ctx.kioskName(r.kiosk_id)} (balance ${moved}): ${counter - prevCounter} card transaction(s) the back office does not hold, most likely at a kiosk that has not synced yet.`,
        detail,
      });
    } else if (counter < prevCounter) {
      out.push({
        ...base,
        kind: 'counter_went_back',
        severity: 'critical',
        explanation: `Card ${shortRef(r.card_ref)}: this transaction at ${ctx.kioskName(r.kiosk_id)} started at counter ${counter}, behind the ${prevCounter} the card had already reached: a restored or cloned card.`,
        detail,
      });
    } else {
      out.push({
        ...base,
        kind: 'balance_discontinuity',
        severity: 'critical',
        explanation: `Card ${shortRef(r.card_ref)}: at counter ${counter} the card held ${units(balance)} at ${ctx.kioskName(r.kiosk_id)}, but the transaction before left it with ${units(prevBalance)}. Value ${balance > prevBalance ? 'appeared on' : 'vanished from'} the card without a transaction.`,
        detail,
      });
    }
  }
  return out;
}

async function tmacChecks(ctx: ReconcileContext, out: ReconException[]): Promise<TmacFigures> {
  const { start_ms, end_ms } = ctx.day;
  const { rows: day } = await sql<{ kiosk_id: string; tx_id: string; card_ref: string; tmac_value: string }>`
    SELECT kiosk_id, tx_id, card_ref, tmac_value FROM card_events
    WHERE at_ms >= ${start_ms} AND at_ms < ${end_ms} AND tmac_value IS NOT NULL
    ORDER BY kiosk_id, tx_id`.execute(ctx.db);
  let wellFormed = 0;
  for (const r of day) {
    if (r.tmac_value.length === TMAC_HEX_DIGITS) {
      wellFormed++;
      continue;
    }
    out.push({
      kind: 'tmac_malformed',
      severity: 'warning',
      kiosk_id: r.kiosk_id,
      card_ref: r.card_ref,
      tx_id: r.tx_id,
      explanation: `The Transaction MAC recorded by ${ctx.kioskName(r.kiosk_id)} for this commit is ${r.tmac_value.length / 2} bytes, not the card's 8: it was not copied from the card as it answered.`,
      detail: { tmac_value: r.tmac_value },
    });
  }
  const { rows: reused } = await sql<{ card_ref: string; tmac_value: string; kiosk_id: string; tx_id: string; counter_before: number | string }>`
    SELECT e.card_ref, e.tmac_value, e.kiosk_id, e.tx_id, e.counter_before FROM card_events e
    WHERE e.at_ms >= ${start_ms} AND e.at_ms < ${end_ms} AND e.tmac_value IS NOT NULL
      AND EXISTS (SELECT 1 FROM card_events x WHERE x.tmac_value = e.tmac_value AND x.card_ref = e.card_ref
                  AND x.counter_before < e.counter_before AND x.at_ms < ${end_ms})
    ORDER BY card_ref, counter_before`.execute(ctx.db);
  for (const r of reused) {
    out.push({
      kind: 'tmac_reused',
      severity: 'critical',
      kiosk_id: r.kiosk_id,
      card_ref: r.card_ref,
      tx_id: r.tx_id,
      explanation: `Card ${shortRef(r.card_ref)}: the Transaction MAC recorded at counter ${int(r.counter_before)} by ${ctx.kioskName(r.kiosk_id)} was already recorded for an earlier commit of the same card. A card never repeats it: this commit's evidence was copied, not read from the card.`,
      detail: { tmac_value: r.tmac_value, counter_before: int(r.counter_before) },
    });
  }
  return { commits_with_tmac: day.length, well_formed: wellFormed, verified_cryptographically: 0, note: TMAC_NOTE };
}

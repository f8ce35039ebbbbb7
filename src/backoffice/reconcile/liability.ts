import { sql } from 'kysely';
import { int, intOrNull, lastByCounter } from './card-events';
import type { ReconcileContext } from './context';
import { shortRef, units, type ReconException } from './exceptions';
import type { FlowTotals } from './revenue';

// The outstanding stored value: what the city owes residents on their cards.
// Each card's balance at an instant is the balance after its last committed
// transaction known by then, last by the card's own counter (card-events.ts);
// the liability is the sum over all cards. The day must add up:
//
//   liability at start + top-ups + opening balances − payments − voids + credit backs = liability at end
//
// checked in total and per card. A card whose own history does not add up
// names the cause found by the card checks (gap, clone, duplicate, unknown
// starting balance…); one with no known cause is an exception of its own. Any
// difference in total is a critical exception naming those causes.

export interface CardFigures {
  card_ref: string;
  transactions: number;
  start_balance_minor: number;
  credits_minor: number;
  debits_minor: number;
  end_balance_minor: number;
  difference_minor: number;
  causes: string[];
}

export interface LiabilityEquation {
  start_minor: number;
  top_ups_minor: number;
  opening_balances_minor: number;
  payments_minor: number;
  voids_minor: number;
  credit_backs_minor: number;
  replacements_minor: number;
  expected_end_minor: number;
  end_minor: number;
  difference_minor: number;
  holds: boolean;
  cards_with_balance_at_end: number;
}

/**
 * An upper bound on every at_ms. Spelled out because SQLite, without it, takes
 * `at_ms >= t` for most of the table and reads the whole card index in card
 * order for the DISTINCT; a closed range makes it use the time index.
 */
const FAR_FUTURE_MS = Number.MAX_SAFE_INTEGER;

/**
 * The liability at instant t, from card_latest (each card's balance now) and
 * only the cards that moved since t: a card with no transaction at or after t
 * holds at t what it holds now; one that moved since holds what its last
 * transaction before t left.
 */
async function liabilityAt(ctx: ReconcileContext, t: number): Promise<{ total: number; cards: number }> {
  const { rows } = await sql<{ all_total: number | string | null; all_cards: number | string; now_total: number | string | null; now_cards: number | string; then_total: number | string | null; then_cards: number | string }>`
    WITH moved AS (SELECT DISTINCT card_ref FROM card_events WHERE at_ms >= ${t} AND at_ms < ${FAR_FUTURE_MS}),
    b AS (${lastByCounter('moved', t)})
    SELECT (SELECT SUM(balance_after) FROM card_latest) AS all_total, (SELECT COUNT(*) FROM card_latest) AS all_cards,
           (SELECT SUM(l.balance_after) FROM moved m JOIN card_latest l ON l.card_ref = m.card_ref) AS now_total,
           (SELECT COUNT(*) FROM moved m JOIN card_latest l ON l.card_ref = m.card_ref) AS now_cards,
           (SELECT SUM(balance_after) FROM b) AS then_total, (SELECT COUNT(balance_after) FROM b) AS then_cards`.execute(ctx.db);
  const r = rows[0]!;
  return { total: int(r.all_total) - int(r.now_total) + int(r.then_total), cards: int(r.all_cards) - int(r.now_cards) + int(r.then_cards) };
}

export async function checkLiability(
  ctx: ReconcileContext,
  flows: FlowTotals,
  found: readonly ReconException[],
): Promise<{ equation: LiabilityEquation; cards: CardFigures[]; exceptions: ReconException[] }> {
  const { start_ms, end_ms } = ctx.day;
  const start = await liabilityAt(ctx, start_ms);
  const end = await liabilityAt(ctx, end_ms);
  const expected = start.total + flows.top_ups_minor + flows.opening_balances_minor - flows.payments_minor - flows.voids_minor + flows.credit_backs_minor + flows.replacements_minor;
  const equation: LiabilityEquation = {
    start_minor: start.total,
    top_ups_minor: flows.top_ups_minor,
    opening_balances_minor: flows.opening_balances_minor,
    payments_minor: flows.payments_minor,
    voids_minor: flows.voids_minor,
    credit_backs_minor: flows.credit_backs_minor,
    replacements_minor: flows.replacements_minor,
    expected_end_minor: expected,
    end_minor: end.total,
    difference_minor: end.total - expected,
    holds: end.total === expected,
    cards_with_balance_at_end: end.cards,
  };

  const { rows } = await sql<{ card_ref: string; n: number | string; credits: number | string; debits: number | string; start_balance: number | string | null; end_balance: number | string | null }>`
    WITH act AS (
      SELECT card_ref, COUNT(*) AS n,
             SUM(CASE WHEN direction = 'credit' THEN amount_minor ELSE 0 END) AS credits,
             SUM(CASE WHEN direction = 'debit' THEN amount_minor ELSE 0 END) AS debits
      FROM card_events WHERE at_ms >= ${start_ms} AND at_ms < ${end_ms} GROUP BY card_ref),
    s AS (${lastByCounter('act', start_ms)}),
    e AS (${lastByCounter('act', end_ms)})
    SELECT act.card_ref, act.n, act.credits, act.debits, s.balance_after AS start_balance, e.balance_after AS end_balance
    FROM act
    LEFT JOIN s ON s.card_ref = act.card_ref
    LEFT JOIN e ON e.card_ref = act.card_ref
    ORDER BY act.card_ref`.execute(ctx.db);

  const causesOf = new Map<string, Set<string>>();
  for (const x of found) if (x.card_ref !== null) causesOf.set(x.card_ref, (causesOf.get(x.card_ref) ?? new Set()).add(x.kind));
  const exceptions: ReconException[] = [];
  const cards: CardFigures[] = rows.map((r) => {
    const startBalance = intOrNull(r.start_balance) ?? 0;
    const endBalance = int(r.end_balance);
    const credits = int(r.credits);
    const debits = int(r.debits);
    const difference = endBalance - (startBalance + credits - debits);
    const causes = [...(causesOf.get(r.card_ref) ?? [])].sort();
    if (difference !== 0 && causes.length === 0) {
      exceptions.push({
        kind: 'liability_unexplained',
        severity: 'critical',
        kiosk_id: null,
        card_ref: r.card_ref,
        tx_id: null,
        explanation: `Card ${shortRef(r.card_ref)} ended the day holding ${units(endBalance)}, but ${units(startBalance)} + ${units(credits)} − ${units(debits)} = ${units(startBalance + credits - debits)}; no other check explains the ${units(difference)}.`,
        detail: { start_balance_minor: startBalance, credits_minor: credits, debits_minor: debits, end_balance_minor: endBalance, difference_minor: difference },
      });
    }
    return { card_ref: r.card_ref, transactions: int(r.n), start_balance_minor: startBalance, credits_minor: credits, debits_minor: debits, end_balance_minor: endBalance, difference_minor: difference, causes };
  });

  if (!equation.holds) {
    const off = cards.filter((c) => c.difference_minor !== 0);
    const named = off
      .slice(0, 10)
      .map((c) => `card ${shortRef(c.card_ref)} ${units(c.difference_minor)} (${c.causes.length > 0 ? c.causes.join(', ') : 'no known cause'})`)
      .join('; ');
    exceptions.push({
      kind: 'liability_mismatch',
      severity: 'critical',
      kiosk_id: null,
      card_ref: null,
      tx_id: null,
      explanation: `The money does not add up: liability at the start ${units(equation.start_minor)} plus the day's movements gives ${units(expected)}, but the cards hold ${units(end.total)} at the end, ${units(equation.difference_minor)} apart. ${off.length === 0 ? 'No single card accounts for it.' : `Cards that do not add up: ${named}${off.length > 10 ? ` and ${off.length - 10} more` : ''}.`}`,
      detail: { ...equation, cards: off.map((c) => ({ card_ref: c.card_ref, difference_minor: c.difference_minor, causes: c.causes })) },
    });
  }
  return { equation, cards, exceptions };
}

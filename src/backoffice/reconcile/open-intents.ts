import { sql } from 'kysely';
import { int, intOrNull } from './card-events';
import type { ReconcileContext } from './context';
import { shortRef, units, type ReconException } from './exceptions';

// Intents no entry of their kiosk closes (no committed, aborted or settled):
// the card was told to change and the kiosk never learned whether it did.
// The card's later transactions, at any kiosk, settle it — the same proof the
// kiosk itself uses when the card comes back (docs/recovery.md):
//   - committed: another transaction of the card started at counter_before + 1
//     holding exactly the balance this intent expected after. The card's
//     counter moves by one per commit, so this intent was that commit. Its
//     money counts (card-events.ts, evidence 'card_evidence') on the day the
//     evidence arrived.
//   - not committed: another transaction started at the very counter and
//     balance this intent read: the card never moved for it.
//   - otherwise it stays open and is listed every night until settled: either
//     no later transaction of the card is known yet, or the next one fits
//     neither outcome (a gap in between, or a clone).
// Settled ones are reported (info) on the day their evidence arrived; the
// kiosk's own ledger still says open until a kiosk or an operator closes it.

interface OpenRow {
  kiosk_id: string;
  tx_id: string;
  card_ref: string;
  service: string;
  direction: string;
  amount_minor: number | string;
  balance_before_minor: number | string;
  balance_after_minor: number | string;
  tmac_counter: number | string;
  at_ms: number | string;
  uncertain: number | string;
  committed_at: number | string | null;
  not_committed_at: number | string | null;
  next_counter: number | string | null;
  next_balance: number | string | null;
}

export interface OpenIntentFigures {
  still_open: number;
  still_open_minor: number;
  settled_committed: number;
  settled_not_committed: number;
}

export async function checkOpenIntents(ctx: ReconcileContext): Promise<{ exceptions: ReconException[]; figures: OpenIntentFigures }> {
  const { start_ms, end_ms } = ctx.day;
  const { rows } = await sql<OpenRow>`
    WITH nx AS (
      SELECT o.tx_id, o.kiosk_id, MIN(e.counter_before) AS next_counter
      FROM open_intents o JOIN card_events e ON e.card_ref = o.card_ref AND e.counter_before >= o.tmac_counter AND e.tx_id <> o.tx_id AND e.at_ms < ${end_ms}
        AND e.evidence <> 'card_evidence'
      GROUP BY o.tx_id, o.kiosk_id)
    SELECT o.kiosk_id, o.tx_id, o.card_ref, o.service, o.direction, o.amount_minor, o.balance_before_minor, o.balance_after_minor,
           o.tmac_counter, o.at_ms,
           (SELECT COUNT(*) FROM entries u WHERE u.kiosk_id = o.kiosk_id AND u.tx_id = o.tx_id AND u.kind = 'uncertain') AS uncertain,
           (SELECT MIN(e.at_ms) FROM card_events e WHERE e.evidence <> 'card_evidence' AND e.card_ref = o.card_ref AND e.counter_before = o.tmac_counter + 1
              AND e.balance_before = o.balance_after_minor AND e.tx_id <> o.tx_id) AS committed_at,
           (SELECT MIN(e.at_ms) FROM card_events e WHERE e.evidence <> 'card_evidence' AND e.card_ref = o.card_ref AND e.counter_before = o.tmac_counter
              AND e.balance_before = o.balance_before_minor AND e.tx_id <> o.tx_id) AS not_committed_at,
           nx.next_counter,
           (SELECT MIN(e.balance_before) FROM card_events e WHERE e.evidence <> 'card_evidence' AND e.card_ref = o.card_ref AND e.counter_before = nx.next_counter AND e.tx_id <> o.tx_id) AS next_balance
    FROM open_intents o LEFT JOIN nx ON nx.tx_id = o.tx_id AND nx.kiosk_id = o.kiosk_id
    WHERE o.at_ms < ${end_ms}
    ORDER BY o.kiosk_id, o.seq`.execute(ctx.db);
  const figures: OpenIntentFigures = { still_open: 0, still_open_minor: 0, settled_committed: 0, settled_not_committed: 0 };
  const exceptions: ReconException[] = [];
  for (const r of rows) {
    const amount = int(r.amount_minor);
    const counter = int(r.tmac_counter);
    const base = { kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id };
    const what = `${r.direction === 'debit' ? 'debit' : 'credit'} of ${units(amount)} (${r.service}) on card ${shortRef(r.card_ref)} at ${ctx.kioskName(r.kiosk_id)}`;
    const committedAt = intOrNull(r.committed_at);
    const notCommittedAt = intOrNull(r.not_committed_at);
    const detail = { service: r.service, amount_minor: amount, counter_before: counter, balance_before_minor: int(r.balance_before_minor), expected_balance_after_minor: int(r.balance_after_minor), uncertain: int(r.uncertain) > 0, intent_at: new Date(int(r.at_ms)).toISOString() };
    if (committedAt !== null && committedAt < end_ms) {
      if (committedAt < start_ms) continue;
      figures.settled_committed++;
      exceptions.push({
        ...base,
        kind: 'open_intent_settled',
        severity: 'info',
        explanation: `The ${what} was left open by the kiosk; the card's next transaction started at counter ${counter + 1} with the ${units(int(r.balance_after_minor))} it expected, so it committed. Counted as committed from the card's evidence.`,
        detail: { ...detail, outcome: 'committed', evidence_at: new Date(committedAt).toISOString() },
      });
    } else if (notCommittedAt !== null && notCommittedAt < end_ms) {
      if (notCommittedAt < start_ms) continue;
      figures.settled_not_committed++;
      exceptions.push({
        ...base,
        kind: 'open_intent_settled',
        severity: 'info',
        explanation: `The ${what} was left open by the kiosk; the card's next transaction started at the same counter ${counter} and balance ${units(int(r.balance_before_minor))}, so it never reached the card. No money moved.`,
        detail: { ...detail, outcome: 'not_committed', evidence_at: new Date(notCommittedAt).toISOString() },
      });
    } else {
      figures.still_open++;
      figures.still_open_minor += amount;
      const next = intOrNull(r.next_counter);
      const why =
        next === null
          ? 'no later transaction of this card is known yet to tell whether it committed'
          : `the card's next known transaction started at counter ${next} holding ${units(int(r.next_balance))}, which proves neither outcome`;
      exceptions.push({
        ...base,
        kind: 'open_intent',
        severity: 'warning',
        explanation: `The ${what} is still open: ${why}. It is not counted in the figures until the card is seen again.`,
        detail: { ...detail, next_counter: next },
      });
    }
  }
  return { exceptions, figures };
}

import { sql, type RawBuilder } from 'kysely';

// The card events every money check works from, as one SQL common table
// expression over the projection columns (src/backoffice/project.ts), plain
// SQL that SQLite and PostgreSQL both run.
//
// `ev` has one row per transaction whose change the card committed, as the
// back office knows it now:
//   - the kiosk recorded it: a committed / credit_committed entry, or settled
//     with outcome committed (`evidence` = that entry's kind);
//   - or the kiosk left it open and the card's next transaction shows it
//     committed (`evidence` = 'card_evidence'): another transaction of the same
//     card started at counter_before + 1 with exactly the balance this intent
//     expected after (see open-intents.ts for the whole rule).
// Each row carries the intent's figures (card, service, amount, balance before
// and after, counter before), the counter after (the commit's Transaction MAC
// counter; counter_before + 1 when the card's record is the only proof) and
// `at_ms`, when the back office's evidence of the commit was written: the time
// that decides which business day the money belongs to.

export const DEBIT_PAYMENT_SERVICES = ['library_fine', 'parking', 'citation'] as const;
/** `(…)` of DEBIT_PAYMENT_SERVICES, for `service IN ${PAYMENT_SERVICES_SQL}`. */
export const PAYMENT_SERVICES_SQL = sql`(${sql.join(DEBIT_PAYMENT_SERVICES.map((s) => sql.lit(s)))})`;

/** `WITH`-able definitions of ev0 (kiosk-recorded), open_i (intents no entry closes), ev_bo and ev. */
export function cardEventsCte(): RawBuilder<unknown> {
  return sql`
    ev0 AS (
      SELECT i.kiosk_id, i.tx_id, i.card_ref, i.service, i.direction, i.amount_minor,
             i.balance_before_minor AS balance_before, i.balance_after_minor AS balance_after,
             i.tmac_counter AS counter_before,
             CASE WHEN c.kind = 'settled' AND c.tmac_value IS NULL THEN i.tmac_counter + 1 ELSE c.tmac_counter END AS counter_after,
             c.tmac_value, i.shift_id, i.reverses_tx_id, c.at_ms, c.kind AS evidence
      FROM entries i
      JOIN entries c ON c.kiosk_id = i.kiosk_id AND c.tx_id = i.tx_id
      WHERE i.kind IN ('intent', 'credit_intent')
        AND (c.kind IN ('committed', 'credit_committed') OR (c.kind = 'settled' AND c.outcome = 'committed'))
    ),
    open_i AS (
      SELECT i.kiosk_id, i.tx_id, i.card_ref, i.service, i.direction, i.amount_minor, i.balance_before_minor,
             i.balance_after_minor, i.tmac_counter, i.shift_id, i.reverses_tx_id, i.at_ms, i.seq
      FROM entries i
      WHERE i.kind IN ('intent', 'credit_intent')
        AND NOT EXISTS (
          SELECT 1 FROM entries c
          WHERE c.kiosk_id = i.kiosk_id AND c.tx_id = i.tx_id AND c.kind IN ('committed', 'credit_committed', 'aborted', 'settled'))
    ),
    ev_bo AS (
      SELECT o.kiosk_id, o.tx_id, o.card_ref, o.service, o.direction, o.amount_minor,
             o.balance_before_minor AS balance_before, o.balance_after_minor AS balance_after,
             o.tmac_counter AS counter_before, o.tmac_counter + 1 AS counter_after,
             NULL AS tmac_value, o.shift_id, o.reverses_tx_id, MIN(e.at_ms) AS at_ms, 'card_evidence' AS evidence
      FROM open_i o
      JOIN ev0 e ON e.card_ref = o.card_ref AND o.tmac_counter = e.counter_before - 1
                 AND e.balance_before = o.balance_after_minor AND e.tx_id <> o.tx_id
      GROUP BY o.kiosk_id, o.tx_id, o.card_ref, o.service, o.direction, o.amount_minor, o.balance_before_minor,
               o.balance_after_minor, o.tmac_counter, o.shift_id, o.reverses_tx_id
    ),
    ev AS (SELECT * FROM ev0 UNION ALL SELECT * FROM ev_bo)`;
}

/**
 * For each card of `cards` (a table or common table expression with a
 * card_ref column), its last transaction by the card's own counter (ties: the
 * earliest, then kiosk and tx id) in the card book, among those held before
 * `before_ms` (all of them if null): `counter_before` and the `balance_after`
 * it left, both null for a card with none. Two index seeks per card on
 * (card_ref, counter_before): walking down from the card's highest counter,
 * only the transactions at or after `before_ms` are stepped over.
 */
export function lastByCounter(cards: string, before_ms: number | null): RawBuilder<unknown> {
  const held = (alias: string) => (before_ms === null ? sql`` : sql`AND ${sql.ref(`${alias}.at_ms`)} < ${before_ms}`);
  return sql`
    SELECT x.card_ref, x.top AS counter_before,
      (SELECT y.balance_after FROM card_events y WHERE y.card_ref = x.card_ref AND y.counter_before = x.top ${held('y')}
       ORDER BY y.at_ms, y.kiosk_id, y.tx_id LIMIT 1) AS balance_after
    FROM (SELECT c.card_ref, (SELECT e.counter_before FROM card_events e WHERE e.card_ref = c.card_ref ${held('e')}
                              ORDER BY e.counter_before DESC LIMIT 1) AS top
          FROM ${sql.table(cards)} c) x`;
}

/** An integer from the database: PostgreSQL hands bigint and SUM results back as strings. */
export function int(v: unknown): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`expected an integer from the database, got ${String(v)}`);
  return n;
}

/** Like int, keeping null. */
export function intOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : int(v);
}

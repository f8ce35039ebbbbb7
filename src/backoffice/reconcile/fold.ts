import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { BackOfficeDb } from '../db/schema';
import { int, lastByCounter, PAYMENT_SERVICES_SQL } from './card-events';

// Folds the entries received since the last run into the card book
// (tables.ts), in one transaction, so every check after it reads indexed
// tables in proportion to the day, not the city's whole history.
//
// Per kiosk, the entries with seq in (cursor, newest held] are new. Late
// entries (a kiosk back after days offline) are folded like any other: each
// row of the book is defined by what is held, whatever day it belongs to.
// What a new entry can change, and only that, is recomputed:
//   - its transaction's committed card event (a new closing entry);
//   - its intent's place in open_intents (a new intent, or a closing);
//   - for every card a new entry names, the card-evidence events of its open
//     intents and its latest transaction (card_latest);
//   - for every transaction a new entry names (or reverses), whether its
//     service payment is still open (service_open).
// The definitions are card-events.ts's; fold.test.ts checks that any split of
// the entries into runs gives exactly the rows those definitions give.

const INTENT_KINDS = sql`('intent', 'credit_intent')`;
const CLOSING_KINDS = sql`('committed', 'credit_committed', 'aborted', 'settled')`;

export interface FoldReport {
  kiosks: number;
  entries: number;
  touched_cards: number;
}

type Db = Kysely<BackOfficeDb>;

export async function foldNewEntries(db: Db, isPostgres: boolean): Promise<FoldReport> {
  return db.transaction().execute(async (trx) => {
    // One fold at a time (the nightly run and an administrator's, say); SQLite's writer lock does this by itself.
    if (isPostgres) await sql`LOCK TABLE fold_cursor IN EXCLUSIVE MODE`.execute(trx);
    const { rows: ranges } = await sql<{ kiosk_id: string; from_seq: number | string | null; to_seq: number | string | null }>`
      SELECT k.kiosk_id, f.seq AS from_seq, (SELECT MAX(e.seq) FROM entries e WHERE e.kiosk_id = k.kiosk_id) AS to_seq
      FROM kiosks k LEFT JOIN fold_cursor f ON f.kiosk_id = k.kiosk_id
      ORDER BY k.kiosk_id`.execute(trx);
    const kiosks = ranges.map((r) => ({ kiosk_id: r.kiosk_id, from: r.from_seq === null ? 0 : int(r.from_seq), to: r.to_seq === null ? 0 : int(r.to_seq) })).filter((k) => k.to > k.from);
    const report: FoldReport = { kiosks: 0, entries: 0, touched_cards: 0 };
    // Statistics go stale only as the tables grow: refreshed when this fold adds a tenth or more to what is
    // folded (the first fold, a long outage caught up), as PostgreSQL's autovacuum would. Without any, SQLite
    // looks a transaction's entries up by kind (thousands of rows) rather than by tx_id (a few): quadratic.
    const held = ranges.reduce((sum, r) => sum + (r.from_seq === null ? 0 : int(r.from_seq)), 0);
    const adding = kiosks.reduce((sum, k) => sum + k.to - k.from, 0);
    const grows = adding * 10 >= held;
    if (grows) await refreshStatistics(trx, isPostgres, ['entries']);
    for (const { kiosk_id, from, to } of kiosks) {
      await foldKiosk(trx, kiosk_id, from, to, isPostgres);
      await sql`INSERT INTO fold_cursor (kiosk_id, seq) VALUES (${kiosk_id}, ${to})
                ON CONFLICT (kiosk_id) DO UPDATE SET seq = excluded.seq`.execute(trx);
      report.kiosks++;
      report.entries += to - from;
    }
    if (report.kiosks === 0) return report;
    report.touched_cards = int((await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM fold_touched_cards`.execute(trx)).rows[0]!.n);
    // Told how few they are, the planners look the touched cards and transactions up one by one instead of hashing the history.
    await refreshStatistics(trx, isPostgres, ['fold_touched_cards', 'fold_touched_tx']);
    await settleFromCards(trx);
    await latestOfCards(trx);
    await serviceOpen(trx);
    await sql`DELETE FROM fold_touched_cards`.execute(trx);
    await sql`DELETE FROM fold_touched_tx`.execute(trx);
    if (grows) await refreshStatistics(trx, isPostgres, ['card_events', 'open_intents', 'card_latest']);
    return report;
  });
}

/** Quarter hours: every time zone's offset, so every business day's bounds, is a whole number of them. */
export const SEQ_BUCKET_MS = 15 * 60_000;

async function foldKiosk(trx: Db, kiosk_id: string, from: number, to: number, isPostgres: boolean): Promise<void> {
  const isNew = (alias: string): RawBuilder<unknown> => sql`${sql.ref(`${alias}.kiosk_id`)} = ${kiosk_id} AND ${sql.ref(`${alias}.seq`)} > ${from} AND ${sql.ref(`${alias}.seq`)} <= ${to}`;

  const [least, greatest] = isPostgres ? [sql`LEAST`, sql`GREATEST`] : [sql`MIN`, sql`MAX`];
  await sql`
    INSERT INTO kiosk_seq_buckets (kiosk_id, bucket_ms, min_seq, max_seq)
    SELECT n.kiosk_id, (n.at_ms / ${sql.lit(SEQ_BUCKET_MS)}) * ${sql.lit(SEQ_BUCKET_MS)}, MIN(n.seq), MAX(n.seq) FROM entries n
    WHERE ${isNew('n')}
    GROUP BY n.kiosk_id, (n.at_ms / ${sql.lit(SEQ_BUCKET_MS)}) * ${sql.lit(SEQ_BUCKET_MS)}
    ON CONFLICT (kiosk_id, bucket_ms) DO UPDATE
      SET min_seq = ${least}(kiosk_seq_buckets.min_seq, excluded.min_seq), max_seq = ${greatest}(kiosk_seq_buckets.max_seq, excluded.max_seq)`.execute(trx);

  // The cards and transactions these entries speak of (a closing entry names its card through its intent).
  await sql`
    INSERT INTO fold_touched_cards (card_ref)
    SELECT DISTINCT COALESCE(n.card_ref, i.card_ref) FROM entries n
    LEFT JOIN entries i ON i.tx_id = n.tx_id AND i.kiosk_id = n.kiosk_id AND i.kind IN ${INTENT_KINDS}
    WHERE ${isNew('n')} AND n.tx_id IS NOT NULL AND COALESCE(n.card_ref, i.card_ref) IS NOT NULL
    ON CONFLICT (card_ref) DO NOTHING`.execute(trx);
  await sql`
    INSERT INTO fold_touched_tx (tx_id)
    SELECT DISTINCT t FROM (
      SELECT n.tx_id AS t FROM entries n WHERE ${isNew('n')} AND n.tx_id IS NOT NULL
      UNION SELECT n.reverses_tx_id AS t FROM entries n WHERE ${isNew('n')} AND n.reverses_tx_id IS NOT NULL) x
    WHERE t IS NOT NULL
    ON CONFLICT (tx_id) DO NOTHING`.execute(trx);

  // Committed card events recorded by the kiosk (card-events.ts, ev0).
  await sql`
    INSERT INTO card_events (kiosk_id, tx_id, intent_seq, evidence_seq, card_ref, service, direction, amount_minor, service_ref, shift_id, reverses_tx_id,
                             balance_before, balance_after, counter_before, counter_after, tmac_value, at_ms, evidence, service_open)
    SELECT i.kiosk_id, i.tx_id, i.seq, c.seq, i.card_ref, i.service, i.direction, i.amount_minor, i.service_ref, i.shift_id, i.reverses_tx_id,
           i.balance_before_minor, i.balance_after_minor, i.tmac_counter,
           CASE WHEN c.kind = 'settled' AND c.tmac_value IS NULL THEN i.tmac_counter + 1 ELSE c.tmac_counter END,
           c.tmac_value, c.at_ms, c.kind, 0
    FROM entries c
    JOIN entries i ON i.tx_id = c.tx_id AND i.kiosk_id = c.kiosk_id AND i.kind IN ${INTENT_KINDS}
    WHERE ${isNew('c')} AND (c.kind IN ('committed', 'credit_committed') OR (c.kind = 'settled' AND c.outcome = 'committed'))`.execute(trx);

  // Intents no entry held so far closes (card-events.ts, open_i); then the older ones these entries close.
  await sql`
    INSERT INTO open_intents (kiosk_id, tx_id, seq, card_ref, service, direction, amount_minor, service_ref, shift_id, reverses_tx_id,
                              balance_before_minor, balance_after_minor, tmac_counter, at_ms)
    SELECT i.kiosk_id, i.tx_id, i.seq, i.card_ref, i.service, i.direction, i.amount_minor, i.service_ref, i.shift_id, i.reverses_tx_id,
           i.balance_before_minor, i.balance_after_minor, i.tmac_counter, i.at_ms
    FROM entries i
    WHERE ${isNew('i')} AND i.kind IN ${INTENT_KINDS}
      AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.kiosk_id = i.kiosk_id AND c.tx_id = i.tx_id AND c.kind IN ${CLOSING_KINDS} AND c.seq <= ${to})`.execute(trx);
  await sql`
    DELETE FROM open_intents
    WHERE kiosk_id = ${kiosk_id}
      AND tx_id IN (SELECT c.tx_id FROM entries c WHERE ${isNew('c')} AND c.kind IN ${CLOSING_KINDS})`.execute(trx);
}

/** Card-evidence events (card-events.ts, ev_bo) of the touched cards' open intents, recomputed. */
async function settleFromCards(trx: Db): Promise<void> {
  const touchedEvidence = sql`
    INSERT INTO fold_touched_tx (tx_id)
    SELECT DISTINCT t FROM (
      SELECT e.tx_id AS t FROM card_events e JOIN fold_touched_cards c ON c.card_ref = e.card_ref WHERE e.evidence = 'card_evidence'
      UNION SELECT e.reverses_tx_id AS t FROM card_events e JOIN fold_touched_cards c ON c.card_ref = e.card_ref WHERE e.evidence = 'card_evidence') x
    WHERE t IS NOT NULL
    ON CONFLICT (tx_id) DO NOTHING`;
  await touchedEvidence.execute(trx);
  await sql`DELETE FROM card_events WHERE evidence = 'card_evidence' AND card_ref IN (SELECT card_ref FROM fold_touched_cards)`.execute(trx);
  await sql`
    INSERT INTO card_events (kiosk_id, tx_id, intent_seq, evidence_seq, card_ref, service, direction, amount_minor, service_ref, shift_id, reverses_tx_id,
                             balance_before, balance_after, counter_before, counter_after, tmac_value, at_ms, evidence, service_open)
    SELECT o.kiosk_id, o.tx_id, o.seq, 0, o.card_ref, o.service, o.direction, o.amount_minor, o.service_ref, o.shift_id, o.reverses_tx_id,
           o.balance_before_minor, o.balance_after_minor, o.tmac_counter, o.tmac_counter + 1, NULL, MIN(e.at_ms), 'card_evidence', 0
    FROM open_intents o
    JOIN fold_touched_cards t ON t.card_ref = o.card_ref
    JOIN card_events e ON e.card_ref = o.card_ref AND e.counter_before = o.tmac_counter + 1
                      AND e.balance_before = o.balance_after_minor AND e.tx_id <> o.tx_id AND e.evidence <> 'card_evidence'
    GROUP BY o.kiosk_id, o.tx_id, o.seq, o.card_ref, o.service, o.direction, o.amount_minor, o.service_ref, o.shift_id, o.reverses_tx_id,
             o.balance_before_minor, o.balance_after_minor, o.tmac_counter`.execute(trx);
  await touchedEvidence.execute(trx);
}

/** Each touched card's last transaction by its own counter (liability.ts's order). */
async function latestOfCards(trx: Db): Promise<void> {
  await sql`DELETE FROM card_latest WHERE card_ref IN (SELECT card_ref FROM fold_touched_cards)`.execute(trx);
  await sql`
    INSERT INTO card_latest (card_ref, counter_before, balance_after)
    SELECT card_ref, counter_before, balance_after FROM (${lastByCounter('fold_touched_cards', null)}) l
    WHERE counter_before IS NOT NULL`.execute(trx);
}

/**
 * A payment is open while its service has neither accepted nor refused it, or
 * refused it and the money was neither credited back nor refunded
 * (services.ts). Only payments a new entry names can change.
 */
async function serviceOpen(trx: Db): Promise<void> {
  const result = (outcome: string) =>
    sql`EXISTS (SELECT 1 FROM entries u WHERE u.kiosk_id = card_events.kiosk_id AND u.tx_id = card_events.tx_id AND u.kind = 'service_result' AND u.outcome = ${outcome})`;
  const state = sql`CASE
      WHEN ${result('refused')} THEN
        CASE WHEN EXISTS (SELECT 1 FROM card_events b WHERE b.reverses_tx_id = card_events.tx_id AND b.service = 'credit_back')
               OR EXISTS (SELECT 1 FROM entries f WHERE f.tx_id = card_events.tx_id AND f.kind = 'refund') THEN 0 ELSE 1 END
      WHEN ${result('accepted')} THEN 0
      ELSE 1 END`;
  // Two statements, each on its own index (tx_id; the open ones), where one with OR would read every card
  // event; and only rows whose state changes are written (an UPDATE rewrites the row and its index entries).
  await sql`
    UPDATE card_events SET service_open = 1
    WHERE tx_id IN (SELECT tx_id FROM fold_touched_tx) AND direction = 'debit' AND service IN ${PAYMENT_SERVICES_SQL}
      AND service_open = 0 AND ${state} = 1`.execute(trx);
  await sql`UPDATE card_events SET service_open = 0 WHERE service_open = 1 AND ${state} = 0`.execute(trx);
}

/**
 * The planner needs to know how big the tables are: right after a bulk ingest
 * (a kiosk back from a long outage, a restore) their statistics may still
 * describe empty tables, and the planners then pick plans that turn look-ups
 * quadratic (PostgreSQL: 35 s instead of 0.5 s at 50,000 entries). Both
 * engines spell it ANALYZE; PostgreSQL samples, and SQLite is told to
 * (analysis_limit), so it stays cheap however long the history. A role not
 * allowed to run it still gets a correct, perhaps slower, reconciliation.
 */
async function refreshStatistics(trx: Db, isPostgres: boolean, tables: readonly string[]): Promise<void> {
  // A failed statement aborts a PostgreSQL transaction: a savepoint keeps the fold's.
  if (isPostgres) await sql`SAVEPOINT statistics`.execute(trx);
  try {
    if (!isPostgres) await sql`PRAGMA analysis_limit = 1000`.execute(trx);
    for (const table of tables) await sql`ANALYZE ${sql.table(table)}`.execute(trx);
    if (isPostgres) await sql`RELEASE SAVEPOINT statistics`.execute(trx);
  } catch {
    // Statistics only speed the fold and the checks up; the figures do not depend on them.
    if (isPostgres) await sql`ROLLBACK TO SAVEPOINT statistics`.execute(trx);
  }
}

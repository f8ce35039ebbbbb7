import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { BackOfficeStore } from '../../../src/backoffice/db/connect';
import { cardEventsCte } from '../../../src/backoffice/reconcile/card-events';
import { foldNewEntries, SEQ_BUCKET_MS } from '../../../src/backoffice/reconcile/fold';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import { forEachStore } from '../../support/backoffice-stores';
import { playRandomCity } from '../../support/random-city';

// The card book (src/backoffice/reconcile/tables.ts) is what every
// reconciliation check reads. It is folded in run by run from the entries
// received since the last one, so a night's work follows the new entries, not
// the whole history. This checks that whatever the split — kiosks syncing
// late, days apart, in any order, folds at any point — the book holds exactly
// what card-events.ts's definitions give over every entry held: the same
// committed card events (recorded by kiosks or proven by the card), the same
// open intents, each card's latest balance, and the same payments still owed
// an answer or a refund, and each kiosk's seq range per quarter hour.

async function reference(store: BackOfficeStore) {
  const { rows: ev } = await sql<Record<string, unknown>>`
    WITH ${cardEventsCte()}
    SELECT kiosk_id, tx_id, card_ref, service, direction, amount_minor, balance_before, balance_after, counter_before, counter_after,
           tmac_value, shift_id, reverses_tx_id, at_ms, evidence FROM ev`.execute(store.db);
  const { rows: open } = await sql<Record<string, unknown>>`
    WITH ${cardEventsCte()}
    SELECT kiosk_id, tx_id, seq, card_ref, service, direction, amount_minor, balance_before_minor, balance_after_minor, tmac_counter,
           shift_id, reverses_tx_id, at_ms FROM open_i`.execute(store.db);
  const { rows: latest } = await sql<Record<string, unknown>>`
    WITH ${cardEventsCte()},
    l AS (SELECT card_ref, counter_before, balance_after,
                 ROW_NUMBER() OVER (PARTITION BY card_ref ORDER BY counter_before DESC, at_ms, kiosk_id, tx_id) AS rn FROM ev)
    SELECT card_ref, counter_before, balance_after FROM l WHERE rn = 1`.execute(store.db);
  const { rows: owed } = await sql<Record<string, unknown>>`
    WITH ${cardEventsCte()},
    p AS (
      SELECT e.kiosk_id, e.tx_id, e.evidence,
        (SELECT COUNT(*) FROM entries u WHERE u.kiosk_id = e.kiosk_id AND u.tx_id = e.tx_id AND u.kind = 'service_result' AND u.outcome = 'refused') AS refused,
        (SELECT COUNT(*) FROM entries u WHERE u.kiosk_id = e.kiosk_id AND u.tx_id = e.tx_id AND u.kind = 'service_result' AND u.outcome = 'accepted') AS accepted,
        (SELECT COUNT(*) FROM ev b WHERE b.reverses_tx_id = e.tx_id AND b.service = 'credit_back') AS credited,
        (SELECT COUNT(*) FROM entries f WHERE f.tx_id = e.tx_id AND f.kind = 'refund') AS refunded
      FROM ev e WHERE e.direction = 'debit' AND e.service IN ('library_fine', 'parking', 'citation'))
    SELECT kiosk_id, tx_id, evidence FROM p
    WHERE (refused = 0 AND accepted = 0) OR (refused > 0 AND credited = 0 AND refunded = 0)`.execute(store.db);
  const { rows: buckets } = await sql<Record<string, unknown>>`
    SELECT kiosk_id, (at_ms / ${sql.lit(SEQ_BUCKET_MS)}) * ${sql.lit(SEQ_BUCKET_MS)} AS bucket_ms, MIN(seq) AS min_seq, MAX(seq) AS max_seq
    FROM entries GROUP BY kiosk_id, (at_ms / ${sql.lit(SEQ_BUCKET_MS)}) * ${sql.lit(SEQ_BUCKET_MS)}`.execute(store.db);
  return { ev, open, latest, owed, buckets };
}

async function book(store: BackOfficeStore) {
  const { rows: ev } = await sql<Record<string, unknown>>`
    SELECT kiosk_id, tx_id, card_ref, service, direction, amount_minor, balance_before, balance_after, counter_before, counter_after,
           tmac_value, shift_id, reverses_tx_id, at_ms, evidence FROM card_events`.execute(store.db);
  const { rows: open } = await sql<Record<string, unknown>>`
    SELECT kiosk_id, tx_id, seq, card_ref, service, direction, amount_minor, balance_before_minor, balance_after_minor, tmac_counter,
           shift_id, reverses_tx_id, at_ms FROM open_intents`.execute(store.db);
  const { rows: latest } = await sql<Record<string, unknown>>`SELECT card_ref, counter_before, balance_after FROM card_latest`.execute(store.db);
  const { rows: owed } = await sql<Record<string, unknown>>`SELECT kiosk_id, tx_id, evidence FROM card_events WHERE service_open = 1`.execute(store.db);
  const { rows: buckets } = await sql<Record<string, unknown>>`SELECT kiosk_id, bucket_ms, min_seq, max_seq FROM kiosk_seq_buckets`.execute(store.db);
  return { ev, open, latest, owed, buckets };
}

/** Rows as sorted lines, numbers as numbers (PostgreSQL hands bigints back as strings in raw queries). */
function lines(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, typeof r[k] === 'string' && /^-?\d+$/.test(r[k] as string) && k !== 'tx_id' && k !== 'card_ref' ? Number(r[k]) : r[k]]))).sort();
}

async function expectBookMatches(store: BackOfficeStore, when: string) {
  const want = await reference(store);
  const have = await book(store);
  for (const part of ['ev', 'open', 'latest', 'owed', 'buckets'] as const) expect(lines(have[part]), `${part} after ${when}`).toEqual(lines(want[part]));
}

forEachStore('the card book folded run by run', (t) => {
  for (const seed of [7, 1_000_003]) {
    it(`equals the definitions over every entry held, whatever the split (seed ${seed})`, async () => {
      let folds = 0;
      let sawCardEvidence = 0;
      let sawOwed = 0;
      await playRandomCity(t.store, seed, 140, async (when) => {
        await foldNewEntries(t.store.db, t.dialect === 'postgres');
        folds++;
        await expectBookMatches(t.store, when);
        const n = await sql<{ evidence: number | string; owed: number | string }>`
          SELECT (SELECT COUNT(*) FROM card_events WHERE evidence = 'card_evidence') AS evidence,
                 (SELECT COUNT(*) FROM card_events WHERE service_open = 1) AS owed`.execute(t.store.db);
        sawCardEvidence = Math.max(sawCardEvidence, Number(n.rows[0]!.evidence));
        sawOwed = Math.max(sawOwed, Number(n.rows[0]!.owed));
      });
      // Nothing new: folding again changes nothing.
      expect(await foldNewEntries(t.store.db, t.dialect === 'postgres')).toEqual({ kiosks: 0, entries: 0, touched_cards: 0 });
      await expectBookMatches(t.store, `an empty fold (seed ${seed})`);
      // The run exercised what it is about: several folds, payments owed an answer, intents settled by the card alone.
      expect(folds).toBeGreaterThan(2);
      expect(sawOwed).toBeGreaterThan(0);
      expect(sawCardEvidence).toBeGreaterThan(0);
    }, 60_000);
  }
});

forEachStore('two reconciliations at once', (t) => {
  it('fold one after the other: both finish, the book is folded once and both see the same day', async () => {
    const out = mkdtempSync(join(tmpdir(), 'civicard-fold-twice-'));
    await playRandomCity(t.store, 99, 60, async () => {});
    const run = (dir: string) => reconcileDay(t.store, { date: '2026-03-02', time_zone: 'America/Chicago', out: join(out, dir), now: () => new Date('2026-03-20T08:00:00Z') });
    // The nightly run and an administrator's, say: PostgreSQL serializes the folds with a table lock, SQLite by its one writer.
    const [a, b] = await Promise.all([run('a'), run('b')]);
    const { timings_ms: _a, ...sa } = a;
    const { timings_ms: _b, ...sb } = b;
    expect(sb).toEqual(sa);
    await expectBookMatches(t.store, 'two folds at once');
  }, 60_000);
});

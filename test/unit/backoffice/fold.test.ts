import { sql } from 'kysely';
import { expect, it } from 'vitest';
import type { BackOfficeStore } from '../../../src/backoffice/db/connect';
import { cardEventsCte } from '../../../src/backoffice/reconcile/card-events';
import { foldNewEntries, SEQ_BUCKET_MS } from '../../../src/backoffice/reconcile/fold';
import { forEachStore } from '../../support/backoffice-stores';
import { mulberry32 } from '../../support/prng';
import { ScenarioClock, ScenarioKiosk, TestCard } from '../../support/reconcile-scenario';

// The card book (src/backoffice/reconcile/tables.ts) is what every
// reconciliation check reads. It is folded in run by run from the entries
// received since the last one, so a night's work follows the new entries, not
// the whole history. This checks that whatever the split — kiosks syncing
// late, days apart, in any order, folds at any point — the book holds exactly
// what card-events.ts's definitions give over every entry held: the same
// committed card events (recorded by kiosks or proven by the card), the same
// open intents, each card's latest balance, and the same payments still owed
// an answer or a refund, and each kiosk's seq range per quarter hour.

const PAYMENTS = ['library_fine', 'parking', 'citation'] as const;

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
      const rng = mulberry32(seed);
      const pick = <T>(xs: readonly T[]): T => xs[rng() % xs.length]!;
      const clock = new ScenarioClock('2026-03-01T12:00:00.000Z');
      const kiosks = [new ScenarioKiosk('Library', clock), new ScenarioKiosk('Parking', clock), new ScenarioKiosk('Desk', clock)];
      for (const k of kiosks) await k.enroll(t.store);
      const desk = kiosks[2]!;
      const cards = Array.from({ length: 6 }, (_, n) => new TestCard(String(n + 1).padStart(2, '0').repeat(16), 0, 1));
      const shift = desk.openShift(0);
      for (const c of cards) desk.pay(c, 'opening_balance', 5_000, { shift_id: shift });
      const payments: { kiosk: ScenarioKiosk; tx_id: string; amount: number; card: TestCard }[] = [];
      const uncertain: { kiosk: ScenarioKiosk; tx_id: string; committed: boolean; card: TestCard; after: number; counter: number }[] = [];
      let folds = 0;
      let sawCardEvidence = 0;
      let sawOwed = 0;
      const fold = async (when: string) => {
        await foldNewEntries(t.store.db, t.dialect === 'postgres');
        await expectBookMatches(t.store, when);
        const n = await sql<{ evidence: number | string; owed: number | string }>`
          SELECT (SELECT COUNT(*) FROM card_events WHERE evidence = 'card_evidence') AS evidence,
                 (SELECT COUNT(*) FROM card_events WHERE service_open = 1) AS owed`.execute(t.store.db);
        sawCardEvidence = Math.max(sawCardEvidence, Number(n.rows[0]!.evidence));
        sawOwed = Math.max(sawOwed, Number(n.rows[0]!.owed));
      };

      for (let step = 0; step < 140; step++) {
        clock.set(new Date(clock.now().getTime() + (1 + (rng() % 240)) * 60_000).toISOString());
        const card = pick(cards);
        const kiosk = pick(kiosks.slice(0, 2));
        const op = rng() % 100;
        if (op < 35 && card.balance >= 500) {
          const service = pick(PAYMENTS);
          const amount = 100 + (rng() % 4) * 50;
          const post = pick(['accepted', 'accepted', 'refused', 'unanswered', 'none'] as const);
          const tx_id = kiosk.pay(card, service, amount, { post });
          if (post === 'refused' && rng() % 2 === 0) kiosk.ledger.append({ kind: 'refund', tx_id, amount_minor: amount, reason: 'service_refused' });
          else payments.push({ kiosk, tx_id, amount, card });
        } else if (op < 45 && payments.length > 0) {
          // A credit back of an earlier payment, at the kiosk that took it (once).
          const p = payments.splice(rng() % payments.length, 1)[0]!;
          p.kiosk.pay(p.card, 'credit_back', p.amount, { reverses_tx_id: p.tx_id });
        } else if (op < 55) {
          desk.pay(card, 'top_up', 1_000, { shift_id: shift });
        } else if (op < 65 && card.balance >= 500) {
          // The card left mid-commit: uncertain; it committed or not, and the kiosk may settle it later.
          const i = kiosk.intent(card, pick(PAYMENTS), 200);
          kiosk.ledger.append({ kind: 'uncertain', tx_id: i.tx_id, unknown: 'card_commit', cause: 'card_removed' });
          const committed = rng() % 2 === 0;
          if (committed) {
            card.balance = i.after;
            card.counter += 1;
          }
          uncertain.push({ kiosk, tx_id: i.tx_id, committed, card, after: i.after, counter: i.counter_before });
        } else if (op < 72 && uncertain.length > 0) {
          const u = uncertain.splice(rng() % uncertain.length, 1)[0]!;
          u.kiosk.ledger.append(
            u.committed
              ? { kind: 'settled', tx_id: u.tx_id, outcome: 'committed', evidence: { source: 'same_card', balance_minor: u.after, tmac_counter: u.counter + 1, tmac_value: 'AB'.repeat(8), proof: 'tmac' } }
              : { kind: 'settled', tx_id: u.tx_id, outcome: 'aborted', evidence: { source: 'same_card', balance_minor: u.after + 200, tmac_counter: u.counter, tmac_value: null, proof: 'counter_unchanged' } },
          );
        } else if (op < 78 && card.balance >= 500) {
          const i = kiosk.intent(card, pick(PAYMENTS), 150);
          kiosk.ledger.append({ kind: 'aborted', tx_id: i.tx_id, reason: 'card_removed_before_debit' });
        } else if (op < 82 && card.balance >= 500) {
          // A clone: a copy of the card as it was, charged at the other kiosk.
          const copy = new TestCard(card.card_ref, card.balance, card.counter);
          kiosks[1]!.pay(copy, 'parking', 100);
          kiosks[0]!.pay(card, 'library_fine', 100);
        } else if (op < 94) {
          await pick(kiosks).sync(t.store);
        } else {
          await fold(`fold ${++folds} at step ${step} (seed ${seed})`);
        }
      }
      for (const k of kiosks) await k.sync(t.store);
      await fold(`the last fold (seed ${seed})`);
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

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { businessDay } from '../../../src/backoffice/reconcile/day';
import { reconcileDay } from '../../../src/backoffice/reconcile/run';
import { forEachStore } from '../../support/backoffice-stores';
import { mulberry32 } from '../../support/prng';
import { playRandomCity } from '../../support/random-city';
import { referenceCardFindings, referenceLiability } from '../../support/reconcile-reference';

// Reconciliation reads the card book (fold.ts) and seeks each card by index
// instead of reading whole card histories. This holds it to the definitions
// over every entry held (test/support/reconcile-reference.ts): in a random
// city with late kiosks, clones, restored cards, copied MACs and unknown
// starting balances, every reconciliation of any day so far — run between
// syncs, so each fold takes in a different slice of entries — finds exactly
// the card exceptions the definitions find, the same liability at the start
// and the end, and the same figures for every card that moved.

const CARD_KINDS = new Set(['card_clone', 'duplicate_transaction', 'counter_gap', 'counter_went_back', 'balance_discontinuity', 'unknown_starting_balance', 'tmac_malformed', 'tmac_reused']);
const key = (f: { kind: string; kiosk_id: string | null; card_ref: string | null; tx_id: string | null }) => `${f.kind} ${f.kiosk_id} ${f.card_ref} ${f.tx_id}`;

forEachStore('reconciliation against the whole-history definitions', (t) => {
  for (const [seed, tz] of [[11, 'America/Chicago'], [4_242, 'Asia/Kolkata']] as const) {
    it(`finds what the definitions find, day after day, in ${tz} (seed ${seed})`, async () => {
      const rng = mulberry32(seed * 31);
      const out = mkdtempSync(join(tmpdir(), 'civicard-oracle-'));
      const seen = new Set<string>();
      let runs = 0;
      const check = async (date: string, when: string) => {
        const s = await reconcileDay(t.store, { date, time_zone: tz, out });
        const day = businessDay(date, tz);
        const want = (await referenceCardFindings(t.store, day)).map(key).sort();
        const have = s.exceptions.filter((e) => CARD_KINDS.has(e.kind)).map(key).sort();
        expect(have, `card exceptions of ${date}, ${when}`).toEqual(want);
        for (const k of have) seen.add(k.split(' ')[0]!);
        const ref = await referenceLiability(t.store, day);
        expect({ start: s.liability.start_minor, end: s.liability.end_minor, cards: s.liability.cards_with_balance_at_end }, `liability of ${date}, ${when}`).toEqual({ start: ref.start_minor, end: ref.end_minor, cards: ref.cards_with_balance_at_end });
        const csv = readFileSync(join(out, 'cards.csv'), 'utf8').trim().split('\r\n').slice(1).filter((l) => l !== '');
        const cards = csv.map((l) => {
          const [card_ref, , start, credits, debits, end] = l.split(',');
          return { card_ref: card_ref!, start_balance_minor: Number(start), credits_minor: Number(credits), debits_minor: Number(debits), end_balance_minor: Number(end) };
        });
        expect(cards, `per-card figures of ${date}, ${when}`).toEqual(ref.cards);
        runs++;
      };
      const first = Date.parse('2026-03-01T12:00:00Z');
      const dateOf = (d: number) => new Date(first + d * 86_400_000).toISOString().slice(0, 10);
      await playRandomCity(t.store, seed, 160, async (when, now_ms, last) => {
        const days = Math.floor((now_ms - first) / 86_400_000) + 1;
        // Between syncs, any day so far: a rerun of an old day as much as the night's run. At the end, every day.
        if (!last) await check(dateOf(rng() % days), when);
        else for (let d = 0; d < days; d++) await check(dateOf(d), when);
      });
      // The city produced what the checks are about.
      expect(runs).toBeGreaterThan(3);
      expect([...seen].sort()).toEqual(expect.arrayContaining(['card_clone', 'counter_gap', 'counter_went_back', 'tmac_reused', 'unknown_starting_balance']));
    }, 120_000);
  }
});

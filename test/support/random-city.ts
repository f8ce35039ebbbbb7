import type { BackOfficeStore } from '../../src/backoffice/db/connect';
import { mulberry32 } from './prng';
import { ScenarioClock, ScenarioKiosk, TestCard } from './reconcile-scenario';

// A seeded random city for the reconciliation property tests: three kiosks
// that sync now and then and a branch that syncs rarely (late entries, days
// apart), six cards issued at a desk, and every kind of card history the
// checks look for — payments answered, refused, refunded, unanswered or never
// posted; credit backs; top-ups; commits left uncertain and settled later (or
// only proven by the card's next transaction); aborted intents; clones, a
// card restored from an old image (or from between counters the card
// skipped), a copied Transaction MAC and a card that turns up holding value
// with no opening balance. Hours pass between steps,
// so the history spans days. `checkpoint` is called at random steps and once
// at the end (`last`), after every kiosk has synced.

const PAYMENTS = ['library_fine', 'parking', 'citation'] as const;

export interface RandomCity {
  clock: ScenarioClock;
  kiosks: ScenarioKiosk[];
}

export async function playRandomCity(store: BackOfficeStore, seed: number, steps: number, checkpoint: (when: string, now_ms: number, last: boolean) => Promise<void>): Promise<RandomCity> {
  const rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng() % xs.length]!;
  const clock = new ScenarioClock('2026-03-01T12:00:00.000Z');
  const kiosks = [new ScenarioKiosk('Library', clock), new ScenarioKiosk('Parking', clock), new ScenarioKiosk('Desk', clock), new ScenarioKiosk('Branch', clock)];
  for (const k of kiosks) await k.enroll(store);
  const [library, parking, desk, branch] = kiosks as [ScenarioKiosk, ScenarioKiosk, ScenarioKiosk, ScenarioKiosk];
  const cards = Array.from({ length: 6 }, (_, n) => new TestCard(String(n + 1).padStart(2, '0').repeat(16), 0, 1));
  const shift = desk.openShift(0);
  for (const c of cards) desk.pay(c, 'opening_balance', 5_000, { shift_id: shift });
  const payments: { kiosk: ScenarioKiosk; tx_id: string; amount: number; card: TestCard }[] = [];
  const uncertain: { kiosk: ScenarioKiosk; tx_id: string; committed: boolean; after: number; counter: number }[] = [];
  const images: TestCard[] = [];
  let strangers = 0;

  for (let step = 0; step < steps; step++) {
    clock.set(new Date(clock.now().getTime() + (1 + (rng() % 240)) * 60_000).toISOString());
    const card = pick(cards);
    const kiosk = pick([library, parking, branch]);
    const op = rng() % 100;
    if (op < 30 && card.balance >= 500) {
      const amount = 100 + (rng() % 4) * 50;
      const post = pick(['accepted', 'accepted', 'refused', 'unanswered', 'none'] as const);
      const tx_id = kiosk.pay(card, pick(PAYMENTS), amount, { post });
      if (post === 'refused' && rng() % 2 === 0) kiosk.ledger.append({ kind: 'refund', tx_id, amount_minor: amount, reason: 'service_refused' });
      else payments.push({ kiosk, tx_id, amount, card });
      if (rng() % 4 === 0) images.push(new TestCard(card.card_ref, card.balance, card.counter));
    } else if (op < 38 && payments.length > 0) {
      // A credit back of an earlier payment, at the kiosk that took it (once).
      const p = payments.splice(rng() % payments.length, 1)[0]!;
      p.kiosk.pay(p.card, 'credit_back', p.amount, { reverses_tx_id: p.tx_id });
    } else if (op < 46) {
      desk.pay(card, 'top_up', 1_000, { shift_id: shift });
    } else if (op < 55 && card.balance >= 500) {
      // The card left mid-commit: uncertain; it committed or not, and the kiosk may settle it later.
      const i = kiosk.intent(card, pick(PAYMENTS), 200);
      kiosk.ledger.append({ kind: 'uncertain', tx_id: i.tx_id, unknown: 'card_commit', cause: 'card_removed' });
      const committed = rng() % 2 === 0;
      if (committed) {
        card.balance = i.after;
        card.counter += 1;
      }
      uncertain.push({ kiosk, tx_id: i.tx_id, committed, after: i.after, counter: i.counter_before });
    } else if (op < 61 && uncertain.length > 0) {
      const u = uncertain.splice(rng() % uncertain.length, 1)[0]!;
      u.kiosk.ledger.append(
        u.committed
          ? { kind: 'settled', tx_id: u.tx_id, outcome: 'committed', evidence: { source: 'same_card', balance_minor: u.after, tmac_counter: u.counter + 1, tmac_value: 'AB'.repeat(8), proof: 'tmac' } }
          : { kind: 'settled', tx_id: u.tx_id, outcome: 'aborted', evidence: { source: 'same_card', balance_minor: u.after + 200, tmac_counter: u.counter, tmac_value: null, proof: 'counter_unchanged' } },
      );
    } else if (op < 65 && card.balance >= 500) {
      const i = kiosk.intent(card, pick(PAYMENTS), 150);
      kiosk.ledger.append({ kind: 'aborted', tx_id: i.tx_id, reason: 'card_removed_before_debit' });
    } else if (op < 68 && card.balance >= 500) {
      // A clone: a copy of the card as it is, charged at the other kiosk.
      parking.pay(new TestCard(card.card_ref, card.balance, card.counter), 'parking', 100);
      library.pay(card, 'library_fine', 100);
    } else if (op < 70 && images.length > 0) {
      // A card restored from an old image, its counter behind what the card had reached, used at a
      // kiosk that never saw the card (one that had would refuse it).
      const image = images.splice(rng() % images.length, 1)[0]!;
      if (image.balance >= 300) {
        const annex = new ScenarioKiosk(`Annex ${kiosks.length}`, clock);
        await annex.enroll(store);
        kiosks.push(annex);
        annex.pay(image, 'parking', 300);
      }
    } else if (op < 72 && card.balance >= 500) {
      // Two commits, the second's Transaction MAC copied from the first.
      const tmac = (rng() % 0xffffffff).toString(16).padStart(8, '0').repeat(2).toUpperCase();
      for (const amount of [120, 130]) {
        const i = kiosk.intent(card, 'parking', amount);
        kiosk.ledger.append({ kind: 'committed', tx_id: i.tx_id, balance_after_minor: i.after, tmac_counter: i.counter_before + 1, tmac_value: tmac });
        card.balance = i.after;
        card.counter += 1;
      }
    } else if (op < 75 && card.balance >= 500) {
      // The card's counter moved on by three in one commit (two operations the back office never hears of),
      // and an image of it from between those counters turns up at another kiosk: its counter went back.
      const i = kiosk.intent(card, 'library_fine', 110);
      kiosk.ledger.append({ kind: 'committed', tx_id: i.tx_id, balance_after_minor: i.after, tmac_counter: i.counter_before + 3, tmac_value: (rng() % 0xffffffff).toString(16).padStart(16, '0').toUpperCase() });
      card.balance = i.after;
      card.counter = i.counter_before + 3;
      images.push(new TestCard(card.card_ref, card.balance, i.counter_before + 2));
    } else if (op < 76) {
      // A card the back office never saw issued, already holding value.
      const stranger = new TestCard(String(7 + strangers++).padStart(2, '0').repeat(16), 700, 3);
      kiosk.pay(stranger, 'library_fine', 200);
    } else if (op < 86) {
      // The branch syncs rarely: its entries arrive days late.
      const k = pick([library, parking, desk, library, parking, desk, branch, ...kiosks.slice(4)]);
      await k.sync(store);
    } else if (op < 92) {
      await checkpoint(`step ${step} (seed ${seed})`, clock.now().getTime(), false);
    }
  }
  for (const k of kiosks) await k.sync(store);
  await checkpoint(`the end (seed ${seed})`, clock.now().getTime(), true);
  return { clock, kiosks };
}

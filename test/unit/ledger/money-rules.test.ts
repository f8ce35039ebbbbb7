import { describe, expect, it } from 'vitest';
import { LedgerConflictError, LedgerPayloadError } from '../../../src/ledger';
import { CARD_A, CARD_B, committed, creditCommitted, intent, memoryLedger, SHIFT_1, txId } from './helpers';

// Money across transactions (issue 6, points 5–7): the ledger itself refuses a
// second reversal, a reversal of the wrong thing, a refund on top of a credit
// back, a card whose counter or balance does not continue, and evidence that
// does not match what the intent expected.

function withShift() {
  const ledger = memoryLedger();
  ledger.append({ kind: 'shift_opened', shift_id: SHIFT_1, staff_ref: 'staff-17', opening_float_minor: 5_000 });
  return ledger;
}

/** A committed top-up of 2,000 onto a card holding 1,000, tx 1, counters 10 → 11. */
function toppedUp() {
  const ledger = withShift();
  ledger.appendIntent(intent(1, { kind: 'credit_intent', amount_minor: 2_000, shift_id: SHIFT_1 }));
  ledger.append(creditCommitted(1, { balance_after_minor: 3_000 }));
  return ledger;
}

const voidOf = (n: number, over: Parameters<typeof intent>[1] = {}) =>
  intent(n, { service: 'void', reverses_tx_id: txId(1), amount_minor: 2_000, balance_before_minor: 3_000, shift_id: SHIFT_1, service_ref: null, ...over });

describe('ledger: one reversal per transaction', () => {
  it('refuses a second void of a top-up while the first is open, uncertain or committed', () => {
    const ledger = toppedUp();
    ledger.appendIntent(voidOf(2));
    expect(() => ledger.appendIntent(voidOf(3))).toThrow(/already reversed by .*000000000002 \(open\)/);
    ledger.append({ kind: 'uncertain', tx_id: txId(2), unknown: 'card_commit', cause: 'card_removed' });
    expect(() => ledger.appendIntent(voidOf(3))).toThrow(/\(uncertain\)/);
    ledger.append(committed(2, { balance_after_minor: 1_000 }));
    expect(() => ledger.appendIntent(voidOf(3))).toThrow(LedgerConflictError);
    expect(() => ledger.appendIntent(voidOf(3))).toThrow(/\(committed\)/);
  });

  it('allows another void after the first certainly did not reach the card', () => {
    const ledger = toppedUp();
    ledger.appendIntent(voidOf(2));
    ledger.append({ kind: 'aborted', tx_id: txId(2), reason: 'card_absent' });
    expect(ledger.appendIntent(voidOf(3)).status).toBe('created');
  });

  it('refuses a void whose target is not a committed top-up of the same card and amount', () => {
    const ledger = toppedUp();
    expect(() => ledger.appendIntent(voidOf(2, { card_ref: CARD_B }))).toThrow(/was on another card/);
    expect(() => ledger.appendIntent(voidOf(2, { amount_minor: 1_500, expected_balance_after_minor: 1_500 }))).toThrow(/does not reverse the 2000/);
    expect(() => ledger.appendIntent(voidOf(2, { reverses_tx_id: txId(9) }))).toThrow(/is not one/);
    ledger.appendIntent(intent(4, { kind: 'credit_intent', amount_minor: 500, balance_before_minor: 3_000, shift_id: SHIFT_1 }));
    expect(() => ledger.appendIntent(voidOf(5, { reverses_tx_id: txId(4), amount_minor: 500, expected_balance_after_minor: 2_500 }))).toThrow(/is open, not committed/);
    ledger.appendIntent(intent(6, { service: 'library_fine', balance_before_minor: 3_000 }));
    ledger.append(committed(6, { balance_after_minor: 2_650 }));
    expect(() => ledger.appendIntent(voidOf(7, { reverses_tx_id: txId(6), amount_minor: 350, balance_before_minor: 2_650 }))).toThrow(/a void reverses a top_up/);
  });

  it('a void or credit back must name what it reverses; nothing else may', () => {
    const ledger = toppedUp();
    expect(() => ledger.appendIntent(voidOf(2, { reverses_tx_id: null }))).toThrow(LedgerPayloadError);
    expect(() => ledger.appendIntent(intent(2, { reverses_tx_id: txId(1) }))).toThrow(/only for voids and credit backs/);
  });
});

describe('ledger: credit back or refund, never both', () => {
  /** A committed fine of 350 (tx 1), and a credit back (tx 2) of it. */
  function paid() {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    ledger.append(committed(1));
    const back = intent(2, { kind: 'credit_intent', service: 'credit_back', reverses_tx_id: txId(1), balance_before_minor: 650, tmac_counter_before: 11 });
    return { ledger, back };
  }
  const refund = { kind: 'refund', tx_id: txId(1), amount_minor: 350, reason: 'service_refused' } as const;

  it('refuses a refund while the credit back is open or committed, and accepts it once the credit back was aborted', () => {
    const { ledger, back } = paid();
    ledger.appendIntent(back);
    expect(() => ledger.append(refund)).toThrow(/credit back .* is open: no refund on top of it/);
    ledger.append({ kind: 'aborted', tx_id: txId(2), reason: 'permission_denied' });
    expect(ledger.append(refund).status).toBe('created');
  });

  it('refuses a refund after a committed credit back', () => {
    const { ledger, back } = paid();
    ledger.appendIntent(back);
    ledger.append(creditCommitted(2, { balance_after_minor: 1_000, tmac_counter: 12 }));
    expect(() => ledger.append(refund)).toThrow(/is committed: no refund/);
  });

  it('refuses a credit back of a payment already refunded, or of more than was paid', () => {
    const { ledger, back } = paid();
    expect(() => ledger.appendIntent({ ...back, amount_minor: 351, expected_balance_after_minor: 1_001 })).toThrow(/does not reverse the 350/);
    ledger.append(refund);
    expect(() => ledger.appendIntent(back)).toThrow(/already refunded/);
  });
});

describe('ledger: money across transactions', () => {
  it('refuses a commit whose balance differs from the expected one, or whose counter did not move', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    expect(() => ledger.append(committed(1, { balance_after_minor: 640 }))).toThrow(/expected 650/);
    expect(() => ledger.append(committed(1, { tmac_counter: 10 }))).toThrow(/did not move past 10/);
  });

  it('refuses an intent whose card counter is behind what the ledger saw, or whose balance differs at the same counter', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    ledger.append(committed(1)); // the card is at counter 11 holding 650
    expect(() => ledger.appendIntent(intent(2, { tmac_counter_before: 10 }))).toThrow(/behind the 11 .* restored or cloned card/);
    expect(() => ledger.appendIntent(intent(2, { tmac_counter_before: 11, balance_before_minor: 1_000 }))).toThrow(/at counter 11 the card held 650, not 1000/);
    expect(ledger.appendIntent(intent(2, { tmac_counter_before: 11, balance_before_minor: 650 })).status).toBe('created');
    expect(ledger.appendIntent(intent(3, { card_ref: CARD_B, tmac_counter_before: 1 })).status).toBe('created'); // another card
    expect(ledger.appendIntent(intent(4, { tmac_counter_before: 15, balance_before_minor: 5_000 })).status).toBe('created'); // used elsewhere meanwhile
    expect(CARD_A).not.toBe(CARD_B);
  });

  it('checks a settlement\'s proof against its intent', () => {
    const ledger = memoryLedger();
    ledger.appendIntent(intent(1));
    const settle = (evidence: object, outcome: 'committed' | 'aborted') => ledger.append({ kind: 'settled', tx_id: txId(1), outcome, evidence: { source: 'same_card', ...evidence } as never });
    expect(() => settle({ balance_minor: 1_000, tmac_counter: 12, tmac_value: null, proof: 'counter_unchanged' }, 'aborted')).toThrow(/counter moved from 10 to 12/);
    expect(() => settle({ balance_minor: 900, tmac_counter: 10, tmac_value: null, proof: 'counter_unchanged' }, 'aborted')).toThrow(/holds 900, not the 1000/);
    expect(() => settle({ balance_minor: 600, tmac_counter: 11, tmac_value: 'AB', proof: 'tmac' }, 'committed')).toThrow(/expected 650/);
    expect(() => settle({ balance_minor: 650, tmac_counter: 10, tmac_value: null, proof: 'card_record' }, 'committed')).toThrow(/did not move past 10/);
    expect(settle({ balance_minor: 75, tmac_counter: 19, tmac_value: null, proof: 'card_record' }, 'committed').status).toBe('created');
    expect(ledger.txBalance(txId(1))?.state).toBe('committed');
  });

  it('an opening balance is recorded like any credit, onto an empty card', () => {
    const ledger = memoryLedger();
    const opening = intent(1, { kind: 'credit_intent', service: 'opening_balance', amount_minor: 2_000, balance_before_minor: 0, tmac_counter_before: 0 });
    expect(() => ledger.appendIntent({ ...opening, balance_before_minor: 5, expected_balance_after_minor: 2_005 })).toThrow(/onto an empty card/);
    ledger.appendIntent(opening);
    ledger.append(creditCommitted(1, { balance_after_minor: 2_000, tmac_counter: 1 }));
    expect(ledger.cardTotalsSince(CARD_A, 0)).toEqual({ debit_minor: 0, credit_minor: 2_000 });
  });
});

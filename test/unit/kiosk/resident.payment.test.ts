// The money-critical paths of the resident machine, one behaviour per test.
import { describe, expect, it } from 'vitest';
import type { ResidentContext } from '../../../src/kiosk/machines/resident';
import { CARD, CREDIT_BACK_EVIDENCE, EVIDENCE, QUOTE, TEST_TIMEOUTS, TX_ID, out } from './support/fixtures';
import { WAIT, residentDriver, toConfirming } from './support/resident-model';

const ctx = (d: { snapshot: { context: unknown } }): ResidentContext => d.snapshot.context as ResidentContext;
const names = (d: { calls: { name: string }[] }): string[] => d.calls.map((c) => c.name);

describe('resident payment: intent before card', () => {
  it('makes the intent durable before the debit actor runs, and debits that same transaction', async () => {
    const d = residentDriver({ writeIntent: WAIT });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });

    expect(d.snapshot.matches({ payment: 'writingIntent' })).toBe(true);
    expect(d.callsTo('debitCard')).toEqual([]);

    await d.resolve('writeIntent', out.ledgerOk);
    expect(d.log.indexOf('writeIntent:answered')).toBeLessThan(d.log.indexOf('debitCard:called'));
    const [intent] = d.callsTo('writeIntent');
    const [debit] = d.callsTo('debitCard');
    expect(debit?.input).toEqual(intent?.input);
    expect(intent?.input).toMatchObject({
      tx: {
        tx_id: TX_ID,
        card_ref: CARD.card_ref,
        amount_minor: QUOTE.amount_minor,
        balance_before_minor: 2_000,
        expected_balance_after_minor: 1_250,
        tmac_counter_before: CARD.tmac_counter,
        direction: 'debit',
      },
    });
    expect(names(d)).toEqual([
      'selfTest', 'readCard', 'checkRisk', 'quote', 'printerStatus', 'checkRisk',
      'allocateTxId', 'writeIntent', 'debitCard', 'recordCommitted', 'fulfil', 'printReceipt',
    ]);
    expect(d.callsTo('recordCommitted')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID }, evidence: EVIDENCE });
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
    await d.act({ type: 'FINISH' });
    expect(d.value).toBe('idle');
  });

  it('the done screen warns before it times out and a touch gives more time (WCAG 2.2.1); the money is final, nothing is recorded again', async () => {
    const d = residentDriver();
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
    const calls = d.calls.length;

    d.clock.advance(TEST_TIMEOUTS.done_ms - 1);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(false);
    d.clock.advance(1);
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);

    await d.act({ type: 'TOUCH' }); // "I need more time"
    expect(d.snapshot.hasTag('timeout_warning')).toBe(false);
    d.clock.advance(TEST_TIMEOUTS.done_ms - 1);
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
    expect(ctx(d).payment?.stage).toBe('settled');

    d.clock.advance(1);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    d.clock.advance(TEST_TIMEOUTS.warning_ms);
    expect(d.value).toBe('idle');
    expect(d.calls.length).toBe(calls);
  });

  it('never touches the card when the intent cannot be written, and takes the kiosk out of service', async () => {
    const d = residentDriver({ writeIntent: () => out.ledgerDown });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('debitCard')).toEqual([]);
    expect(d.callsTo('recordAborted')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID }, reason: 'ledger_unavailable' });
    expect(ctx(d).notice).toEqual({ key: 'payment.not_taken', tx_id: TX_ID });
    await d.act({ type: 'ACK' });
    expect(d.value).toBe('outOfService');
    expect(ctx(d).notice?.key).toBe('kiosk.ledger_unavailable');
  });

  it('aborts without touching the card when the card leaves while the intent is written', async () => {
    const d = residentDriver({ writeIntent: WAIT });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.act({ type: 'CARD_REMOVED' });
    await d.resolve('writeIntent', out.ledgerOk);
    expect(d.callsTo('debitCard')).toEqual([]);
    expect(d.callsTo('recordAborted')[0]?.input).toMatchObject({ reason: 'card_removed_before_debit' });
    expect(d.snapshot.matches({ payment: 'aborted' })).toBe(true);
  });
});

describe('resident payment: uncertain outcomes', () => {
  it('card removed during the debit → uncertain → same card shows committed → finishes the payment', async () => {
    const d = residentDriver({ debitCard: WAIT });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.act({ type: 'CARD_REMOVED' });
    expect(d.snapshot.hasTag('card_write_in_flight')).toBe(true);
    await d.resolve('debitCard', out.debitUncertain);

    expect(d.snapshot.matches({ payment: { uncertain: 'waitingForSameCard' } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.present_same_card', tx_id: TX_ID });
    expect(ctx(d).payment?.stage).toBe('debit_in_flight');

    expect(d.callsTo('recordUncertain')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID }, cause: 'card_removed' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.callsTo('settleUncertain')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID, card_ref: CARD.card_ref } });
    // The settlement wrote its own `settled` entry: no committed or aborted entry on top of it.
    expect(d.callsTo('recordCommitted')).toEqual([]);
    expect(d.callsTo('recordAborted')).toEqual([]);
    expect(d.callsTo('fulfil')).toHaveLength(1);
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({ balance_after_minor: EVIDENCE.balance_after_minor });
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
  });

  it('uncertain → same card shows not committed → abort entry, nothing fulfilled, resident told', async () => {
    const d = residentDriver({ debitCard: () => out.debitUncertain, settleUncertain: () => out.settleNotCommitted });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.callsTo('recordAborted')).toEqual([]); // the settled entry (not committed) closes it
    expect(d.callsTo('recordCommitted')).toEqual([]);
    expect(d.callsTo('fulfil')).toEqual([]);
    expect(d.snapshot.matches({ payment: 'aborted' })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.not_taken', tx_id: TX_ID });
  });

  it('the card moved on (no record, counter changed): unresolved for the back office, never aborted', async () => {
    const d = residentDriver({ debitCard: () => out.debitUncertain, settleUncertain: () => out.settleUnknown });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ payment: { uncertain: 'unresolved' } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.unresolved', tx_id: TX_ID });
    expect(d.callsTo('recordAborted')).toEqual([]);
    expect(d.callsTo('fulfil')).toEqual([]);
  });

  it('the resident says they cannot tap again: unresolved at once, tx id shown, nothing aborted', async () => {
    const d = residentDriver({ debitCard: () => out.debitUncertain });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.act({ type: 'ACK' });
    expect(d.snapshot.matches({ payment: { uncertain: 'unresolved' } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.unresolved', tx_id: TX_ID });
    expect(d.callsTo('recordAborted')).toEqual([]);
  });

  it('a debit that never answers is recorded uncertain with the watchdog as cause', async () => {
    const d = residentDriver({ debitCard: WAIT });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.fireNextTimer();
    expect(d.callsTo('recordUncertain')[0]?.input).toMatchObject({ cause: 'timeout' });
  });

  it('refuses a different card while waiting for the same one, writes nothing, keeps waiting', async () => {
    const answers = [out.settleOtherCard, out.settleCommitted];
    const d = residentDriver({ debitCard: () => out.debitUncertain, settleUncertain: () => answers.shift() });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });

    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ payment: { uncertain: 'waitingForSameCard' } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.different_card', tx_id: TX_ID });
    expect(d.callsTo('recordCommitted')).toEqual([]);
    expect(d.callsTo('recordAborted')).toEqual([]);

    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.callsTo('settleUncertain')).toHaveLength(2);
    expect(d.callsTo('fulfil')).toHaveLength(1);
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
  });

  it('a debit that never answers is uncertain after the watchdog, never assumed either way', async () => {
    const d = residentDriver({ debitCard: WAIT });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.fireNextTimer();
    expect(d.snapshot.matches({ payment: { uncertain: 'waitingForSameCard' } })).toBe(true);
    expect(d.callsTo('recordAborted')).toEqual([]);
    expect(d.callsTo('recordCommitted')).toEqual([]);
  });

  it('the resident never comes back: the intent stays open for the back office, the tx id is shown', async () => {
    const d = residentDriver({ debitCard: () => out.debitUncertain });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.fireNextTimer(); // same-card wait → warning
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    await d.fireNextTimer(); // warning → unresolved
    expect(d.snapshot.matches({ payment: { uncertain: 'unresolved' } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.unresolved', tx_id: TX_ID });
    expect(d.callsTo('recordAborted')).toEqual([]);
    await d.act({ type: 'ACK' });
    expect(d.value).toBe('idle');
  });
});

describe('resident payment: a committed entry that could not be written', () => {
  it('is never labelled recorded: the resident is served, the kiosk stops, and the entry is written before anyone else', async () => {
    const answers = [out.ledgerDown, out.ledgerDown, out.ledgerOk];
    const d = residentDriver({ recordCommitted: () => answers.shift() }, { timeouts: TEST_TIMEOUTS, max_record_attempts: 2 });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    await d.fireNextTimer(); // the retry
    expect(d.callsTo('recordCommitted')).toHaveLength(2);
    expect(ctx(d).payment?.stage).not.toBe('recorded');
    expect(ctx(d).unrecorded).toMatchObject({ tx: { tx_id: TX_ID }, evidence: EVIDENCE });
    expect(d.callsTo('fulfil')).toHaveLength(1); // the resident paid: the service is theirs
    expect(ctx(d).fault).toBe('kiosk.ledger_unavailable');
    await d.act({ type: 'FINISH' });
    expect(d.value).toBe('outOfService');
    await d.act({ type: 'MAINTENANCE_RETRY' });
    expect(d.callsTo('recordCommitted')).toHaveLength(3);
    expect(d.callsTo('recordCommitted')[2]?.input).toMatchObject({ tx: { tx_id: TX_ID }, evidence: EVIDENCE });
    expect(ctx(d).unrecorded).toBeNull();
    expect(d.value).toBe('idle');
  });

  it('a ledger that refuses the entry is a fault for staff, not "ledger unavailable"', async () => {
    const d = residentDriver({ recordCommitted: () => out.ledgerFault }, { timeouts: TEST_TIMEOUTS, max_record_attempts: 1 });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(ctx(d).fault).toBe('kiosk.ledger_fault');
    await d.act({ type: 'FINISH' });
    await d.act({ type: 'MAINTENANCE_RETRY' });
    expect(d.value).toBe('outOfService'); // still refused: stays out of service, nothing else served
    expect(ctx(d).unrecorded).not.toBeNull();
  });

  it('an intent the ledger refuses is a fault too, and nothing reaches the card', async () => {
    const d = residentDriver({ writeIntent: () => out.ledgerFault });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('debitCard')).toEqual([]);
    expect(ctx(d).fault).toBe('kiosk.ledger_fault');
  });
});

describe('resident payment: after the card committed', () => {
  it('a service that refuses the payment is answered with a credit back and a receipt saying so', async () => {
    const d = residentDriver({ fulfil: () => out.serviceRefused });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('refundOrCreditBack')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID }, reason: 'payment_accepted_N' });
    expect(ctx(d).notice).toEqual({ key: 'service.refused.credited_back', tx_id: TX_ID });
    await d.act({ type: 'ACK' });
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({
      tx_id: TX_ID,
      outcome: 'credited_back',
      balance_after_minor: CREDIT_BACK_EVIDENCE.balance_after_minor,
      masked_serial: CARD.masked_serial,
    });
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
  });

  it('records a refund entry when the card cannot be credited back', async () => {
    const d = residentDriver({ fulfil: () => out.serviceRefused, refundOrCreditBack: () => out.refundRecorded });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(ctx(d).notice).toEqual({ key: 'service.refused.refund_recorded', tx_id: TX_ID });
    await d.act({ type: 'ACK' });
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({ outcome: 'refund_recorded', service_ref: 'rf-1' });
  });

  it('if neither credit back nor refund entry works, the resident is sent to staff and the kiosk stops after', async () => {
    const d = residentDriver({ fulfil: () => out.serviceRefused, refundOrCreditBack: () => out.refundFailed });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(ctx(d).notice).toEqual({ key: 'service.refused.contact_staff', tx_id: TX_ID });
    await d.act({ type: 'ACK' });
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({ outcome: 'refund_failed' });
    await d.act({ type: 'FINISH' });
    expect(d.value).toBe('outOfService');
  });

  it('printer out of paper: the payment still completes, the resident is told and shown the tx id', async () => {
    const d = residentDriver({ printerStatus: () => out.printerNoPaper, printReceipt: () => out.noPaper });
    await toConfirming(d);
    expect(ctx(d).receipt_available).toBe(false);
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('recordCommitted')).toHaveLength(1);
    expect(d.callsTo('fulfil')).toHaveLength(1);
    expect(d.snapshot.matches({ payment: 'noReceipt' })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'receipt.unavailable', tx_id: TX_ID });
    expect(ctx(d).payment?.stage).toBe('fulfilled');
    await d.act({ type: 'ACK' });
    await d.act({ type: 'FINISH' });
    expect(d.value).toBe('idle');
  });

  it('retries the committed entry, then serves the resident anyway and goes out of service', async () => {
    const d = residentDriver({ recordCommitted: () => out.ledgerDown });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.snapshot.matches({ payment: 'recordRetry' })).toBe(true);
    await d.fireNextTimer();
    await d.fireNextTimer();
    expect(d.callsTo('recordCommitted')).toHaveLength(3);
    expect(d.callsTo('fulfil')).toHaveLength(1);
    expect(ctx(d).fault).toBe('kiosk.ledger_unavailable');
    await d.act({ type: 'FINISH' });
    expect(d.value).toBe('outOfService');
  });
});

describe('resident payment: not enough money', () => {
  it('a balance below the quote is refused before any ledger entry or card write', async () => {
    const d = residentDriver({ quote: () => out.quoteTooBig });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.snapshot.matches({ session: 'insufficientFunds' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('payment.insufficient_funds');
    expect(names(d)).not.toContain('writeIntent');
    expect(names(d)).not.toContain('debitCard');
    await d.act({ type: 'BACK' });
    expect(d.snapshot.matches({ session: 'chooseService' })).toBe(true);
  });

  it('a card that refuses the debit for insufficient funds gets an abort entry and the resident is told', async () => {
    const d = residentDriver({ debitCard: () => out.debitRefused });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('recordAborted')[0]?.input).toMatchObject({ reason: 'insufficient_funds' });
    expect(ctx(d).notice).toEqual({ key: 'payment.insufficient_funds', tx_id: TX_ID });
    expect(d.callsTo('fulfil')).toEqual([]);
  });
});

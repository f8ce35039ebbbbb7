// The resident machine before money moves: failures with their message keys
// and ways out, and timeouts with a warning and a chance to extend.
import { describe, expect, it } from 'vitest';
import { residentMachine, type ResidentContext } from '../../../src/kiosk/machines/resident';
import { waitingStatesWithoutTimeout } from './support/driver';
import { CARD, TEST_TIMEOUTS, out } from './support/fixtures';
import { residentDriver, toConfirming } from './support/resident-model';

const ctx = (d: { snapshot: { context: unknown } }): ResidentContext => d.snapshot.context as ResidentContext;

describe('resident machine: every waiting state times out', () => {
  it('has no waiting state without a timeout, except the attract screen', () => {
    expect(waitingStatesWithoutTimeout(residentMachine, ['resident.idle'])).toEqual([]);
  });

  it('warns after the idle time, goes back to attract after the warning, and a touch extends', async () => {
    const d = residentDriver();
    await d.settle();
    await d.act({ type: 'TOUCH' });
    expect(d.snapshot.matches({ session: { waitingForCard: 'active' } })).toBe(true);

    d.clock.advance(TEST_TIMEOUTS.idle_ms - 1);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(false);
    d.clock.advance(1);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);

    await d.act({ type: 'TOUCH' }); // extend
    expect(d.snapshot.matches({ session: { waitingForCard: 'active' } })).toBe(true);
    d.clock.advance(TEST_TIMEOUTS.idle_ms - 1);
    await d.act({ type: 'TOUCH' }); // activity restarts the clock
    d.clock.advance(TEST_TIMEOUTS.idle_ms - 1);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(false);

    d.clock.advance(1);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    d.clock.advance(TEST_TIMEOUTS.warning_ms);
    expect(d.value).toBe('idle');
  });

  it('a resident who walks away from the quote is returned to attract, and the card is forgotten', async () => {
    const d = residentDriver();
    await toConfirming(d);
    d.clock.advance(TEST_TIMEOUTS.idle_ms);
    d.clock.advance(TEST_TIMEOUTS.warning_ms);
    expect(d.value).toBe('idle');
    expect(ctx(d).card).toBeNull();
    expect(ctx(d).quote).toBeNull();
    expect(d.callsTo('writeIntent')).toEqual([]);
  });
});

describe('resident machine: failures before payment', () => {
  it('self-test failure puts the kiosk out of service until a retry passes', async () => {
    const answers = [out.selfTestFailed, out.selfTestOk];
    const d = residentDriver({ selfTest: () => answers.shift() });
    await d.settle();
    expect(d.value).toBe('outOfService');
    expect(d.snapshot.hasTag('out_of_service')).toBe(true);
    expect(ctx(d).notice?.key).toBe('kiosk.out_of_service');
    await d.act({ type: 'MAINTENANCE_RETRY' });
    expect(d.value).toBe('idle');
  });

  it('retries the self-test on its own after a while', async () => {
    const answers = [out.selfTestFailed, out.selfTestOk];
    const d = residentDriver({ selfTest: () => answers.shift() });
    await d.settle();
    d.clock.advance(TEST_TIMEOUTS.self_test_retry_ms);
    await d.settle();
    expect(d.value).toBe('idle');
  });

  it('reader lost: out of service until the reader is back and the self-test passes', async () => {
    const d = residentDriver();
    await d.settle();
    await d.act({ type: 'READER_LOST' });
    expect(d.value).toBe('readerLost');
    expect(ctx(d).notice?.key).toBe('reader.lost');
    await d.act({ type: 'READER_RESTORED' });
    expect(d.value).toBe('idle');
    expect(d.callsTo('selfTest')).toHaveLength(2);
  });

  it('a reader that fails mid-read is reported as reader lost', async () => {
    const d = residentDriver({ readCard: () => out.readReaderLost });
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.value).toBe('readerLost');
  });

  it('card removed before the debit goes back to waiting for a card, forgetting it', async () => {
    const d = residentDriver();
    await toConfirming(d);
    await d.act({ type: 'CARD_REMOVED' });
    expect(d.snapshot.matches({ session: 'waitingForCard' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('card.removed');
    expect(ctx(d).card).toBeNull();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ session: 'balanceShown' })).toBe(true);
  });

  it.each([
    ['hotlisted', out.riskHotlisted, 'risk.hotlisted'],
    ['expired', { ok: false, error: 'expired' } as const, 'risk.expired'],
  ])('a %s card is refused after reading, before any balance is shown', async (_, answer, key) => {
    const d = residentDriver({ checkRisk: () => answer });
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ session: 'refused' })).toBe(true);
    expect(ctx(d).notice?.key).toBe(key);
    expect(d.callsTo('checkRisk')[0]?.input).toEqual({ card: CARD, amount_minor: 0 });
    await d.act({ type: 'ACK' });
    expect(d.value).toBe('idle');
  });

  it('an offline limit reached refuses the payment, not the card: no intent, no debit', async () => {
    const d = residentDriver({ checkRisk: ({ amount_minor }: { amount_minor: number }) => (amount_minor > 0 ? out.riskOfflineLimit : out.riskOk) });
    await toConfirming(d);
    await d.act({ type: 'CONFIRM' });
    expect(d.snapshot.matches({ session: 'refused' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('risk.offline_tx_limit');
    expect(d.callsTo('checkRisk')[1]?.input).toMatchObject({ amount_minor: 750 });
    expect(d.callsTo('writeIntent')).toEqual([]);
  });

  it('an unreadable card can be taken away and tried again', async () => {
    const answers = [out.readUnreadable, out.readOk];
    const d = residentDriver({ readCard: () => answers.shift() });
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ session: 'cardUnreadable' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('card.unreadable');
    await d.act({ type: 'CARD_REMOVED' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ session: 'balanceShown' })).toBe(true);
  });

  it('nothing due on a service: told so, back to the service list', async () => {
    const d = residentDriver({ quote: () => out.quoteNothingDue });
    await toConfirming(d);
    expect(d.snapshot.matches({ session: 'quoteRefused' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('quote.nothing_due');
    await d.act({ type: 'BACK' });
    expect(d.snapshot.matches({ session: 'chooseService' })).toBe(true);
  });

  it('shows the balance and the recent transactions from the card', async () => {
    const d = residentDriver();
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(ctx(d).card?.balance_minor).toBe(2_000);
    expect(ctx(d).card?.recent).toEqual(CARD.recent); // the tap read the newest record only
    expect(d.callsTo('readHistory')).toEqual([]);
    await d.act({ type: 'SHOW_HISTORY' });
    expect(d.callsTo('readHistory')).toHaveLength(1); // the whole history only now that the resident asks
    expect(d.snapshot.matches({ session: { history: 'shown' } })).toBe(true);
    expect(ctx(d).card?.recent).toEqual(out.historyOk.value);
  });

  it('says so when the history cannot be read (card gone), and the resident carries on', async () => {
    const d = residentDriver({ readHistory: () => out.readRemoved });
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'SHOW_HISTORY' });
    expect(d.snapshot.matches({ session: { history: 'shown' } })).toBe(true);
    expect(ctx(d).notice?.key).toBe('card.history_unavailable');
    await d.act({ type: 'BACK' });
    expect(d.snapshot.matches({ session: 'chooseService' })).toBe(true);
  });
});

// The resident machine between the first quote and the confirm screen: the
// patron PIN when the service asks for it, and the choice among fines (or
// parking durations) before the final quote. Nothing here moves money.
import { describe, expect, it } from 'vitest';
import { err, ok, type QuoteInput, type QuoteResult } from '../../../src/kiosk/machines/contracts';
import type { ResidentContext } from '../../../src/kiosk/machines/resident';
import { CHOOSE_ONE_QUOTE, CHOOSE_QUOTE, QUOTE, TEST_TIMEOUTS, out } from './support/fixtures';
import { residentDriver, toConfirming, WAIT } from './support/resident-model';

const ctx = (d: { snapshot: { context: unknown } }): ResidentContext => d.snapshot.context as ResidentContext;
const quoteInputs = (d: { callsTo(name: string): { input: unknown }[] }): QuoteInput[] => d.callsTo('quote').map((c) => c.input as QuoteInput);
const MONEY_ACTORS = ['allocateTxId', 'writeIntent', 'debitCard', 'recordCommitted', 'fulfil', 'refundOrCreditBack'];
const noMoneyMoved = (d: { callsTo(name: string): unknown[] }) => expect(MONEY_ACTORS.flatMap((n) => d.callsTo(n))).toEqual([]);

/** A library that asks for PIN 1234, then offers two fines, then quotes what was chosen. */
function library(input: QuoteInput): QuoteResult {
  if (input.pin === undefined && input.chosen === undefined) return out.quotePinRequired;
  if (input.pin !== undefined && input.pin !== '1234') return out.quotePinWrong;
  if (input.chosen === undefined) return out.quoteChoose;
  const chosen = CHOOSE_QUOTE.choose!.options.filter((o) => input.chosen!.includes(o.id));
  return ok({ ...QUOTE, quote_ref: `q-${input.chosen.join('+')}`, amount_minor: chosen.reduce((s, o) => s + o.amount_minor, 0) });
}

describe('resident machine: the patron PIN', () => {
  it('asks for the PIN, quotes again with it, and never keeps it', async () => {
    const d = residentDriver({ quote: library });
    await toConfirming(d);
    expect(d.snapshot.matches({ session: 'patronPin' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('quote.pin_required');
    await d.act({ type: 'SUBMIT_PIN', pin: '1234' });
    expect(d.snapshot.matches({ session: 'choosing' })).toBe(true);
    expect(quoteInputs(d)[1]).toEqual({ kind: 'library_fine', reference: 'fine-77', card_ref: 'card-ref-A', pin: '1234' });
    expect(JSON.stringify(d.snapshot.context)).not.toContain('1234');
    expect(ctx(d).notice).toBeNull();
    noMoneyMoved(d);
  });

  it('a wrong PIN is said so and may be tried again', async () => {
    const d = residentDriver({ quote: library });
    await toConfirming(d);
    await d.act({ type: 'SUBMIT_PIN', pin: '9999' });
    expect(d.snapshot.matches({ session: 'patronPin' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('quote.pin_wrong');
    await d.act({ type: 'SUBMIT_PIN', pin: '1234' });
    expect(d.snapshot.matches({ session: 'choosing' })).toBe(true);
    expect(JSON.stringify(d.snapshot.context)).not.toMatch(/9999|1234/);
    noMoneyMoved(d);
  });

  it('BACK leaves the PIN screen for the service list; removing the card forgets the session', async () => {
    const d = residentDriver({ quote: library });
    await toConfirming(d);
    await d.act({ type: 'BACK' });
    expect(d.snapshot.matches({ session: 'chooseService' })).toBe(true);
    await d.act({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'fine-77' });
    await d.act({ type: 'CARD_REMOVED' });
    expect(d.snapshot.matches({ session: 'waitingForCard' })).toBe(true);
    expect(ctx(d).card).toBeNull();
    noMoneyMoved(d);
  });

  it('times out like any other screen', async () => {
    const d = residentDriver({ quote: library });
    await toConfirming(d);
    d.clock.advance(TEST_TIMEOUTS.idle_ms);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    d.clock.advance(TEST_TIMEOUTS.warning_ms);
    expect(d.value).toBe('idle');
    expect(ctx(d).selection).toBeNull();
  });
});

describe('resident machine: choosing what to pay', () => {
  const toChoosing = async () => {
    const d = residentDriver({ quote: (input: QuoteInput) => library({ ...input, pin: input.chosen === undefined ? '1234' : undefined }) });
    await toConfirming(d);
    expect(d.snapshot.matches({ session: 'choosing' })).toBe(true);
    return d;
  };

  it('one of several: the final quote is for that one, then confirm as usual', async () => {
    const d = await toChoosing();
    expect(ctx(d).quote?.choose?.options.map((o) => o.id)).toEqual(['fee-0', 'fee-1']);
    await d.act({ type: 'CHOOSE', option_ids: ['fee-1'] });
    expect(quoteInputs(d)[1]).toEqual({ kind: 'library_fine', reference: 'fine-77', card_ref: 'card-ref-A', chosen: ['fee-1'] });
    expect(d.snapshot.matches({ session: 'confirming' })).toBe(true);
    expect(ctx(d).quote).toMatchObject({ quote_ref: 'q-fee-1', amount_minor: 250 });
    expect(ctx(d).quote?.choose).toBeUndefined();
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('debitCard')[0]?.input).toMatchObject({ tx: { amount_minor: 250, quote_ref: 'q-fee-1' } });
  });

  it('the receipt carries the final quote\'s lines when paid, and none when the money went back', async () => {
    const lined = ok({ ...QUOTE, receipt_lines: [{ key: 'library.fines_paid', value: '1' }] });
    const paid = residentDriver({ quote: (i: QuoteInput) => (i.chosen ? lined : out.quoteChoose) });
    await toConfirming(paid);
    await paid.act({ type: 'CHOOSE', option_ids: ['fee-1'] });
    await paid.act({ type: 'CONFIRM' });
    expect(paid.callsTo('printReceipt')[0]?.input).toMatchObject({ outcome: 'paid', lines: [{ key: 'library.fines_paid', value: '1' }] });

    const refused = residentDriver({ quote: (i: QuoteInput) => (i.chosen ? lined : out.quoteChoose), fulfil: () => out.serviceRefused });
    await toConfirming(refused);
    await refused.act({ type: 'CHOOSE', option_ids: ['fee-1'] });
    await refused.act({ type: 'CONFIRM' });
    await refused.act({ type: 'ACK' });
    const receipt = refused.callsTo('printReceipt')[0]?.input as { outcome: string; lines?: unknown };
    expect(receipt.outcome).toBe('credited_back');
    expect(receipt.lines).toBeUndefined();
  });

  it('several, or all', async () => {
    const d = await toChoosing();
    await d.act({ type: 'CHOOSE', option_ids: ['fee-0', 'fee-1'] });
    expect(ctx(d).quote).toMatchObject({ quote_ref: 'q-fee-0+fee-1', amount_minor: 750 });
    expect(d.snapshot.matches({ session: 'confirming' })).toBe(true);
  });

  it.each([
    ['no option', []],
    ['an option that was not offered', ['fee-9']],
    ['the same option twice', ['fee-0', 'fee-0']],
  ])('%s: stays on the choice with a notice, asking nothing', async (_, option_ids) => {
    const d = await toChoosing();
    await d.act({ type: 'CHOOSE', option_ids });
    expect(d.snapshot.matches({ session: 'choosing' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('quote.choice_invalid');
    expect(d.callsTo('quote')).toHaveLength(1);
    await d.act({ type: 'CHOOSE', option_ids: ['fee-0'] });
    expect(d.snapshot.matches({ session: 'confirming' })).toBe(true);
    expect(ctx(d).notice).toBeNull();
  });

  it('exactly one when the service allows only one (a parking duration)', async () => {
    const answers: QuoteResult[] = [ok(CHOOSE_ONE_QUOTE), ok(QUOTE)];
    const d = residentDriver({ quote: () => answers.shift() });
    await toConfirming(d);
    await d.act({ type: 'CHOOSE', option_ids: ['fee-0', 'fee-1'] });
    expect(d.snapshot.matches({ session: 'choosing' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('quote.choice_invalid');
    await d.act({ type: 'CHOOSE', option_ids: ['fee-1'] });
    expect(d.snapshot.matches({ session: 'confirming' })).toBe(true);
  });

  it('the second quote refused (the fine was paid meanwhile): told so, back to the service list', async () => {
    const answers: QuoteResult[] = [out.quoteChoose, err('already_paid')];
    const d = residentDriver({ quote: () => answers.shift() });
    await toConfirming(d);
    await d.act({ type: 'CHOOSE', option_ids: ['fee-0'] });
    expect(d.snapshot.matches({ session: 'quoteRefused' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('quote.already_paid');
    noMoneyMoved(d);
  });

  it('BACK returns to the service list; the card removed forgets everything', async () => {
    const d = await toChoosing();
    await d.act({ type: 'BACK' });
    expect(d.snapshot.matches({ session: 'chooseService' })).toBe(true);
    const e = await toChoosing();
    await e.act({ type: 'CARD_REMOVED' });
    expect(e.snapshot.matches({ session: 'waitingForCard' })).toBe(true);
    expect(ctx(e).quote).toBeNull();
    noMoneyMoved(e);
  });

  it('the card removed while the final quote is being asked for', async () => {
    const answers: (QuoteResult | undefined)[] = [out.quoteChoose, undefined];
    const d = residentDriver({ quote: () => answers.shift() });
    await toConfirming(d);
    await d.act({ type: 'CHOOSE', option_ids: ['fee-0'] });
    expect(d.snapshot.matches({ session: 'quoting' })).toBe(true);
    await d.act({ type: 'CARD_REMOVED' });
    expect(d.snapshot.matches({ session: 'waitingForCard' })).toBe(true);
    noMoneyMoved(d);
  });

  it('times out like any other screen, and a touch extends', async () => {
    const d = await toChoosing();
    d.clock.advance(TEST_TIMEOUTS.idle_ms);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    await d.act({ type: 'TOUCH' });
    expect(d.snapshot.hasTag('timeout_warning')).toBe(false);
    d.clock.advance(TEST_TIMEOUTS.idle_ms);
    d.clock.advance(TEST_TIMEOUTS.warning_ms);
    expect(d.value).toBe('idle');
    expect(ctx(d).quote).toBeNull();
    noMoneyMoved(d);
  });

  it('a quote that never answers can be left with CANCEL', async () => {
    const d = residentDriver({ quote: WAIT });
    await toConfirming(d);
    await d.act({ type: 'CANCEL' });
    expect(d.value).toBe('idle');
  });
});

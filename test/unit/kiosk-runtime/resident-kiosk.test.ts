import { describe, expect, it } from 'vitest';
import { issuedSimCard, vaultFor as vault } from '../../support/card-fixtures';
import { waitFor } from 'xstate';
import { Purse } from '../../../src/card/purse';
import { CardStation } from '../../../src/kiosk/runtime/card-station';
import type { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { memoryLedger } from '../ledger/helpers';
import { startResidentKiosk } from '../../../src/kiosk/runtime/resident-kiosk';
import { attachScanner, type ScanRefusal } from '../../../src/kiosk/runtime/scanner-bridge';
import { luhnCheckDigit } from '../../../src/shared/barcodes';
import { SimulatedScanner } from '../../../hardware/sim/scanner';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import { FixedFeeService } from '../../support/fixed-fee';
import type { KioskService } from '../../../src/kiosk/services/types';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { SimPrinterTransport } from '../../../hardware/sim/printer';

// The resident machine with real parts: card simulator behind the fake reader,
// the real purse and card station, the real ledger (SQLite :memory:), the
// ESC/POS driver on the simulated printer.

/** What the ledger holds, one row per entry, with the fields these tests look at. */
function entries(ledger: RuntimeLedger) {
  return ledger.entriesSince(0).map((e) => {
    const p = e.payload as { kind: string; tx_id?: string; amount_minor?: number };
    const direction = p.kind === 'intent' || p.kind === 'committed' ? 'debit' : p.kind.startsWith('credit') ? 'credit' : null;
    return { kind: p.kind, tx_id: p.tx_id ?? '', direction, amount_minor: p.amount_minor ?? (ledger.txBalance(p.tx_id ?? '')?.amount_minor ?? null) };
  });
}


async function kiosk(opening_minor: number, services: KioskService[] = [new FixedFeeService('library_fine', 350), new FixedFeeService('parking', 200), new FixedFeeService('citation', 4_500)]) {
  const { sim, keys } = await issuedSimCard(opening_minor);
  const reader = new FakeCardReader();
  const kioskVault = vault(keys, ['debit', 'read']);
  const ledger = memoryLedger(); // the real ledger on :memory:: same schema, rules and signatures
  const station = new CardStation({ reader, vault: kioskVault, terminal_id: 3, card_ref_key: Buffer.alloc(32, 1), ledger });
  const printerSim = new SimPrinterTransport();
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer: new EscPosPrinter(printerSim),
    services,
    risk: { policy: DEFAULT_RISK_POLICY, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: { kiosk_id: 'K-BRANCH-3', location_label: 'Central Library', time_zone: 'America/New_York', country: 'US', currency: 'USD' },
    language: () => 'es',
  });
  const balanceOnCard = async () => {
    const desk = new InMemoryCardTransport(sim);
    return (await new Purse(desk, { vault: kioskVault }).read()).balance_minor;
  };
  return { sim, reader, ledger, printerSim, actor, balanceOnCard };
}

describe('resident kiosk with real card, purse and printer', () => {
  it('pays a library fine: intent before the card, committed after, receipt printed in Spanish', async () => {
    const { sim, reader, ledger, printerSim, actor, balanceOnCard } = await kiosk(1_000);
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    expect(actor.getSnapshot().context.card?.balance_minor).toBe(1_000);
    actor.send({ type: 'CONTINUE' });
    actor.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'FINE-123' });
    await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    actor.send({ type: 'CONFIRM' });
    await waitFor(actor, (s) => s.matches({ payment: 'done' }), { timeout: 10_000 });

    expect(entries(ledger).map((e) => e.kind)).toEqual(['intent', 'committed', 'service_post', 'service_result']); // the service told through the ledger
    const tx_id = entries(ledger)[0]!.tx_id;
    reader.removeCard();
    expect(await balanceOnCard()).toBe(650);
    const receipt = printerSim.core.receipts.at(-1)!;
    expect(receipt.text).toContain(tx_id);
    expect(receipt.text).toMatch(/Saldo/);
    actor.stop();
  });

  it('refuses a citation larger than the balance and moves no money', async () => {
    const { sim, reader, ledger, actor, balanceOnCard } = await kiosk(1_000);
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    actor.send({ type: 'CONTINUE' });
    actor.send({ type: 'SELECT_SERVICE', kind: 'citation', reference: '4000123' });
    await waitFor(actor, (s) => !s.matches({ session: 'quoting' }) && !s.matches({ session: 'chooseService' }), { timeout: 5_000 });
    actor.send({ type: 'CONFIRM' });
    // The machine itself refuses before any intent: the quote is above the balance.
    await waitFor(actor, (s) => s.matches({ session: 'insufficientFunds' }), { timeout: 5_000 });
    expect(actor.getSnapshot().context.notice?.key).toBe('payment.insufficient_funds');
    expect(actor.getSnapshot().context.payment).toBeNull();
    expect(entries(ledger)).toEqual([]);
    reader.removeCard();
    expect(await balanceOnCard()).toBe(1_000);
    actor.stop();
  });

  it('a scanned citation barcode picks what to pay; garbage and early scans are refused with a reason', async () => {
    const { sim, reader, actor } = await kiosk(10_000);
    const scanner = new SimulatedScanner();
    const refusals: ScanRefusal[] = [];
    attachScanner(actor, scanner, (r) => refusals.push(r));
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    scanner.scan('LF20419'); // no card yet
    reader.insertCard(sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    scanner.scan('1234567890'); // wrong check digit
    scanner.scan('\u0000\u0001');
    scanner.scan(`400012345${luhnCheckDigit('400012345')}`);
    await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    expect(actor.getSnapshot().context.quote).toMatchObject({ kind: 'citation', amount_minor: 4_500 });
    expect(refusals).toEqual(['not_now', 'bad_check_digit', 'not_a_known_barcode']);
    actor.stop();
  });

  it('the intent is in the ledger before the Debit reaches the card', async () => {
    const { sim, reader, ledger, actor } = await kiosk(1_000);
    const intentsAtDebit: number[] = [];
    const watched = {
      get atr() {
        return sim.atr;
      },
      powerOn: () => sim.powerOn(),
      powerOff: () => sim.powerOff(),
      transmit: (apdu: Buffer) => {
        if (apdu[1] === 0xdc) intentsAtDebit.push(entries(ledger).filter((e) => e.kind === 'intent').length);
        return sim.transmit(apdu);
      },
    };
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(watched);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    actor.send({ type: 'CONTINUE' });
    actor.send({ type: 'SELECT_SERVICE', kind: 'parking', reference: 'SPACE-1' });
    await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    actor.send({ type: 'CONFIRM' });
    await waitFor(actor, (s) => s.matches({ payment: 'done' }), { timeout: 10_000 });
    expect(intentsAtDebit).toEqual([1]);
    actor.stop();
  });

  it('a service that refuses a paid fine: the money goes back onto the card as its own recorded transaction', async () => {
    const fixed = new FixedFeeService('library_fine', 350);
    const refusing: KioskService = {
      kind: 'library_fine',
      quote: (input) => fixed.quote(input),
      fulfil: async () => ({ status: 'refused', reason: 'fine_already_paid' }),
      refund: async () => ({ ok: true, value: { undone: true } }),
    };
    const { sim, reader, ledger, actor, balanceOnCard } = await kiosk(1_000, [refusing]);
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    actor.send({ type: 'CONTINUE' });
    actor.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'FINE-9' });
    await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    actor.send({ type: 'CONFIRM' });
    await waitFor(actor, (s) => s.context.notice?.key === 'service.refused.credited_back', { timeout: 10_000 });
    const [paid, back] = [entries(ledger)[0]!.tx_id, entries(ledger)[4]!.tx_id];
    expect(entries(ledger).map((e) => [e.kind, e.direction, e.amount_minor, e.tx_id === paid ? 'payment' : e.tx_id === back ? 'credit back' : '?'])).toEqual([
      ['intent', 'debit', 350, 'payment'],
      ['committed', 'debit', 350, 'payment'],
      ['service_post', null, 350, 'payment'],
      ['service_result', null, 350, 'payment'],
      ['credit_intent', 'credit', 350, 'credit back'],
      ['credit_committed', 'credit', 350, 'credit back'],
    ]);
    actor.stop();
    reader.removeCard();
    expect(await balanceOnCard()).toBe(1_000);
  });

  it('says the reader is lost when it goes, and comes back to the attract screen when it returns', async () => {
    const { reader, actor } = await kiosk(1_000);
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.detachReader(reader.readers()[0]!);
    await waitFor(actor, (s) => s.matches('readerLost'), { timeout: 5_000 });
    expect(actor.getSnapshot().context.notice?.key).toBe('reader.lost');
    reader.attachReader('Fake PCD 00 00');
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });
    actor.stop();
  });
});

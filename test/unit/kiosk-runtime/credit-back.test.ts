import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { issuedSimCard, vaultFor } from '../../support/card-fixtures';
import { Purse } from '../../../src/card/purse';
import { residentInputAfterRestart } from '../../../src/kiosk/machines/recovery';
import { CardStation } from '../../../src/kiosk/runtime/card-station';
import { startResidentKiosk, type ResidentKiosk } from '../../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import { FixedFeeService } from '../../support/fixed-fee';
import type { KioskService } from '../../../src/kiosk/services/types';
import type { ResidentInput } from '../../../src/kiosk/machines/resident';
import type { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { derivedTxId } from '../../../src/shared/ids';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import { memoryLedger } from '../ledger/helpers';

// A credit back is paid at most once (issue 6, point 6): its id follows from the
// payment, a second attempt settles the first from the card before anything,
// and no refund is written while it is open — across a restart too.

const REF_KEY = Buffer.alloc(32, 3);

function kioskOn(env: { reader: FakeCardReader; keys: Parameters<typeof vaultFor>[0]; ledger: RuntimeLedger }, service: KioskService, input: ResidentInput = {}): ResidentKiosk {
  const station = new CardStation({ reader: env.reader, vault: vaultFor(env.keys, ['debit', 'read']), terminal_id: 3, card_ref_key: REF_KEY, ledger: env.ledger });
  return startResidentKiosk({
    reader: env.reader,
    station,
    ledger: env.ledger,
    printer: new EscPosPrinter(new SimPrinterTransport()),
    services: [service],
    risk: { policy: DEFAULT_RISK_POLICY, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: { kiosk_id: 'K-3', location_label: 'Central Library', time_zone: 'America/New_York', country: 'US', currency: 'USD' },
    language: () => 'en',
    input,
  });
}

const kinds = (ledger: RuntimeLedger) => ledger.entriesSince(0).map((e) => e.payload.kind);

describe('a credit back after a service refusal', () => {
  it('torn mid credit back, then the kiosk restarts: no second credit back, no refund, and the card settles it', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const reader = new FakeCardReader();
    const ledger = memoryLedger();
    const env = { reader, keys, ledger };
    const fixed = new FixedFeeService('library_fine', 350);
    // The ILS refuses the paid fine; the resident pulls the card just as the credit back commits.
    const refusing: KioskService = {
      kind: 'library_fine',
      quote: (i) => fixed.quote(i),
      fulfil: async () => {
        reader.tearAt({ apdu: 3, when: 'after' }); // LimitedCredit, WriteRecord, Commit: torn after the card committed
        return { status: 'refused', reason: 'payment_accepted_N' };
      },
      refund: async () => ({ ok: true, value: { undone: true } }),
    };
    const first = kioskOn(env, refusing);
    let persisted: unknown = null;
    first.subscribe((s) => {
      if (s.context.payment?.stage === 'service_refused') persisted ??= first.getPersistedSnapshot();
    });
    await waitFor(first, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(sim);
    await waitFor(first, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    first.send({ type: 'CONTINUE' });
    first.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'FINE-9' });
    await waitFor(first, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    first.send({ type: 'CONFIRM' });
    await waitFor(first, (s) => s.context.notice?.key === 'service.refused.contact_staff', { timeout: 10_000 });
    const paid = first.getSnapshot().context.payment!.tx.tx_id;
    const back = derivedTxId('credit_back', paid);
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post', 'service_result', 'credit_intent', 'uncertain']);
    expect(ledger.txBalance(back)?.state).toBe('uncertain');
    first.stop();

    // The kiosk restarts in the middle of the refusal; the card is gone.
    const second = kioskOn(env, refusing, residentInputAfterRestart(persisted));
    await waitFor(second, (s) => s.context.notice?.key === 'service.refused.contact_staff', { timeout: 10_000 });
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post', 'service_result', 'credit_intent', 'uncertain']); // nothing minted, nothing refunded
    expect(ledger.entriesSince(0).filter((e) => e.payload.kind === 'credit_intent').map((e) => (e.payload as { tx_id: string }).tx_id)).toEqual([back]);

    // The resident comes back with the card: its history settles the credit back.
    second.send({ type: 'ACK' });
    await waitFor(second, (s) => s.matches({ payment: 'done' }), { timeout: 5_000 });
    second.send({ type: 'FINISH' });
    await waitFor(second, (s) => s.matches('outOfService'), { timeout: 5_000 }); // staff must see it
    second.send({ type: 'MAINTENANCE_RETRY' });
    await waitFor(second, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(sim);
    await waitFor(second, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    expect(ledger.txBalance(back)).toMatchObject({ state: 'committed', balance_after_minor: 1_000 });
    expect(ledger.txBalance(paid)?.refund_owed_minor).toBe(0);
    second.stop();
    reader.removeCard();
    const card = await new Purse(new InMemoryCardTransport(sim), { vault: vaultFor(keys, ['debit', 'read']) }).read();
    expect(card.balance_minor).toBe(1_000);
  }, 20_000);
});

describe('a credit back that never reached the card', () => {
  it('is settled from the card as not committed, and the payment it was to give back becomes a refund', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const reader = new FakeCardReader();
    const ledger = memoryLedger();
    const fixed = new FixedFeeService('library_fine', 350);
    const refusing: KioskService = {
      kind: 'library_fine',
      quote: (i) => fixed.quote(i),
      fulfil: async () => {
        reader.tearAt({ apdu: 3, when: 'before' }); // the credit back's commit never reaches the card
        return { status: 'refused', reason: 'payment_accepted_N' };
      },
      refund: async () => ({ ok: true, value: { undone: true } }),
    };
    const kiosk = kioskOn({ reader, keys, ledger }, refusing);
    await waitFor(kiosk, (s) => s.matches('idle'), { timeout: 5_000 });
    reader.insertCard(sim);
    await waitFor(kiosk, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    kiosk.send({ type: 'CONTINUE' });
    kiosk.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'FINE-10' });
    await waitFor(kiosk, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    kiosk.send({ type: 'CONFIRM' });
    await waitFor(kiosk, (s) => s.context.notice?.key === 'service.refused.contact_staff', { timeout: 10_000 });
    const paid = kiosk.getSnapshot().context.payment!.tx.tx_id;
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post', 'service_result', 'credit_intent', 'uncertain']);
    kiosk.stop();

    // The card comes back to this kiosk's reader (any read): the credit back settles as not committed.
    const station = new CardStation({ reader, vault: vaultFor(keys, ['debit', 'read']), terminal_id: 3, card_ref_key: REF_KEY, ledger });
    reader.insertCard(sim);
    expect((await station.readCard()).ok).toBe(true);
    expect(kinds(ledger)).toEqual(['intent', 'committed', 'service_post', 'service_result', 'credit_intent', 'uncertain', 'settled', 'refund']);
    expect(ledger.txBalance(paid)?.refund_owed_minor).toBe(350);
    expect(ledger.txBalance(derivedTxId('credit_back', paid))?.state).toBe('aborted');
  });
});

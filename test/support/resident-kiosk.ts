import { waitFor, type SnapshotFrom } from 'xstate';
import type { PayableServiceKind, QuoteOption } from '../../src/kiosk/machines/contracts';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import { startResidentKiosk, type ResidentKioskParts } from '../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../src/kiosk/runtime/risk';
import type { KioskService } from '../../src/kiosk/services/types';
import type { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../hardware/printer';
import { SimPrinterTransport } from '../../hardware/sim/printer';
import { issuedSimCard, vaultFor } from './card-fixtures';

// A resident kiosk on real parts for runtime tests: the card simulator behind
// the fake reader, the real card station and ledger, the ESC/POS driver on the
// printer simulator. `pay` walks one resident through a payment as the screen would.

export async function startTestKiosk(opts: {
  ledger: RuntimeLedger;
  services: KioskService[];
  opening_minor?: number;
  language?: 'en' | 'es' | 'pt';
  /** The network as the risk checks see it (default up). */
  online?: () => boolean;
  service_retry_ms?: number;
  sync?: ResidentKioskParts['sync'];
  /** The whole risk environment (default: the default policy, a fresh hotlist, `online`). */
  risk?: ResidentKioskParts['risk'];
  isHotlisted?: (card_ref: string) => boolean;
}) {
  const { sim, keys } = await issuedSimCard(opts.opening_minor ?? 1_000);
  const reader = new FakeCardReader();
  const { ledger } = opts;
  const transport = new SimPrinterTransport();
  const station = new CardStation({ reader, vault: vaultFor(keys, ['debit', 'read']), terminal_id: 3, card_ref_key: Buffer.alloc(32, 5), ledger, isHotlisted: opts.isHotlisted });
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer: new EscPosPrinter(transport),
    services: opts.services,
    risk: opts.risk ?? { policy: DEFAULT_RISK_POLICY, online: opts.online ?? (() => true), hotlistAgeMs: () => 0, now: () => new Date() },
    ...(opts.service_retry_ms === undefined ? {} : { service_retry_ms: opts.service_retry_ms }),
    receipt: { kiosk_id: 'K-3', location_label: 'Central Library', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
    language: () => opts.language ?? 'en',
    sync: opts.sync,
  });
  await waitFor(actor, (s) => s.matches('idle'), { timeout: 5_000 });

  /**
   * One payment (a library fine unless `kind` says otherwise) for `reference`, answering a service refusal notice; the quote and the tx id.
   * The PIN is given when the service asks for it; `choose` picks among the options (default: the preselected ones).
   */
  const pay = async (reference: string, opts: { pin?: string; choose?: (options: readonly QuoteOption[]) => string[]; kind?: PayableServiceKind } = {}) => {
    reader.insertCard(sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 5_000 });
    actor.send({ type: 'CONTINUE' });
    actor.send({ type: 'SELECT_SERVICE', kind: opts.kind ?? 'library_fine', reference });
    const past = (s: SnapshotFrom<typeof actor>) => s.matches({ session: 'confirming' }) || s.matches({ session: 'patronPin' }) || s.matches({ session: 'choosing' });
    await waitFor(actor, past, { timeout: 5_000 });
    if (actor.getSnapshot().matches({ session: 'patronPin' })) {
      if (opts.pin === undefined) throw new Error('the service asks for a PIN and the test gave none');
      actor.send({ type: 'SUBMIT_PIN', pin: opts.pin });
      await waitFor(actor, (s) => !s.matches({ session: 'quoting' }) && past(s) && !s.matches({ session: 'patronPin' }), { timeout: 5_000 });
    }
    if (actor.getSnapshot().matches({ session: 'choosing' })) {
      const options = actor.getSnapshot().context.quote!.choose!.options;
      actor.send({ type: 'CHOOSE', option_ids: opts.choose?.(options) ?? options.filter((o) => o.preselected).map((o) => o.id) });
    }
    await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
    const quote = actor.getSnapshot().context.quote!;
    actor.send({ type: 'CONFIRM' });
    await waitFor(actor, (s) => s.matches({ payment: 'serviceRefusedNotice' }) || s.matches({ payment: 'done' }) || s.matches({ payment: 'noReceipt' }), { timeout: 10_000 });
    if (actor.getSnapshot().matches({ payment: 'serviceRefusedNotice' })) actor.send({ type: 'ACK' });
    await waitFor(actor, (s) => s.matches({ payment: 'done' }) || s.matches({ payment: 'noReceipt' }), { timeout: 10_000 });
    const tx_id = actor.getSnapshot().context.payment!.tx.tx_id;
    actor.send({ type: 'FINISH' });
    reader.removeCard();
    return { tx_id, quote };
  };
  return { actor, reader, sim, keys, ledger, pay, printer: transport };
}

// The kiosk's whole payment in memory, for bench:kiosk and for profiling:
// resident machine + card station + FakeCardReader + DesfireSim + the real
// SQLite ledger on a temp file (WAL, synchronous=FULL) + the ESC/POS printer
// driver over the printer simulator. Nothing here waits for a person or a
// device: what a payment costs is the kiosk's software alone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../src/card/keys/keyset-file';
import { residentVisit, type CardHand } from '../../src/kiosk/demo/resident-visit';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import { startResidentKiosk, type ResidentKiosk } from '../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../src/kiosk/runtime/risk';
import { FixedFeeService } from '../support/fixed-fee';
import { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../hardware/printer';
import { SimPrinterTransport } from '../../hardware/sim/printer';
import { FilePrintJournal } from '../../src/kiosk/receipt';
import type { DesfireSim } from '../../hardware/sim/desfire';
import { issuedSimCard } from '../support/card-fixtures';
import type { StageTimers } from './stage-timers';

export interface PaymentLoop {
  /** One whole payment (tap → receipt → card back), its wall time in ms. */
  pay(n: number): Promise<number>;
  /** Drops what the simulators keep for tests to inspect (they are not the kiosk). */
  forgetSimulatorRecordings(): void;
  /** Time the last payment spent inside the simulators (the card answering APDUs, the printer decoding): not the kiosk's. */
  readonly lastSimulatorMs: number;
  stop(): Promise<void>;
  readonly actor: ResidentKiosk;
}

export interface PaymentLoopOptions {
  /** Times each stage of a payment (wraps the parts' methods). */
  stages?: StageTimers;
  /**
   * Residents, each with a card of their own, paying in turn (default 1). With
   * one card every payment adds to that card's history, which the ledger reads
   * per payment (the worst case); a kiosk serves many residents.
   */
  cards?: number;
}

export async function startPaymentLoop(opts: PaymentLoopOptions = {}): Promise<PaymentLoop> {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-bench-pay-'));
  const keysPath = join(dir, 'keys.json');
  const keyset = generateTestKeyset();
  writeKeysetFile(keysPath, keyset);
  const sims: DesfireSim[] = [];
  for (let i = 0; i < (opts.cards ?? 1); i++) sims.push((await issuedSimCard(50_000, keyset.keys)).sim);
  const reader = new FakeCardReader();
  const printerSim = new SimPrinterTransport();
  const ledger = RuntimeLedger.open(join(dir, 'ledger.db'), loadOrCreateKioskKey(join(dir, 'key.pem')));
  const station = new CardStation({ reader, vault: loadKeyVault(keysPath, { simulated: true, roles: ['debit', 'read'] }), terminal_id: 1, card_ref_key: Buffer.alloc(32, 1), ledger });
  const printer = new EscPosPrinter(printerSim, { journal: FilePrintJournal.open(join(dir, 'print-journal.json')) });
  if (opts.stages) {
    const t = opts.stages;
    t.wrap(station, 'readCard', 'card read + settlement');
    t.wrap(station, 'write', 'card debit');
    t.wrap(ledger, 'writeIntent', 'ledger intent (durable)');
    t.wrap(ledger, 'recordCommitted', 'ledger committed (durable)');
    t.wrap(ledger, 'cardDebitsSinceMinor', 'risk: card total today');
    t.wrap(ledger, 'openIntentsOf', 'settlement: open intents of card');
    t.wrap(printer, 'print', 'receipt print (driver + sim + journal)');
  }
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer,
    services: [new FixedFeeService('parking', 1)],
    risk: { policy: { ...DEFAULT_RISK_POLICY, daily_card_max_minor: 10_000_000 }, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: { kiosk_id: 'K-BENCH', location_label: 'Bench', time_zone: 'UTC', country: 'US', currency: 'USD' },
    language: () => 'en',
  });
  await waitFor(actor, (s) => s.matches('idle'));
  // The card (its own secure messaging and crypto) and the printer (decoding) run in this process
  // too; their time is measured so that the kiosk's own cost can be told apart.
  let simulatorMs = 0;
  const timed = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
    const t = performance.now();
    try {
      return fn(...args);
    } finally {
      simulatorMs += performance.now() - t;
    }
  };
  for (const card of sims) card.transmit = timed(card.transmit.bind(card));
  printerSim.core.receive = timed(printerSim.core.receive.bind(printerSim.core));
  let sim = sims[0]!;
  const hand: CardHand = { present: async () => reader.insertCard(sim), withdraw: async () => reader.removeCard(), isPresent: () => reader.status().status === 'card_present' };
  let lastSimulatorMs = 0;
  return {
    actor,
    get lastSimulatorMs() {
      return lastSimulatorMs;
    },
    async pay(n) {
      sim = sims[n % sims.length]!;
      simulatorMs = 0;
      const t0 = performance.now();
      const v = await residentVisit(actor, hand, { kind: 'parking', reference: 'S-1' });
      const ms = performance.now() - t0;
      lastSimulatorMs = simulatorMs;
      opts.stages?.add('whole payment', ms);
      if (!v.paid) throw new Error(`payment ${n} was not paid: ${v.notices.join(', ')}`);
      return ms;
    },
    forgetSimulatorRecordings() {
      reader.clearRecording();
      printerSim.core.forgetReceipts();
      printerSim.clearRecording();
    },
    async stop() {
      actor.stop();
      await reader.close();
      ledger.close();
    },
  };
}

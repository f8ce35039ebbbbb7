import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { issueCard } from '../../card/issuance';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../card/keys/keyset-file';
import { runBuiltInSelftest } from '../../card/selftest';
import { KioskLedger, loadOrCreateKioskKey, verifyLedger } from '../../ledger';
import { newTxId } from '../../shared/ids';
import { openCardReader } from '../../../hardware/pcsc';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { startPcscd, type PcscdHandle } from '../../../hardware/pcsc/pcscd-process';
import type { CardReader } from '../../../hardware/pcsc/types';
import { openPrinter } from '../../../hardware/printer';
import { blankCardState, DesfireSim, saveCardStateAtomic } from '../../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';
import { startPrinterSim } from '../../../hardware/sim/printer';
import { FilePrintJournal, reprintLastReceipt } from '../receipt';
import type { ReceiptLanguage } from '../receipt/model';
import { CardStation } from '../runtime/card-station';
import { startResidentKiosk } from '../runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../runtime/risk';
import { FixedFeeService } from '../services/fixed-fee';
import { inMemoryCounter, vpcdCounter, type CardCounter } from './card-hands';
import { residentVisit, type VisitPlan } from './resident-visit';

// `civicard demo --out DIR`: a scripted day at a branch-library kiosk through
// the real code paths — card issuance, the resident machine, purse, ledger,
// ESC/POS driver on a simulated printer — with a torn card and a paper-out.
// Leaves DIR/kiosk.db (verifiable with `civicard ledger verify`), the decoded
// receipts in DIR/receipts, and tells the day as it goes.

export interface DemoOptions {
  out: string;
  /** Use pcscd + vpcd when it can be started (default), else an in-memory reader. */
  pcscd: boolean;
  say: (line: string) => void;
}

export interface DemoResult {
  ledger_path: string;
  receipts: string[];
  ledger_ok: boolean;
  transport: 'pcscd' | 'in-memory';
}

interface Resident {
  name_for_story: string; // the story's own label ("Resident A"), never stored anywhere
  language: ReceiptLanguage;
  card: DesfireSim;
}

const usd = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);

export async function runDemoDay(opts: DemoOptions): Promise<DemoResult> {
  const { out, say } = opts;
  mkdirSync(join(out, 'cards'), { recursive: true });
  const selftest = runBuiltInSelftest();
  if (!selftest.ok) throw new Error('card-crypto self-test failed: this machine must not move money');

  const keysPath = join(out, 'test-keys.json');
  writeKeysetFile(keysPath, generateTestKeyset());
  const issuerVault = loadKeyVault(keysPath);

  let pcscd: PcscdHandle | null = null;
  let reader: CardReader;
  let counter: CardCounter;
  if (opts.pcscd) {
    try {
      pcscd = await startPcscd();
    } catch (err) {
      say(`(pcscd could not start: ${err instanceof Error ? err.message : String(err)}; using an in-memory reader)`);
    }
  }
  if (pcscd) {
    reader = openCardReader({ readerName: 'Virtual PCD 00 00' });
    counter = vpcdCounter();
  } else {
    const fake = new FakeCardReader();
    reader = fake;
    counter = inMemoryCounter(fake);
  }
  const printerSim = await startPrinterSim({ outDir: join(out, 'receipts') });
  const journal = FilePrintJournal.open(join(out, 'print-journal.json'));
  const printer = await openPrinter(printerSim.path, { journal });
  const ledgerPath = join(out, 'kiosk.db');
  const ledger = KioskLedger.open(ledgerPath, loadOrCreateKioskKey(join(out, 'kiosk-key.pem')));
  let language: ReceiptLanguage = 'en';
  const station = new CardStation({ reader, vault: loadKeyVault(keysPath, ['debit', 'read']), terminal_id: 101, card_ref_key: Buffer.alloc(32, 0x5a) });
  const kiosk = startResidentKiosk({
    reader,
    station,
    ledger,
    printer,
    services: [new FixedFeeService('library_fine', 350), new FixedFeeService('parking', 200), new FixedFeeService('citation', 4_500)],
    risk: { policy: DEFAULT_RISK_POLICY, online: () => true, hotlistAgeMs: () => 3_600_000, now: () => new Date() },
    receipt: { kiosk_id: 'K-EASTBRANCH-1', location_label: 'East Branch Library', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
    language: () => language,
  });

  try {
    say(`07:00  The kiosk at East Branch Library boots: crypto self-test passed (${selftest.passed} known answers), ledger ${ledgerPath}, cards via ${counter.kind === 'pcscd' ? 'pcscd + vpcd' : 'an in-memory reader'}, printer on ${printerSim.path}.`);
    await waitFor(kiosk, (s) => s.matches('idle'), { timeout: 10_000 });

    // The issuing desk makes three cards with opening balances (the top-up shift arrives with the attendant station).
    const residents: Resident[] = [];
    for (const [label, lang, opening] of [['Resident A', 'es', 2_000], ['Resident B', 'pt', 1_000], ['Resident C', 'en', 500]] as const) {
      const statePath = join(out, 'cards', `${label.replace(' ', '-').toLowerCase()}.json`);
      const card = new DesfireSim({ state: blankCardState(), onPersist: (s) => saveCardStateAtomic(statePath, s) });
      const issued = await issueCard(new InMemoryCardTransport(card), { vault: issuerVault, opening_balance_minor: opening, limit_minor: 50_000, program_id: 1, valid_years: 5, terminal_id: 0, tx_id: newTxId() });
      saveCardStateAtomic(statePath, card.state);
      residents.push({ name_for_story: label, language: lang, card });
      say(`07:30  Issuing desk: ${label}'s card ${issued.masked_serial} with ${usd(opening)} (receipts in ${lang}).`);
    }
    const [a, b, c] = residents as [Resident, Resident, Resident];

    const visit = async (time: string, who: Resident, plan: VisitPlan, what: string) => {
      language = who.language;
      const result = await residentVisit(kiosk, counter.hand(who.card), plan);
      const last = result.notices.at(-1) ?? 'none';
      say(`${time}  ${who.name_for_story} ${what}: ${result.paid ? `paid (tx ${result.tx_id})` : `not charged (${last})`}${result.retaps ? `, tapped again ${result.retaps}×` : ''}.`);
      return result;
    };

    await visit('09:10', a, { kind: 'library_fine', reference: 'FINE-20419' }, `pays a ${usd(350)} library fine`);
    await visit('10:25', b, { kind: 'parking', reference: 'SPACE-114' }, `pays ${usd(200)} of parking`);
    await visit('11:40', c, { kind: 'citation', reference: 'CIT-4000123' }, `tries to pay a ${usd(4_500)} citation with ${usd(500)} on the card`);

    counter.tearAfterNextCommit();
    const torn = await visit('13:05', a, { kind: 'parking', reference: 'SPACE-7' }, 'pays parking and pulls the card just as it commits');
    say(`       The kiosk could not know whether the card committed, so it asked for the same card; the card's own history settled it${torn.paid ? ' (committed, charged once)' : ''}.`);

    printerSim.setPaper('out');
    await visit('15:30', b, { kind: 'library_fine', reference: 'FINE-20533' }, 'pays a fine while the printer is out of paper');
    say('       No receipt could be printed; the screen showed the transaction id instead. A librarian reloads paper.');
    printerSim.setPaper('ok');
    const reprint = await reprintLastReceipt(printer, journal, newTxId());
    say(`15:45  Staff reprint the last receipt, marked DUPLICATE: ${reprint.status}.`);

    await printerSim.waitForReceipts(printerSim.receipts.length, 5_000);
    const receiptFiles = printerSim.receipts.flatMap((_r, i) => {
      const files = printerSim.filesFor(i + 1);
      return files ? [files.txt, files.svg] : [];
    });
    const verified = verifyLedger(ledger.db);
    say(`18:00  Closing: ${printerSim.receipts.length} receipts printed (decoded in ${join(out, 'receipts')}), ledger ${verified.ok ? `verified (${verified.count} entries)` : 'BROKEN'}, open intents: ${(await ledger.openIntents()).length}.`);
    return { ledger_path: ledgerPath, receipts: receiptFiles, ledger_ok: verified.ok, transport: counter.kind };
  } finally {
    kiosk.stop();
    await station.release();
    await reader.close();
    ledger.close();
    await printer.close();
    await printerSim.stop();
    await pcscd?.stop();
  }
}

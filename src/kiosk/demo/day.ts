import { join } from 'node:path';
import { verifyLedger } from '../../ledger';
import { newTxId } from '../../shared/ids';
import type { Language } from '../../shared/kiosk-api';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { reprintLastReceipt } from '../receipt';
import { residentVisit, type VisitPlan } from './resident-visit';
import { startSimKiosk } from './sim-kiosk';

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
  language: Language;
  card: DesfireSim;
}

const usd = (minor: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);

export async function runDemoDay(opts: DemoOptions): Promise<DemoResult> {
  const { out, say } = opts;
  const kiosk = await startSimKiosk({ dir: out, pcscd: opts.pcscd, onNote: (line) => say(`(${line})`) });
  const { printerSim, ledger, counter } = kiosk;
  try {
    say(`07:00  The kiosk at East Branch Library boots: crypto self-test passed (${kiosk.selftest_passed} known answers), ledger ${kiosk.ledger_path}, cards via ${counter.kind === 'pcscd' ? 'pcscd + vpcd' : 'an in-memory reader'}, printer on ${printerSim.path}.`);

    // The issuing desk makes three cards with opening balances (the top-up shift arrives with the attendant station).
    const residents: Resident[] = [];
    for (const [label, lang, opening] of [['Resident A', 'es', 2_000], ['Resident B', 'pt', 1_000], ['Resident C', 'en', 500]] as const) {
      const { card, masked_serial } = await kiosk.issueCard(label, opening);
      residents.push({ name_for_story: label, language: lang, card });
      say(`07:30  Issuing desk: ${label}'s card ${masked_serial} with ${usd(opening)} (receipts in ${lang}).`);
    }
    const [a, b, c] = residents as [Resident, Resident, Resident];

    const visit = async (time: string, who: Resident, plan: VisitPlan, what: string) => {
      kiosk.language = who.language;
      const result = await residentVisit(kiosk.actor, counter.hand(who.card), plan);
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
    const reprint = await reprintLastReceipt(kiosk.printer, kiosk.journal, newTxId());
    say(`15:45  Staff reprint the last receipt, marked DUPLICATE: ${reprint.status}.`);

    await printerSim.waitForReceipts(printerSim.receipts.length, 5_000);
    const receiptFiles = printerSim.receipts.flatMap((_r, i) => {
      const files = printerSim.filesFor(i + 1);
      return files ? [files.txt, files.svg] : [];
    });
    const verified = verifyLedger(ledger.db);
    say(`18:00  Closing: ${printerSim.receipts.length} receipts printed (decoded in ${join(out, 'receipts')}), ledger ${verified.ok ? `verified (${verified.count} entries)` : 'BROKEN'}, open intents: ${(await ledger.openIntents()).length}.`);
    return { ledger_path: kiosk.ledger_path, receipts: receiptFiles, ledger_ok: verified.ok, transport: counter.kind };
  } finally {
    await kiosk.stop();
  }
}

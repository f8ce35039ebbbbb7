import { join } from 'node:path';
import { loadPublicKey, verifyLedger } from '../../ledger';
import type { QuoteOption } from '../machines/contracts';
import { startOfLocalDay } from '../runtime/risk';
import { newTxId } from '../../shared/ids';
import { formatMinor, minor } from '../../shared/money';
import type { Language } from '../../shared/kiosk-api';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { reprintLastReceipt } from '../receipt';
import { runDemoNight } from './night';
import { residentVisit, type VisitPlan } from './resident-visit';
import { DEMO_PINS, startSimAttendant } from './sim-attendant';
import { startSimKiosk } from './sim-kiosk';
import { startSimServices } from './sim-services';

// `civicard demo --out DIR`: a scripted day at a branch-library kiosk through
// the real code paths — card issuance, the resident machine, purse, ledger,
// ESC/POS driver on a simulated printer — with a torn card and a paper-out.
// Library fines are paid through the ILS simulator over loopback TCP (SIP2),
// parking is priced from a CDS tariff file and citations from a citations
// file; one fine and one parking payment are refused by their service after
// the debit and credited back to the card.
// The attendant's blind count closes the booth's shift 50 cents short. At
// night both ledgers sync to an embedded back office (DIR/backoffice.db) and
// the day is reconciled into DIR/reconciliation, the short shift among its
// exceptions. Leaves DIR/kiosk.db (verifiable with `civicard ledger verify`),
// the decoded receipts in DIR/receipts, and tells the day as it goes.

export interface DemoOptions {
  out: string;
  /** The ILS simulator's data (patrons and fines), the CDS tariff file, the citations file. */
  ils_data: string;
  tariffs: string;
  citations: string;
  /** Use pcscd + vpcd when it can be started (default), else an in-memory reader. */
  pcscd: boolean;
  say: (line: string) => void;
}

export interface DemoResult {
  ledger_path: string;
  receipts: string[];
  ledger_ok: boolean;
  /** The night's reconciliation: summary.json and the rest. */
  reports_dir: string;
  liability_holds: boolean;
  transport: 'pcscd' | 'in-memory';
}

interface Resident {
  name_for_story: string; // the story's own label ("Resident A"), never stored anywhere
  language: Language;
  card: DesfireSim;
}

/** Money as the story tells it (US dollars, en-US), through the exact integer path. */
export const storyMoney = (amount_minor: number): string => formatMinor(minor(amount_minor), 'en-US', 'USD');

const TIME_ZONE = 'America/Chicago';

/** The resident's pick on the parking screen: the option for that many minutes. */
const duration =
  (minutes: number) =>
  (options: readonly QuoteOption[]): string[] =>
    options.filter((o) => o.label_params.minutes === minutes).map((o) => o.id);

/** The story's time of day, today on the kiosk's calendar: what parking is priced at. */
class StoryClock {
  private at_ms = Date.now();
  readonly now = () => new Date(this.at_ms);
  set(hh_mm: string): void {
    const [h, m] = hh_mm.split(':').map(Number) as [number, number];
    this.at_ms = startOfLocalDay(Date.now(), TIME_ZONE) + (h * 60 + m) * 60_000;
  }
  advance(minutes: number): void {
    this.at_ms += minutes * 60_000;
  }
}

export async function runDemoDay(opts: DemoOptions): Promise<DemoResult> {
  const { out, say } = opts;
  // Everything that could refuse a file is read before anything starts.
  const simulated = await startSimServices({ ils_data: opts.ils_data, tariffs: opts.tariffs, citations: opts.citations }, 'USD');
  const { ils, ils_port: port } = simulated;
  const story = new StoryClock();
  let kiosk;
  try {
    kiosk = await startSimKiosk({
      dir: out,
      pcscd: opts.pcscd,
      onNote: (line) => say(`(${line})`),
      services: simulated.config,
      now: story.now,
    });
  } catch (err) {
    await simulated.stop();
    throw err;
  }
  const { printerSim, ledger, counter } = kiosk;
  let day: Omit<DemoResult, 'reports_dir' | 'liability_holds'>;
  try {
    say(`07:00  The kiosk at East Branch Library boots: crypto self-test passed (${kiosk.selftest_passed} known answers), ledger ${kiosk.ledger_path}, cards via ${counter.kind === 'pcscd' ? 'pcscd + vpcd' : 'an in-memory reader'}, printer on ${printerSim.path}; the library's ILS answers SIP2 on 127.0.0.1:${port}, parking is priced from ${opts.tariffs}.`);

    const residents: Resident[] = [];
    for (const [label, lang] of [['Resident A', 'es'], ['Resident B', 'pt'], ['Resident C', 'en']] as const) {
      const { card, masked_serial } = await kiosk.issueCard(label, 0);
      residents.push({ name_for_story: label, language: lang, card });
      say(`07:30  Issuing desk: ${label} gets card ${masked_serial}, balance $0.00 (receipts in ${lang}). No name or document goes on it.`);
    }
    const [a, b, c] = residents as [Resident, Resident, Resident];

    const booth = await startSimAttendant(kiosk);
    try {
      await booth.signIn(booth.attendantCard, DEMO_PINS.attendant);
      await booth.openShift(5_000);
      say(`08:00  At the Lot 4 booth (${booth.counter.kind === 'pcscd' ? 'the second vpcd reader' : 'its own reader'}) an attendant signs in with staff card and PIN and opens a shift with a ${storyMoney(5_000)} float.`);
      for (const [minute, who, amount] of [['05', a, 2_000], ['09', b, 1_000], ['12', c, 500], ['13', c, 500]] as const) {
        await booth.topUp(who.card, amount);
        say(`08:${minute}  ${who.name_for_story} hands over ${storyMoney(amount)} cash; the attendant tops the card up with the credit key.`);
      }
      await booth.voidLast(booth.supervisorCard, DEMO_PINS.supervisor, c.card);
      say(`08:20  That last ${storyMoney(500)} was keyed twice: a supervisor taps their card, enters their PIN and voids it (a reversing debit), ${storyMoney(500)} back to Resident C in cash.`);
    } catch (err) {
      await booth.stop();
      throw err;
    }

    const visit = async (time: string, who: Resident, plan: VisitPlan, what: string) => {
      kiosk.language = who.language;
      story.set(time);
      const result = await residentVisit(kiosk.actor, counter.hand(who.card), plan);
      const last = result.notices.at(-1) ?? 'none';
      const amount = result.amount_minor === null ? '' : `${storyMoney(result.amount_minor)} `;
      const told = result.notices.includes('service.refused.credited_back')
        ? `the card paid ${amount}(tx ${result.tx_id}), the service refused it, and the kiosk credited it back to the card`
        : result.paid
          ? `paid ${amount}(tx ${result.tx_id})`
          : `not charged (${last})`;
      say(`${time}  ${who.name_for_story} ${what}: ${told}${result.retaps ? `, tapped again ${result.retaps}×` : ''}.`);
      return result;
    };

    await visit('09:10', a, { kind: 'library_fine', reference: '29000000000001' }, 'pays the fines on a library card (the ILS totals them; the kiosk tells it with Fee Paid over SIP2, our tx id as BK)');
    await visit('10:25', b, { kind: 'parking', reference: 'plate:101/KAB2231', choose: duration(60) }, 'chooses an hour of parking in zone 101 by plate');
    await visit('11:40', c, { kind: 'citation', reference: '4000123002' }, `scans a ${storyMoney(4_500)} parking citation with ${storyMoney(500)} on the card`);

    counter.tearAfterNextCommit();
    const torn = await visit('13:05', a, { kind: 'parking', reference: 'plate:101/7TRK118', choose: duration(30) }, 'pays half an hour of parking and pulls the card just as it commits');
    say(`       The kiosk could not know whether the card committed, so it asked for the same card; the card's own history settled it${torn.paid ? ' (committed, charged once)' : ''}.`);

    ils.refuseFee('2001');
    await visit('14:10', a, { kind: 'library_fine', reference: '29000000000003' }, "pays a relative's damaged-item fee, which the front desk settled an hour ago");
    // The quote prices a stay from the moment it is made; paid 12 minutes later, the parking service refuses it.
    await visit('14:40', c, { kind: 'parking', reference: 'space:101/12', choose: duration(15), atConfirm: () => story.advance(12) }, 'is quoted a quarter hour for space 12, is called away at the confirm screen and confirms 12 minutes later');

    printerSim.setPaper('out');
    await visit('15:30', b, { kind: 'parking', reference: 'plate:101/KAB2231', choose: duration(15) }, 'pays parking again while the printer is out of paper');
    say('       No receipt could be printed; the screen showed the transaction id instead. A librarian reloads paper.');
    printerSim.setPaper('ok');
    const reprint = await reprintLastReceipt(kiosk.printer, kiosk.journal, newTxId());
    say(`15:45  Staff reprint the last receipt, marked DUPLICATE: ${reprint.status}.`);

    await printerSim.waitForReceipts(printerSim.receipts.length, 5_000);
    const receiptFiles = printerSim.receipts.flatMap((_r, i) => {
      const files = printerSim.filesFor(i + 1);
      return files ? [files.txt, files.svg] : [];
    });
    const close = await booth.closeShift(8_450);
    // The drawer is 50 cents light: the night's reconciliation shows the short shift.
    say(`17:30  The attendant closes the shift with a blind count of ${storyMoney(close.counted_minor)}; the ledger expected ${storyMoney(close.expected_minor)}: ${close.over_short_minor < 0 ? `short ${storyMoney(-close.over_short_minor)}` : `over ${storyMoney(close.over_short_minor)}`}.`);
    const boothVerified = verifyLedger(booth.ledger.db, { trustedKey: loadPublicKey(join(out, 'attendant-key.pem')) });
    await booth.stop();
    const verified = verifyLedger(ledger.db, { trustedKey: loadPublicKey(join(out, 'kiosk-key.pem')) });
    say(`18:00  Closing: ${printerSim.receipts.length} kiosk receipts printed (decoded in ${join(out, 'receipts')}); kiosk ledger ${verified.ok && verified.verified ? `verified (${verified.count} entries)` : 'BROKEN'}, open intents: ${(await ledger.openIntents()).length}; booth ledger ${boothVerified.ok && boothVerified.verified ? `verified (${boothVerified.count} entries)` : 'BROKEN'}.`);
    day = { ledger_path: kiosk.ledger_path, receipts: receiptFiles, ledger_ok: verified.ok && verified.verified && boothVerified.ok && boothVerified.verified, transport: counter.kind };
  } finally {
    await kiosk.stop();
    await simulated.stop();
  }
  const night = await runDemoNight({
    dir: out,
    time_zone: TIME_ZONE,
    say,
    stations: [
      { label: 'the East Branch kiosk', ledger_path: kiosk.ledger_path, key_path: join(out, 'kiosk-key.pem') },
      { label: 'the Lot 4 booth', ledger_path: join(out, 'attendant.db'), key_path: join(out, 'attendant-key.pem') },
    ],
  });
  return { ...day, reports_dir: night.reports_dir, liability_holds: night.summary.liability.holds };
}

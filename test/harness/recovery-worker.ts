// One life of the stations for the recovery harness (test/harness/recovery.ts).
// It starts them the way the product does — ledgers opened, card stations
// built with their ledgers, the resident kiosks and the attendant station
// booted (boot records what a killed life left open as uncertain; the card's
// next read at that station settles it) — and works through its steps: payments
// at the kiosk (some refused by the service, so credited back), runs of
// payments at another kiosk, top-ups and voids at the attendant station. The
// card is torn at planned APDUs, and the life is killed with SIGKILL at its
// planned point. Nothing here settles anything itself. Progress lines go to
// stdout synchronously, so a kill loses none.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { loadKeyVault } from '../../src/card/keys/keyset-file';
import { RuntimeLedger } from '../../src/kiosk/runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { residentVisit, type CardHand } from '../../src/kiosk/demo/resident-visit';
import { startAttendantStation, type AttendantStation } from '../../src/kiosk/runtime/attendant-station';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import { PinAttempts } from '../../src/kiosk/runtime/pin-attempts';
import { startResidentKiosk, type ResidentKiosk } from '../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../src/kiosk/runtime/risk';
import { StaffRoster, type StaffMember } from '../../src/kiosk/runtime/staff';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../hardware/printer';
import { DesfireSim, loadCardState } from '../../hardware/sim/desfire';
import { SimPrinterTransport } from '../../hardware/sim/printer';
import { cardOperation, closeShift, signInAndOpenShift, tapAndCancel, type Staff } from './attendant-visit';
import { journaledCard } from './card-journal';
import { die, HarnessCard, say } from './harness-card';
import { RefusingService } from './refusing-service';
import { CARD_REF_KEY_HEX, ELSEWHERE_FEE_MINOR, KIOSK_FEE_MINOR, PINS, STATIONS, type Step, type WorkerPlan } from './recovery-plan';

const CARD_REF_KEY = Buffer.from(CARD_REF_KEY_HEX, 'hex');
const STEP_TIMEOUT_MS = 20_000;
/** Where each station's machine stood, for an ERROR line. */
const stationStates = new Map<string, () => unknown>();
const receiptContext = (kiosk_id: string) => ({ kiosk_id, location_label: 'Harness', time_zone: 'UTC', country: 'US', currency: 'USD' }) as const;

interface Resident {
  actor: ResidentKiosk;
  reader: FakeCardReader;
  ledger: RuntimeLedger;
  service: RefusingService;
}

interface Attendant {
  actor: AttendantStation;
  reader: FakeCardReader;
  ledger: RuntimeLedger;
  staff: Staff;
}

function openLedger(dir: string, name: keyof typeof STATIONS): RuntimeLedger {
  return RuntimeLedger.open(join(dir, STATIONS[name].ledger), loadOrCreateKioskKey(join(dir, STATIONS[name].key)));
}

/** A resident kiosk booted as the product boots it; staff restart it when it goes out of service. */
async function startResident(dir: string, name: 'kiosk' | 'elsewhere'): Promise<Resident> {
  const reader = new FakeCardReader();
  const ledger = openLedger(dir, name);
  const vault = loadKeyVault(join(dir, 'keys.json'), { simulated: true, roles: ['debit', 'read'] });
  const stationOptions = { reader, vault, terminal_id: STATIONS[name].terminal_id, card_ref_key: CARD_REF_KEY, ledger };
  const station = new CardStation(stationOptions);
  const service = new RefusingService('parking', name === 'kiosk' ? KIOSK_FEE_MINOR : ELSEWHERE_FEE_MINOR);
  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer: new EscPosPrinter(new SimPrinterTransport()),
    services: [service],
    risk: { policy: { ...DEFAULT_RISK_POLICY, daily_card_max_minor: 100_000_000 }, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: receiptContext(name === 'kiosk' ? 'K-HARNESS' : 'K-ELSEWHERE'),
    language: () => 'en',
    input: { timeouts: { debit_watchdog_ms: 5_000 } },
  });
  let restarting = false;
  actor.subscribe((s) => {
    if (!s.matches('outOfService')) return void (restarting = false);
    if (restarting) return;
    restarting = true;
    say(`NOTE ${name} out_of_service ${s.context.fault ?? ''}`);
    setImmediate(() => actor.send({ type: 'MAINTENANCE_RETRY' }));
  });
  stationStates.set(name, () => ({ state: actor.getSnapshot().value, notice: actor.getSnapshot().context.notice?.key }));
  await waitFor(actor, (s) => s.matches('idle'), { timeout: STEP_TIMEOUT_MS });
  return { actor, reader, ledger, service };
}

function staffCard(dir: string, who: 'attendant' | 'supervisor', reader: FakeCardReader): CardHand {
  const card = new DesfireSim({ state: loadCardState(join(dir, `staff-${who}.json`)) });
  return {
    present: async () => reader.insertCard(card),
    withdraw: async () => {
      if (reader.status().status === 'card_present') reader.removeCard();
    },
    isPresent: () => reader.status().status === 'card_present',
  };
}

async function startAttendant(dir: string): Promise<Attendant> {
  const reader = new FakeCardReader();
  const ledger = openLedger(dir, 'attendant');
  const vault = loadKeyVault(join(dir, 'keys.json'), { simulated: true, roles: ['credit', 'read'] });
  const stationOptions = { reader, vault, terminal_id: STATIONS.attendant.terminal_id, card_ref_key: CARD_REF_KEY, ledger };
  const station = new CardStation(stationOptions);
  const members = JSON.parse(readFileSync(join(dir, 'roster.json'), 'utf8')) as StaffMember[];
  const roster = new StaffRoster(members, PinAttempts.open(join(dir, 'pin-attempts.json'), { max_attempts: 3, lockout_ms: 300_000 }));
  const actor = await startAttendantStation({
    reader,
    station,
    roster,
    ledger,
    printer: new EscPosPrinter(new SimPrinterTransport()),
    receipt: receiptContext('A-HARNESS'),
    language: () => 'en',
    now: () => new Date(),
    input: { timeouts: { card_watchdog_ms: 5_000 } },
  });
  stationStates.set('attendant', () => ({ state: actor.getSnapshot().value, notice: actor.getSnapshot().context.notice?.key }));
  const staff: Staff = { attendant: staffCard(dir, 'attendant', reader), supervisor: staffCard(dir, 'supervisor', reader), pins: PINS };
  await signInAndOpenShift(actor, staff, 10_000);
  return { actor, reader, ledger, staff };
}

/** The card read at a resident kiosk and the session cancelled: the kiosk settles what it can for it. */
async function tapAndCancelResident(r: Resident, hand: CardHand): Promise<void> {
  await hand.present();
  await waitFor(r.actor, (s) => s.matches({ session: 'balanceShown' }) || s.matches({ session: 'cardUnreadable' }), { timeout: STEP_TIMEOUT_MS });
  r.actor.send({ type: 'CANCEL' });
  await hand.withdraw();
  await waitFor(r.actor, (s) => s.matches('idle'), { timeout: STEP_TIMEOUT_MS });
}

async function main(plan: WorkerPlan): Promise<void> {
  const { dir } = plan;
  const card = new HarnessCard(journaledCard(join(dir, 'card.json'), join(dir, 'journal.ndjson')), plan.kill);
  const uses = new Set<string>(plan.final ? ['kiosk', 'elsewhere', 'attendant'] : plan.steps.map((s) => (s.kind === 'pay' ? s.station : 'attendant')));
  const residents = new Map<'kiosk' | 'elsewhere', Resident>();
  for (const name of ['kiosk', 'elsewhere'] as const) if (uses.has(name)) residents.set(name, await startResident(dir, name));
  const attendant = uses.has('attendant') ? await startAttendant(dir) : null;

  const kill = plan.kill;
  if (kill.at === 'state') {
    for (const r of residents.values()) r.actor.subscribe((s) => card.step === kill.step && s.matches({ payment: kill.state } as never) && die(`state ${kill.state}`));
    attendant?.actor.subscribe((s) => card.step === kill.step && s.matches({ signedIn: { cardTxn: kill.state } } as never) && die(`state ${kill.state}`));
  }

  for (const [i, step] of plan.steps.entries()) {
    const reader = step.kind === 'pay' ? residents.get(step.station)!.reader : attendant!.reader;
    const tornBefore = reader.recording.filter((x) => x.response === null).length;
    card.beginStep(i, step.tear);
    const outcome = await runStep(step, residents, attendant, card);
    reader.tearAt(null); // a tear planned past the step's last APDU never happened
    const torn = reader.recording.filter((x) => x.response === null).length > tornBefore;
    say(`${torn ? `POINT torn ${step.tear!.apdu} ${step.tear!.when}` : 'STEP'} ${describe(step)} ${outcome} apdus=${card.apdus}`);
  }

  if (plan.final) {
    card.beginStep(-1, null);
    for (const r of residents.values()) await tapAndCancelResident(r, card.handOn(r.reader));
    if (attendant) await tapAndCancel(attendant.actor, card.handOn(attendant.reader));
  }
  if (attendant) await closeShift(attendant.actor, (shift_id) => attendant.ledger.shiftExpectedCashMinor(shift_id));
  for (const r of residents.values()) {
    r.actor.stop();
    r.ledger.close();
  }
  if (attendant) {
    attendant.actor.stop();
    attendant.ledger.close();
  }
  say('DONE');
}

function describe(step: Step): string {
  if (step.kind === 'pay') return `pay@${step.station}${step.refuse ? ' refused' : ''}`;
  return step.kind === 'top_up' ? `top_up ${step.amount_minor}` : 'void';
}

async function runStep(step: Step, residents: Map<'kiosk' | 'elsewhere', Resident>, attendant: Attendant | null, card: HarnessCard): Promise<string> {
  if (step.kind === 'pay') {
    const r = residents.get(step.station)!;
    r.service.refuseNext = step.refuse;
    const visit = await residentVisit(r.actor, card.handOn(r.reader), { kind: 'parking', reference: 'SPACE-12', patience: step.patience }, STEP_TIMEOUT_MS);
    return `${visit.paid ? 'paid' : 'not_paid'} ${visit.notices.join(',')}`;
  }
  const a = attendant!;
  return cardOperation(a.actor, a.staff, card.handOn(a.reader), step.kind === 'top_up' ? step.amount_minor : null);
}

main(JSON.parse(process.argv[2] ?? '{}') as WorkerPlan).then(
  () => process.exit(0),
  (err: unknown) => {
    const states = [...stationStates].map(([name, state]) => `${name}=${JSON.stringify(state())}`).join(' ');
    say(`ERROR ${err instanceof Error ? err.stack : String(err)} at ${states}`);
    process.exit(1);
  },
);

// One life of a kiosk for the recovery harness (test/harness/recovery.ts).
// It settles whatever the last life left open, then takes payments through the
// real resident machine, purse, card simulator and SQLite ledger, with the card
// torn at random APDUs — until it is killed with SIGKILL at its planned point
// (a machine state, or an APDU before/after the card runs it) or runs out of
// payments. Progress lines go to stdout synchronously, so a kill loses none.
import { writeSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { loadKeyVault } from '../../src/card/keys/keyset-file';
import { KioskLedger, loadOrCreateKioskKey } from '../../src/ledger';
import { residentVisit, type CardHand } from '../../src/kiosk/demo/resident-visit';
import { CardStation } from '../../src/kiosk/runtime/card-station';
import { startResidentKiosk, type ResidentKiosk } from '../../src/kiosk/runtime/resident-kiosk';
import { DEFAULT_RISK_POLICY } from '../../src/kiosk/runtime/risk';
import { FixedFeeService } from '../../src/kiosk/services/fixed-fee';
import { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../hardware/printer';
import type { ApduHandler } from '../../hardware/sim/apdu-handler';
import { DesfireSim, loadCardState, saveCardStateAtomic } from '../../hardware/sim/desfire';
import { SimPrinterTransport } from '../../hardware/sim/printer';
import { HARNESS_FEE_MINOR, type KillPlan, type WorkerPlan } from './recovery-plan';

const say = (line: string) => writeSync(1, `${line}\n`);
const die = (why: string): never => {
  say(`KILLED ${why}`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

/** Small deterministic PRNG so a failing run can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** The card, with a kill switch at one APDU of one payment. */
class KillSwitchCard implements ApduHandler {
  payment = 0;
  apdu = 0;
  constructor(
    private readonly card: DesfireSim,
    private readonly kill: KillPlan,
  ) {}
  get atr() {
    return this.card.atr;
  }
  powerOn() {
    this.card.powerOn();
  }
  powerOff() {
    this.card.powerOff();
  }
  transmit(apdu: Buffer): Buffer {
    this.apdu++;
    const k = this.kill;
    const armed = k.at === 'apdu' && k.payment === this.payment && k.apdu === this.apdu;
    if (armed && k.when === 'before') die(`apdu ${this.apdu} before`);
    const answer = this.card.transmit(apdu);
    if (armed) die(`apdu ${this.apdu} after`);
    return answer;
  }
}

async function pay(actor: ResidentKiosk, reader: FakeCardReader, card: KillSwitchCard, rand: (n: number) => number, tear_rate: number): Promise<string> {
  const tornAt = rand(1000) < tear_rate * 1000 ? { apdu: 1 + rand(13), when: rand(2) === 0 ? ('before' as const) : ('after' as const) } : null;
  card.apdu = 0;
  const tears = () => reader.recording.filter((r) => r.response === null).length;
  const tearsBefore = tears();
  if (tornAt) reader.tearAt(tornAt);
  const hand: CardHand = {
    present: async () => reader.insertCard(card),
    withdraw: async () => reader.removeCard(),
    isPresent: () => reader.status().status === 'card_present',
  };
  await residentVisit(actor, hand, { kind: 'parking', reference: 'SPACE-12' }, 20_000);
  reader.tearAt(null); // a tear planned past the last APDU of this tap never happened
  return tornAt && tears() > tearsBefore ? `torn ${tornAt.apdu} ${tornAt.when}` : 'paid';
}

async function main(plan: WorkerPlan): Promise<void> {
  const rand = prng(plan.seed);
  const statePath = join(plan.dir, 'card.json');
  const sim = new DesfireSim({ state: loadCardState(statePath), onPersist: (s) => saveCardStateAtomic(statePath, s) });
  const card = new KillSwitchCard(sim, plan.kill);
  const reader = new FakeCardReader();
  const ledger = KioskLedger.open(join(plan.dir, 'ledger.db'), loadOrCreateKioskKey(join(plan.dir, 'kiosk-key.pem')));
  const station = new CardStation({ reader, vault: loadKeyVault(join(plan.dir, 'keys.json'), { simulated: true, roles: ['debit', 'read'] }), terminal_id: 77, card_ref_key: Buffer.alloc(32, 9), ledger });
  const openBefore = (await ledger.openIntents()).map((t) => t.tx_id);

  const actor = startResidentKiosk({
    reader,
    station,
    ledger,
    printer: new EscPosPrinter(new SimPrinterTransport()),
    services: [new FixedFeeService('parking', HARNESS_FEE_MINOR)],
    risk: { policy: { ...DEFAULT_RISK_POLICY, daily_card_max_minor: 10_000_000 }, online: () => true, hotlistAgeMs: () => 0, now: () => new Date() },
    receipt: { kiosk_id: 'K-HARNESS', location_label: 'Harness', time_zone: 'UTC', country: 'US', currency: 'USD' },
    language: () => 'en',
    input: { timeouts: { debit_watchdog_ms: 5_000 } },
  });
  const kill = plan.kill;
  if (kill.at === 'state') {
    actor.subscribe((s) => {
      if (card.payment === kill.payment && s.matches({ payment: kill.state })) die(`state ${kill.state}`);
    });
  }
  await waitFor(actor, (s) => s.matches('idle'), { timeout: 10_000 });
  // The product's boot recorded what the last life left open as uncertain; the card's next read here settles it.
  if (openBefore.length > 0) {
    reader.insertCard(card);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }) || s.matches({ session: 'cardUnreadable' }), { timeout: 10_000 });
    actor.send({ type: 'CANCEL' });
    reader.removeCard();
    await waitFor(actor, (s) => s.matches('idle'), { timeout: 10_000 });
    const states = await Promise.all(openBefore.map((tx_id) => ledger.txState(tx_id)));
    say(`RECOVERED committed=${states.filter((t) => t?.state === 'committed').length} aborted=${states.filter((t) => t?.state === 'aborted').length} open=${states.filter((t) => t?.state === 'open' || t?.state === 'uncertain').length}`);
  }
  for (let p = 1; p <= plan.payments; p++) {
    card.payment = p;
    say(`POINT ${await pay(actor, reader, card, rand, plan.tear_rate)}`);
  }
  actor.stop();
  ledger.close();
  say('DONE');
}

main(JSON.parse(process.argv[2] ?? '{}') as WorkerPlan).then(
  () => process.exit(0),
  (err: unknown) => {
    say(`ERROR ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);

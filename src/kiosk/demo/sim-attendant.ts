import { join } from 'node:path';
import { waitFor } from 'xstate';
import { loadKeyVault } from '../../card/keys/keyset-file';
import { RuntimeLedger } from '../runtime/runtime-ledger';
import { loadOrCreateKioskKey } from '../../ledger';
import { openCardReader } from '../../../hardware/pcsc';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import type { CardReader } from '../../../hardware/pcsc/types';
import { EscPosPrinter } from '../../../hardware/printer';
import type { DesfireSim } from '../../../hardware/sim/desfire';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import { VPCD_PORTS } from '../../../hardware/pcsc/pcscd-process';
import { CardStation } from '../runtime/card-station';
import { startAttendantStation, type AttendantStation } from '../runtime/attendant-station';
import { PinAttempts } from '../runtime/pin-attempts';
import { hashPin, StaffRoster } from '../runtime/staff';
import { DEFAULT_ATTENDANT_LIMITS, DEFAULT_ATTENDANT_TIMEOUTS } from '../machines/attendant-setup';
import type { ShiftClose } from '../machines/contracts';
import { inMemoryCounter, vpcdCounter, type CardCounter } from './card-hands';
import type { CardHand } from './resident-visit';
import type { SimKiosk } from './sim-kiosk';

// A parking attendant's station beside the simulated kiosk: its own reader
// (the second vpcd reader, or in memory), its own ledger DIR/attendant.db, the
// credit keyset, and two staff cards on its roster (an attendant, a supervisor).

export interface SimAttendant {
  readonly actor: AttendantStation;
  readonly ledger: RuntimeLedger;
  readonly ledger_path: string;
  readonly counter: CardCounter;
  readonly attendantCard: DesfireSim;
  readonly supervisorCard: DesfireSim;
  signIn(card: DesfireSim, pin: string): Promise<void>;
  openShift(opening_float_minor: number): Promise<void>;
  topUp(card: DesfireSim, amount_minor: number): Promise<void>;
  voidLast(supervisor: DesfireSim, pin: string, card: DesfireSim): Promise<void>;
  closeShift(counted_minor: number): Promise<ShiftClose>;
  stop(): Promise<void>;
}

export const DEMO_PINS = { attendant: '2468', supervisor: '9999' } as const;

/** `sync`: upload the booth's ledger to this back office in the background (its key DIR/attendant-key.pem enrolled there), and ask it for lost cards' replacements. */
export async function startSimAttendant(kiosk: SimKiosk, opts: { sync?: { serverUrl: string } } = {}): Promise<SimAttendant> {
  const attendant = await kiosk.issueCard('staff-attendant', 0);
  const supervisor = await kiosk.issueCard('staff-supervisor', 0);
  const [attendantCard, supervisorCard] = [attendant.card, supervisor.card];
  const pinAttempts = PinAttempts.open(join(kiosk.dir, 'attendant-pin-attempts.json'), {
    max_attempts: DEFAULT_ATTENDANT_LIMITS.max_pin_attempts,
    lockout_ms: DEFAULT_ATTENDANT_TIMEOUTS.lockout_ms,
  });
  const roster = new StaffRoster(
    [
      { staff_ref: 'staff-17', role: 'attendant', card_ref: attendant.card_ref, pin_hash: hashPin(DEMO_PINS.attendant) },
      { staff_ref: 'staff-02', role: 'supervisor', card_ref: supervisor.card_ref, pin_hash: hashPin(DEMO_PINS.supervisor) },
    ],
    pinAttempts,
  );
  kiosk.staff_roster = roster; // the same staff cards open the kiosk's maintenance screen
  let reader: CardReader;
  let counter: CardCounter;
  if (kiosk.through_pcscd) {
    reader = openCardReader({ readerName: 'Virtual PCD 00 01' });
    counter = vpcdCounter(VPCD_PORTS[1]);
  } else {
    const fake = new FakeCardReader();
    reader = fake;
    counter = inMemoryCounter(fake);
  }
  const ledger_path = join(kiosk.dir, 'attendant.db');
  const key = loadOrCreateKioskKey(join(kiosk.dir, 'attendant-key.pem'));
  const ledger = RuntimeLedger.open(ledger_path, key);
  const station = new CardStation({ reader, vault: loadKeyVault(kiosk.keys_path, { simulated: true, roles: ['credit', 'read'] }), terminal_id: 20, card_ref_key: kiosk.card_ref_key, ledger, isHotlisted: kiosk.downlink?.isHotlisted });
  const actor = await startAttendantStation({
    reader,
    station,
    roster,
    ledger,
    printer: new EscPosPrinter(new SimPrinterTransport()),
    receipt: { kiosk_id: 'A-LOT-4', location_label: 'Lot 4 attendant booth', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
    language: () => 'en',
    now: () => new Date(),
    // The back office it syncs to also answers its lost-card replacement codes (docs/lost-card.md).
    ...(opts.sync ? { sync: { serverUrl: opts.sync.serverUrl, key }, backoffice: { serverUrl: opts.sync.serverUrl, key } } : {}),
  });
  const hands = new Map<DesfireSim, CardHand>();
  const handFor = (card: DesfireSim) => hands.get(card) ?? hands.set(card, counter.hand(card)).get(card)!;
  const at = async (state: object | string) => {
    await waitFor(actor, (s) => s.matches(state as never), { timeout: 30_000 });
  };
  const tap = async (card: DesfireSim, state: object | string) => {
    const hand = handFor(card);
    await hand.present();
    await at(state);
    await hand.withdraw();
  };
  await at({ signedOut: 'waitingForStaffCard' });
  return {
    actor,
    ledger,
    ledger_path,
    counter,
    attendantCard,
    supervisorCard,
    async signIn(card, pin) {
      await tap(card, { signedOut: 'enteringPin' });
      actor.send({ type: 'PIN_ENTERED', pin });
      await at('signedIn');
    },
    async openShift(opening_float_minor) {
      await at({ signedIn: 'shiftClosed' });
      actor.send({ type: 'OPEN_SHIFT', opening_float_minor });
      await at({ signedIn: 'menu' });
    },
    async topUp(card, amount_minor) {
      actor.send({ type: 'TOP_UP' });
      await at({ signedIn: { topUp: 'waitingForCard' } });
      const hand = handFor(card);
      await hand.present();
      await at({ signedIn: { topUp: 'enteringAmount' } });
      actor.send({ type: 'AMOUNT_ENTERED', amount_minor });
      actor.send({ type: 'CONFIRM' });
      await at({ signedIn: { cardTxn: 'done' } });
      await hand.withdraw();
      actor.send({ type: 'ACK' });
      await at({ signedIn: 'menu' });
    },
    async voidLast(supervisor, pin, card) {
      actor.send({ type: 'VOID_LAST' });
      await tap(supervisor, { signedIn: { void: 'enteringSupervisorPin' } });
      actor.send({ type: 'PIN_ENTERED', pin });
      await at({ signedIn: { void: 'waitingForCard' } });
      const hand = handFor(card);
      await hand.present();
      await at({ signedIn: { cardTxn: 'done' } });
      await hand.withdraw();
      actor.send({ type: 'ACK' });
      await at({ signedIn: 'menu' });
    },
    async closeShift(counted_minor) {
      actor.send({ type: 'CLOSE_SHIFT' });
      await at({ signedIn: 'countingCash' });
      actor.send({ type: 'CASH_COUNTED', counted_minor });
      await at({ signedIn: 'shiftSummary' });
      const close = actor.getSnapshot().context.close;
      if (!close) throw new Error('the shift did not close');
      actor.send({ type: 'ACK' });
      return close;
    },
    async stop() {
      actor.stop();
      await station.release();
      await reader.close();
      ledger.close();
    },
  };
}

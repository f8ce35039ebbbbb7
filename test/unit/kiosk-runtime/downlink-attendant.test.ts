import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { signHotlistDelta } from '../../../src/downlink';
import { startAttendantStation, type AttendantStation } from '../../../src/kiosk/runtime/attendant-station';
import { CardStation, cardRefOf } from '../../../src/kiosk/runtime/card-station';
import { DownlinkStore } from '../../../src/kiosk/runtime/downlink-store';
import { PinAttempts } from '../../../src/kiosk/runtime/pin-attempts';
import { hashPin, StaffRoster } from '../../../src/kiosk/runtime/staff';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import { issuedSimCard, vaultFor } from '../../support/card-fixtures';
import { tempLedger } from '../../support/ledger-fixtures';

// A card the back office hotlisted is refused a top-up at the attendant
// station from the delta on, with the real station, cards and ledger.

const backOffice = generateKeyPairSync('ed25519');
const REF_KEY = Buffer.alloc(32, 3);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const at = (actor: AttendantStation, state: object | string) => waitFor(actor, (s) => s.matches(state as never), { timeout: 5_000 });

describe('downlink at the attendant station', () => {
  it('refuses a top-up on a card hotlisted by a delta applied while the station runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-booth-downlink-'));
    dirs.push(dir);
    const store = DownlinkStore.open({ dir, backoffice_public_key: backOffice.publicKey });
    const resident = await issuedSimCard(500);
    const attendant = await issuedSimCard(0, resident.keys);
    const roster = new StaffRoster(
      [{ staff_ref: 'staff-17', role: 'attendant', card_ref: cardRefOf(attendant.card_number, REF_KEY), pin_hash: hashPin('2468') }],
      PinAttempts.open(join(dir, 'pin-attempts.json'), { max_attempts: 3, lockout_ms: 300_000 }),
    );
    const reader = new FakeCardReader();
    const { ledger } = tempLedger();
    const actor = await startAttendantStation({
      reader,
      station: new CardStation({ reader, vault: vaultFor(resident.keys, ['credit', 'read']), terminal_id: 20, card_ref_key: REF_KEY, ledger, isHotlisted: store.isHotlisted }),
      roster,
      ledger,
      printer: new EscPosPrinter(new SimPrinterTransport()),
      receipt: { kiosk_id: 'A-LOT-4', location_label: 'Lot 4 booth', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
      language: () => 'en',
      now: () => new Date(),
    });
    await at(actor, { signedOut: 'waitingForStaffCard' });
    reader.insertCard(attendant.sim);
    await at(actor, { signedOut: 'enteringPin' });
    reader.removeCard();
    actor.send({ type: 'PIN_ENTERED', pin: '2468' });
    await at(actor, { signedIn: 'shiftClosed' });
    actor.send({ type: 'OPEN_SHIFT', opening_float_minor: 5_000 });
    await at(actor, { signedIn: 'menu' });

    const delta = signHotlistDelta(
      { format: 'civicard-hotlist/1', from_version: 0, to_version: 1, issued_at: new Date().toISOString(), add: [cardRefOf(resident.card_number, REF_KEY)], remove: [] },
      backOffice.privateKey,
    );
    expect(store.applyHotlistDelta(delta)).toEqual({ applied: true, version: 1 });
    actor.send({ type: 'TOP_UP' });
    reader.insertCard(resident.sim);
    await at(actor, { signedIn: { topUp: 'cardRefused' } });
    expect(actor.getSnapshot().context.notice?.key).toBe('topup.card_refused');
    expect(ledger.entriesSince(0).filter((e) => (e.payload as { kind: string }).kind === 'intent')).toEqual([]);
    actor.stop();
  });
});

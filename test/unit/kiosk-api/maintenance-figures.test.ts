// The maintenance figures the resident view carries: fetched on entering the
// maintenance screen, again every few seconds while it is open, dropped on
// leaving it; nothing is fetched on any other screen.
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import { MaintenanceFigures } from '../../../src/kiosk/api/maintenance-figures';
import type { MaintenanceSource } from '../../../src/kiosk/api/maintenance-route';
import { viewOf } from '../../../src/kiosk/api/view';
import { ok, type ReadPresentedCardResult, type SelfTestResult } from '../../../src/kiosk/machines/contracts';
import { residentMachine } from '../../../src/kiosk/machines/resident';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import { minor } from '../../../src/shared/money';

const STAFF: ReadPresentedCardResult = { ok: false, error: 'staff_card', role: 'supervisor', masked_serial: '•••• 0002' };
const stops: (() => void)[] = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

function kioskWithStaffCard() {
  const machine = residentMachine.provide({
    actors: { selfTest: fromPromise(async (): Promise<SelfTestResult> => ok(null)), readCard: fromPromise(async () => STAFF) },
  });
  const actor = createActor(machine, { input: {} });
  actor.start();
  stops.push(() => actor.stop());
  return actor;
}

function countingSource() {
  const calls = { devices: 0 };
  const source: MaintenanceSource = {
    ledger: { pendingOutbox: () => [], unsyncedTotalMinor: () => minor(0) },
    policy: DEFAULT_RISK_POLICY,
    versions: { app: '0.0.0-test', config: null, ledger_schema: 1, card_keys: null },
    online: () => false,
    lastSyncAt: () => null,
    lastSyncError: () => null,
    hotlistAgeMs: () => null,
    devices: async () => (calls.devices++, [{ name: 'card_reader', state: 'ok', detail_key: null }]),
    selfTest: () => null,
    now: () => new Date(),
  };
  return { source, calls };
}

const until = async (cond: () => boolean, ms = 2_000) => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('maintenance figures in the resident view', () => {
  it('fetches nothing until a staff card opens the screen, then on entry and every refresh while open, and drops them on leaving', async () => {
    const actor = kioskWithStaffCard();
    await waitFor(actor, (s) => s.matches('idle'));
    const { source, calls } = countingSource();
    let changes = 0;
    const figures = new MaintenanceFigures(source, actor, () => changes++, 20);
    stops.push(() => figures.stop());
    await new Promise((r) => setTimeout(r, 60));
    expect(calls.devices).toBe(0);
    expect(viewOf(actor.getSnapshot(), 'en', figures.latest()).maintenance).toBeNull();

    actor.send({ type: 'CARD_PRESENTED' });
    await waitFor(actor, (s) => s.hasTag('maintenance'));
    await until(() => figures.latest() !== null);
    const view = viewOf(actor.getSnapshot(), 'en', figures.latest());
    expect(view.screen).toBe('maintenance');
    expect(view.maintenance).toMatchObject({ staff_masked_serial: '•••• 0002', devices: [{ name: 'card_reader' }] });
    await until(() => calls.devices >= 3); // refreshed while open
    expect(changes).toBeGreaterThanOrEqual(3);

    actor.send({ type: 'EXIT_MAINTENANCE' });
    expect(figures.latest()).toBeNull();
    const after = calls.devices;
    await new Promise((r) => setTimeout(r, 60));
    expect(calls.devices).toBe(after);
  });

  it('a view on any other screen carries no figures, even if some are passed', async () => {
    const actor = kioskWithStaffCard();
    await waitFor(actor, (s) => s.matches('idle'));
    const { source } = countingSource();
    const stale = await (await import('../../../src/kiosk/api/maintenance-route')).maintenanceViewOf(source, '•••• 0002');
    expect(viewOf(actor.getSnapshot(), 'en', stale).maintenance).toBeNull();
  });
});

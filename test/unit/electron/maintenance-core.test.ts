import type { IpcMain } from 'electron';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import { CHANNELS } from '../../../src/electron/channels';
import { hostCore, stationRoutes } from '../../../src/electron/core';
import { registerIpcRoutes } from '../../../src/electron/ipc';
import type { MaintenanceSource } from '../../../src/kiosk/api/maintenance-route';
import { ok, type ReadPresentedCardResult, type SelfTestResult } from '../../../src/kiosk/machines/contracts';
import { residentMachine } from '../../../src/kiosk/machines/resident';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import type { KioskView } from '../../../src/shared/kiosk-api';
import { minor } from '../../../src/shared/money';
import { ipcMain as fakeIpcMain } from './fake-electron';

// The maintenance screen in Electron, as the web shell has it (api-routes.ts):
// a staff card opens it, the resident view the shell pushes carries its figures,
// and its commands over the maintenance channel reach the machine and the source.

const ipcMain = Object.assign(fakeIpcMain as unknown as Pick<IpcMain, 'handle'>, { handlers: fakeIpcMain.handlers });
const APP = 'civicard://app/index.html';
const STAFF: ReadPresentedCardResult = { ok: false, error: 'staff_card', role: 'supervisor', masked_serial: '•••• 0002' };
const stops: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function residentWithStaffCard() {
  const machine = residentMachine.provide({
    actors: { selfTest: fromPromise(async (): Promise<SelfTestResult> => ok(null)), readCard: fromPromise(async () => STAFF) },
  });
  const actor = createActor(machine, { input: {} });
  actor.start();
  return actor;
}

function recordingSource() {
  const calls: string[] = [];
  let self_test_at = '2026-01-01T00:00:00.000Z';
  const source: MaintenanceSource = {
    ledger: { pendingOutbox: () => [], unsyncedTotalMinor: () => minor(0) },
    policy: DEFAULT_RISK_POLICY,
    versions: { app: '0.0.0-test', config: null, ledger_schema: 1, card_keys: null },
    online: () => false,
    lastSyncAt: () => null,
    lastSyncError: () => null,
    hotlistAgeMs: () => null,
    devices: async () => [{ name: 'card_reader', state: 'ok', detail_key: null }],
    selfTest: () => ({ at: self_test_at, ok: true, failed: [] }),
    now: () => new Date(),
    async runSelfTest() {
      calls.push('RUN_SELF_TEST');
      self_test_at = '2026-06-01T00:00:00.000Z';
    },
    async syncNow() {
      calls.push('SYNC_NOW');
      return { error: 'this kiosk has no back office to sync to' };
    },
  };
  return { source, calls };
}

async function setup() {
  const actor = residentWithStaffCard();
  await waitFor(actor, (s) => s.matches('idle'));
  const { source, calls } = recordingSource();
  const host = hostCore({ actor, language: 'en' }, async () => void actor.stop(), { maintenance: source });
  stops.push(() => host.stop());
  const pushed: KioskView[] = [];
  host.subscribe((v) => pushed.push(v));
  ipcMain.handlers.clear();
  registerIpcRoutes(ipcMain, stationRoutes(host), { onNote: () => undefined });
  const invoke = async (channel: string, ...args: unknown[]) => ipcMain.handlers.get(channel)!({ senderFrame: { url: APP } }, ...args);
  return { actor, host, pushed, calls, invoke };
}

const until = async (cond: () => boolean, ms = 2_000) => {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('the maintenance screen through the Electron core', () => {
  it('pushes a resident view carrying the figures once they arrive after a staff card opens the screen', async () => {
    const { actor, host, pushed } = await setup();
    expect(host.view().maintenance).toBeNull();
    actor.send({ type: 'CARD_PRESENTED' });
    await waitFor(actor, (s) => s.hasTag('maintenance'));
    await until(() => pushed.at(-1)?.maintenance != null);
    expect(pushed.at(-1)).toMatchObject({ screen: 'maintenance', maintenance: { staff_masked_serial: '•••• 0002', devices: [{ name: 'card_reader' }] } });
    expect(host.view().maintenance?.staff_masked_serial).toBe('•••• 0002');
  });

  it('EXIT_MAINTENANCE over the maintenance channel sends the exit to the machine, and the pushed view drops the figures', async () => {
    const { actor, pushed, invoke } = await setup();
    actor.send({ type: 'CARD_PRESENTED' });
    await waitFor(actor, (s) => s.hasTag('maintenance'));
    await until(() => pushed.at(-1)?.maintenance != null);
    const answer = (await invoke(CHANNELS.maintenanceCommand, { type: 'EXIT_MAINTENANCE' })) as { error?: string };
    expect(answer.error).toBeUndefined();
    expect(actor.getSnapshot().hasTag('maintenance')).toBe(false);
    expect(pushed.at(-1)).toMatchObject({ screen: 'idle', maintenance: null });
  });

  it('RUN_SELF_TEST and SYNC_NOW go to the source as in the HTTP API: fresh figures, or the reason it was refused', async () => {
    const { actor, calls, invoke } = await setup();
    actor.send({ type: 'CARD_PRESENTED' });
    await waitFor(actor, (s) => s.hasTag('maintenance'));
    expect(await invoke(CHANNELS.maintenanceCommand, { type: 'RUN_SELF_TEST' })).toMatchObject({ staff_masked_serial: '•••• 0002', self_test: { at: '2026-06-01T00:00:00.000Z', ok: true } });
    expect(await invoke(CHANNELS.maintenanceCommand, { type: 'SYNC_NOW' })).toEqual({ error: 'this kiosk has no back office to sync to' });
    expect(calls).toEqual(['RUN_SELF_TEST', 'SYNC_NOW']);
    expect(actor.getSnapshot().hasTag('maintenance')).toBe(true);
  });

  it('refuses every maintenance command while the screen is not open, touching neither machine nor source', async () => {
    const { actor, calls, invoke } = await setup();
    for (const type of ['EXIT_MAINTENANCE', 'RUN_SELF_TEST', 'SYNC_NOW']) {
      expect.soft(await invoke(CHANNELS.maintenanceCommand, { type })).toEqual({ error: 'the maintenance screen is not open: present a staff card' });
    }
    expect(calls).toEqual([]);
    expect(actor.getSnapshot().matches('idle')).toBe(true);
  });
});

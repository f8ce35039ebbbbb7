import type { IpcMain } from 'electron';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../src/electron/channels';
import { startKioskCore, stationRoutes, type KioskCoreHost } from '../../../src/electron/core';
import { API_TOKEN_FILE } from '../../../src/kiosk/api/token-file';
import { attendantIpcRoutes, maintenanceIpcRoutes, REFUSED_SENDER, registerIpcRoutes, type AttendantPort, type MaintenancePort } from '../../../src/electron/ipc';
import type { AttendantCommand, AttendantView } from '../../../src/shared/attendant-api';
import type { KioskView } from '../../../src/shared/kiosk-api';
import type { MaintenanceCommand, MaintenanceView } from '../../../src/shared/maintenance-api';
import { ipcMain as fakeIpcMain } from './fake-electron';

const ipcMain = Object.assign(fakeIpcMain as unknown as Pick<IpcMain, 'handle'>, { handlers: fakeIpcMain.handlers });

// The attendant booth and the maintenance screen over Electron IPC, plugged in
// through extra_routes: the same sender check as the resident's channels, each
// payload through its contract's validator (checkAttendantCommand,
// checkMaintenanceCommand), a PIN never echoed; and the core with simulated
// devices (CIVICARD_SIM=1) runs the booth and the maintenance view for real.

const APP = 'civicard://app/index.html';
const ATTENDANT_VIEW = { screen: 'signedOut.waitingForStaffCard', language: 'en' } as unknown as AttendantView;
const MAINTENANCE_VIEW = { staff_masked_serial: '', sync: { online: false } } as unknown as MaintenanceView;

function setup() {
  ipcMain.handlers.clear();
  const applied: (AttendantCommand | MaintenanceCommand)[] = [];
  const attendant: AttendantPort = { view: () => ATTENDANT_VIEW, apply: (c) => (applied.push(c), ATTENDANT_VIEW), subscribe: () => () => undefined };
  const maintenance: MaintenancePort = { view: async () => MAINTENANCE_VIEW, apply: async (c) => (applied.push(c), MAINTENANCE_VIEW) };
  registerIpcRoutes(ipcMain, [...attendantIpcRoutes(attendant), ...maintenanceIpcRoutes(maintenance)], { onNote: () => undefined });
  const invoke = async (channel: string, sender: string | null, ...args: unknown[]) => ipcMain.handlers.get(channel)!({ senderFrame: sender === null ? null : { url: sender } }, ...args);
  return { applied, invoke };
}

describe('attendant and maintenance channels', () => {
  it('registers the booth and maintenance channels, apart from the resident ones', () => {
    setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual([CHANNELS.attendantState, CHANNELS.attendantCommand, CHANNELS.maintenanceState, CHANNELS.maintenanceCommand].sort());
    expect(new Set([CHANNELS.attendantState, CHANNELS.attendantCommand, CHANNELS.attendantView, CHANNELS.maintenanceState, CHANNELS.maintenanceCommand, CHANNELS.state, CHANNELS.command, CHANNELS.view, CHANNELS.speak]).size).toBe(9);
  });

  it('answers the views and applies checked commands', async () => {
    const { applied, invoke } = setup();
    expect(await invoke(CHANNELS.attendantState, APP)).toEqual(ATTENDANT_VIEW);
    expect(await invoke(CHANNELS.attendantCommand, APP, { type: 'PIN_ENTERED', pin: '2468' })).toEqual(ATTENDANT_VIEW);
    expect(await invoke(CHANNELS.maintenanceState, APP)).toEqual(MAINTENANCE_VIEW);
    expect(await invoke(CHANNELS.maintenanceCommand, APP, { type: 'RUN_SELF_TEST' })).toEqual(MAINTENANCE_VIEW);
    expect(applied).toEqual([{ type: 'PIN_ENTERED', pin: '2468' }, { type: 'RUN_SELF_TEST' }]);
  });

  it('refuses every sender but the app, before looking at the payload', async () => {
    const { applied, invoke } = setup();
    for (const sender of ['https://example.org/', 'civicard://evil/', 'http://127.0.0.1:7311/', null]) {
      for (const channel of [CHANNELS.attendantState, CHANNELS.maintenanceState]) expect.soft(await invoke(channel, sender)).toEqual(REFUSED_SENDER);
      expect.soft(await invoke(CHANNELS.attendantCommand, sender, { type: 'SIGN_OUT' })).toEqual(REFUSED_SENDER);
      expect.soft(await invoke(CHANNELS.maintenanceCommand, sender, { type: 'SYNC_NOW' })).toEqual(REFUSED_SENDER);
    }
    expect(applied).toEqual([]);
  });

  it('answers garbage with { error }, never echoing a PIN, and hands nothing to the core', async () => {
    const { applied, invoke } = setup();
    for (const payload of [undefined, null, 'SIGN_OUT', {}, { type: 'NOPE' }, { type: 'PIN_ENTERED', pin: '12ab99' }, { type: 'AMOUNT_ENTERED', amount_minor: -5 }, { type: 'SET_LANGUAGE', language: 'fr' }]) {
      const answer = (await invoke(CHANNELS.attendantCommand, APP, payload)) as { error?: unknown };
      expect.soft(typeof answer.error, JSON.stringify(payload)).toBe('string');
      expect.soft(JSON.stringify(answer)).not.toContain('12ab99');
    }
    for (const payload of [undefined, {}, { type: 'FORMAT_DISK' }, 'SYNC_NOW']) {
      expect.soft(typeof ((await invoke(CHANNELS.maintenanceCommand, APP, payload)) as { error?: unknown }).error, JSON.stringify(payload)).toBe('string');
    }
    expect(await invoke(CHANNELS.maintenanceState, APP, { anything: 1 })).toEqual({ error: 'this message takes no payload' });
    expect(applied).toEqual([]);
  });

  it("answers the booth's rows only from the attendant window and the maintenance rows only from the resident window", async () => {
    ipcMain.handlers.clear();
    const applied: unknown[] = [];
    const attendant: AttendantPort = { view: () => ATTENDANT_VIEW, apply: (c) => (applied.push(c), ATTENDANT_VIEW), subscribe: () => () => undefined };
    const maintenance: MaintenancePort = { view: async () => MAINTENANCE_VIEW, apply: async (c) => (applied.push(c), MAINTENANCE_VIEW) };
    const stationOf = (e: unknown) => (e as { station: 'resident' | 'attendant' | null }).station;
    registerIpcRoutes(ipcMain, [...attendantIpcRoutes(attendant), ...maintenanceIpcRoutes(maintenance)], { onNote: () => undefined, stationOf });
    const invoke = (channel: string, station: string | null, ...args: unknown[]) => ipcMain.handlers.get(channel)!({ senderFrame: { url: APP }, station }, ...args);
    for (const station of ['resident', null]) {
      expect.soft(await invoke(CHANNELS.attendantState, station)).toEqual({ error: 'this window is not the attendant station' });
      expect.soft(await invoke(CHANNELS.attendantCommand, station, { type: 'OPEN_SHIFT', opening_float_minor: 100 })).toEqual({ error: 'this window is not the attendant station' });
    }
    for (const station of ['attendant', null]) {
      expect.soft(await invoke(CHANNELS.maintenanceState, station)).toEqual({ error: 'this window is not the resident station' });
      expect.soft(await invoke(CHANNELS.maintenanceCommand, station, { type: 'RUN_SELF_TEST' })).toEqual({ error: 'this window is not the resident station' });
    }
    expect(applied).toEqual([]);
    expect(await invoke(CHANNELS.attendantCommand, 'attendant', { type: 'SIGN_OUT' })).toEqual(ATTENDANT_VIEW);
    expect(await invoke(CHANNELS.maintenanceCommand, 'resident', { type: 'RUN_SELF_TEST' })).toEqual(MAINTENANCE_VIEW);
    expect(applied).toEqual([{ type: 'SIGN_OUT' }, { type: 'RUN_SELF_TEST' }]);
  });
});

describe('the core with simulated devices (CIVICARD_SIM=1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-electron-stations-'));
  let core: KioskCoreHost;
  afterAll(async () => {
    await core?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sells the bundled simulators, runs the booth and the maintenance view, and offers their channels to extra_routes', async () => {
    const notes: string[] = [];
    const before = process.env.CIVICARD_SIM_PORT;
    process.env.CIVICARD_SIM_PORT = '0';
    try {
      core = await startKioskCore({ sim: true, dir, onNote: (l) => notes.push(l) });
    } finally {
      if (before === undefined) delete process.env.CIVICARD_SIM_PORT;
      else process.env.CIVICARD_SIM_PORT = before;
    }
    expect(notes.join('\n')).toMatch(/selling library fines \(ILS simulator, SIP2 on 127\.0\.0\.1:\d+\), parking .*, citations /);
    expect(core.attendant!.view().screen).toBe('signedOut.waitingForStaffCard');
    const view = await core.maintenance!.view();
    expect(view.sync).toMatchObject({ online: false, last_sync_at: null, last_error: null, hotlist_age_ms: null });
    expect(view.limits.offline_tx_max_minor).toBeGreaterThan(0);
    expect(await core.maintenance!.apply({ type: 'RUN_SELF_TEST' })).toEqual({ error: 'the maintenance screen is not open: present a staff card' });
    // a staff card on the kiosk reader (the simulator API) opens the screen: the pushed view carries its figures, its commands apply
    const sim_url = /simulated devices at (\S+) /.exec(notes.join('\n'))![1];
    const token = readFileSync(join(dir, API_TOKEN_FILE), 'utf8').trim();
    const pushed: KioskView[] = [];
    const unsubscribe = core.subscribe((v) => pushed.push(v));
    const tap = await fetch(`${sim_url}/sim/card/present`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ card: 'supervisor', at: 'kiosk' }) });
    expect(tap.status).toBe(200);
    for (let i = 0; !pushed.at(-1)?.maintenance && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pushed.at(-1)).toMatchObject({ screen: 'maintenance', maintenance: { staff_masked_serial: expect.stringMatching(/\d{4}$/) } });
    expect((await core.maintenance!.apply({ type: 'RUN_SELF_TEST' })) as MaintenanceView).toMatchObject({ self_test: { ok: true, failed: [] } });
    expect(await core.maintenance!.apply({ type: 'SYNC_NOW' })).toEqual({ error: 'this kiosk has no back office to sync to' });
    await core.maintenance!.apply({ type: 'EXIT_MAINTENANCE' });
    expect(core.view()).toMatchObject({ screen: 'idle', maintenance: null });
    unsubscribe();
    expect(stationRoutes(core).map((r) => r.channel).sort()).toEqual([CHANNELS.attendantState, CHANNELS.attendantCommand, CHANNELS.maintenanceState, CHANNELS.maintenanceCommand].sort());
    expect(core.attendant!.apply({ type: 'SET_LANGUAGE', language: 'es' }).language).toBe('es');
  }, 30_000);
});

import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../../src/electron/channels';
import { attendantBridge, exposeStationBridge, residentBridge, type BridgeIpc } from '../../../src/electron/preload';
import type { AttendantBridge, CivicardBridge, ResidentBridge, StationBridge } from '../../../src/shared/bridge';
import { stationOfArgv } from '../../../src/shared/bridge';
import type { AttendantCommand, AttendantView } from '../../../src/shared/attendant-api';
import type { KioskCommand, KioskView } from '../../../src/shared/kiosk-api';
import { contextBridge, fakeEvent, ipcRenderer, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

// The preload puts one object on the page, `civicard`, of the type the
// renderer reads (src/shared/bridge.ts): the window's station from its launch
// arguments, functions on that station's fixed channels, a refusal from main
// turned into a rejected Error; no ipcRenderer and no IPC event ever reaches the page.

const ipc: BridgeIpc = ipcRenderer;

// Type-level: what the preload builds is the shared type, for each station
// (`npm run typecheck` compiles this file; a drift on either side fails it).
const _resident = residentBridge(ipc) satisfies ResidentBridge satisfies CivicardBridge<KioskView, KioskCommand>;
const _attendant = attendantBridge(ipc) satisfies AttendantBridge satisfies CivicardBridge<AttendantView, AttendantCommand>;
const _window: NonNullable<Window['civicard']> = null as unknown as StationBridge;
void [_resident, _attendant, _window];

function answer(value: unknown) {
  ipcRenderer.invoke.mockImplementationOnce(() => Promise.resolve(value));
}

beforeEach(() => {
  resetFakeElectron();
  ipcRenderer.invoke.mockReset();
  ipcRenderer.invoke.mockImplementation(() => Promise.resolve({ screen: 'idle' }));
});

describe('the station from the launch arguments', () => {
  it('is resident without the argument, attendant or resident when given once, and null otherwise', () => {
    expect(stationOfArgv(['/usr/bin/civicard-kiosk', '--type=renderer'])).toBe('resident');
    expect(stationOfArgv(['x', '--civicard-station=attendant'])).toBe('attendant');
    expect(stationOfArgv(['x', '--civicard-station=resident'])).toBe('resident');
    for (const bad of [['--civicard-station=admin'], ['--civicard-station='], ['--civicard-station=Attendant'], ['--civicard-station=attendant', '--civicard-station=attendant']]) {
      expect.soft(stationOfArgv(bad), bad.join(' ')).toBeNull();
    }
  });
});

describe('what the preload exposes', () => {
  it('exposes only window.civicard, for the resident station by default', () => {
    expect(exposeStationBridge(['/usr/bin/civicard-kiosk'])).toBe('resident');
    expect(contextBridge.exposed.map((e) => e.key)).toEqual(['civicard']);
    const api = contextBridge.exposed[0]!.api;
    expect(Object.keys(api).sort()).toEqual(['command', 'maintenance', 'speak', 'state', 'station', 'subscribe']);
    expect(api.station).toBe('resident');
    expect(Object.keys(api.maintenance as object).sort()).toEqual(['command', 'state']);
  });

  it('exposes the attendant station when main launched the window with --civicard-station=attendant, without maintenance', () => {
    expect(exposeStationBridge(['x', '--civicard-station=attendant'])).toBe('attendant');
    const api = contextBridge.exposed[0]!.api;
    expect(api.station).toBe('attendant');
    expect(Object.keys(api).sort()).toEqual(['command', 'speak', 'state', 'station', 'subscribe']);
  });

  it('exposes nothing when the station argument is not one it knows', () => {
    expect(exposeStationBridge(['x', '--civicard-station=root'])).toBeNull();
    expect(contextBridge.exposed).toEqual([]);
  });

  it('runs on load with the process arguments', async () => {
    vi.resetModules();
    await import('../../../src/electron/preload');
    expect(contextBridge.exposed.map((e) => [e.key, e.api.station])).toEqual([['civicard', 'resident']]);
  });
});

describe('the resident bridge', () => {
  it('invokes the fixed resident channels, one payload each', async () => {
    const bridge = residentBridge(ipc);
    await bridge.state();
    await bridge.command({ type: 'SET_LANGUAGE', language: 'pt' });
    await bridge.speak({ text: 'Olá', language: 'pt' });
    await bridge.maintenance.state();
    await bridge.maintenance.command({ type: 'RUN_SELF_TEST' });
    expect(ipcRenderer.invoke.mock.calls).toEqual([
      [CHANNELS.state],
      [CHANNELS.command, { type: 'SET_LANGUAGE', language: 'pt' }],
      [CHANNELS.speak, { text: 'Olá', language: 'pt' }],
      [CHANNELS.maintenanceState],
      [CHANNELS.maintenanceCommand, { type: 'RUN_SELF_TEST' }],
    ]);
  });

  it('answers the view main sent', async () => {
    answer({ screen: 'idle', language: 'en' });
    await expect(residentBridge(ipc).command({ type: 'TOUCH' })).resolves.toEqual({ screen: 'idle', language: 'en' });
  });

  it("rejects with main's reason when the command is refused, instead of resolving { error }", async () => {
    const bridge = residentBridge(ipc);
    answer({ error: 'unknown command "NOPE"' });
    await expect(bridge.command({ type: 'NOPE' } as unknown as KioskCommand)).rejects.toThrow(new Error('unknown command "NOPE"'));
    answer({ error: 'messages are accepted only from the kiosk app' });
    await expect(bridge.state()).rejects.toThrow('messages are accepted only from the kiosk app');
    answer({ error: 'the ledger syncs in the background on its own schedule' });
    await expect(bridge.maintenance.command({ type: 'SYNC_NOW' })).rejects.toThrow('the ledger syncs in the background on its own schedule');
    answer({ error: 'this kiosk has no voice' });
    await expect(bridge.speak({ text: 'Hola', language: 'es' })).rejects.toThrow('this kiosk has no voice');
  });

  it('resolves speak with nothing when spoken', async () => {
    answer({ ok: true });
    await expect(residentBridge(ipc).speak({ text: 'Hola', language: 'es' })).resolves.toBeUndefined();
  });

  it('hands the listener the resident view only, never the IPC event, and unsubscribes', () => {
    const got: unknown[][] = [];
    const unsubscribe = residentBridge(ipc).subscribe((...args: unknown[]) => void got.push(args));
    const view = { screen: 'idle' };
    ipcRenderer.emit(CHANNELS.view, fakeEvent({ sender: ipcRenderer }), view);
    ipcRenderer.emit(CHANNELS.attendantView, fakeEvent(), { screen: 'signedOut' });
    expect(got).toEqual([[view]]);
    unsubscribe();
    ipcRenderer.emit(CHANNELS.view, fakeEvent(), view);
    expect(got).toHaveLength(1);
    expect(ipcRenderer.listenerCount(CHANNELS.view)).toBe(0);
  });
});

describe('the attendant bridge', () => {
  it('invokes the attendant channels and speaks on the same fixed channel', async () => {
    const bridge = attendantBridge(ipc);
    await bridge.state();
    await bridge.command({ type: 'SIGN_OUT' });
    answer({ ok: true });
    await bridge.speak({ text: 'Hello', language: 'en' });
    expect(ipcRenderer.invoke.mock.calls).toEqual([[CHANNELS.attendantState], [CHANNELS.attendantCommand, { type: 'SIGN_OUT' }], [CHANNELS.speak, { text: 'Hello', language: 'en' }]]);
  });

  it("rejects with main's reason, never echoing what was sent beyond it", async () => {
    answer({ error: '"pin" must be 4-8 digits' });
    await expect(attendantBridge(ipc).command({ type: 'PIN_ENTERED', pin: '12ab' })).rejects.toThrow('"pin" must be 4-8 digits');
  });

  it('subscribes to the booth view channel only', () => {
    const got: unknown[] = [];
    const unsubscribe = attendantBridge(ipc).subscribe((v) => void got.push(v));
    ipcRenderer.emit(CHANNELS.view, fakeEvent(), { screen: 'idle' });
    ipcRenderer.emit(CHANNELS.attendantView, fakeEvent(), { screen: 'signedOut.waitingForStaffCard' });
    expect(got).toEqual([{ screen: 'signedOut.waitingForStaffCard' }]);
    unsubscribe();
    expect(ipcRenderer.listenerCount(CHANNELS.attendantView)).toBe(0);
  });
});

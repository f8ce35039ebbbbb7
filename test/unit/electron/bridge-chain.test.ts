import type { IpcMain } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ipcTransport } from '../../../renderer/src/api/transport';
import type { ResidentCommand, ResidentView } from '../../../renderer/src/api/views';
import { CHANNELS } from '../../../src/electron/channels';
import { attendantIpcRoutes, maintenanceIpcRoutes, registerIpcRoutes, residentRoutes, type AttendantPort, type MaintenancePort, type ResidentPort } from '../../../src/electron/ipc';
import { attendantBridge, residentBridge } from '../../../src/electron/preload';
import type { AttendantCommand, AttendantView } from '../../../src/shared/attendant-api';
import type { KioskCommand, KioskView } from '../../../src/shared/kiosk-api';
import type { MaintenanceCommand, MaintenanceView } from '../../../src/shared/maintenance-api';
import { fakeEvent, FakeEmitter, ipcMain as fakeIpcMain, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

// The whole contract in one process: the renderer's ipcTransport over the
// preload's bridge over main's checked routes (registerIpcRoutes), with an
// IPC pipe between them that carries what Electron would (a sender frame on
// the app, the payload structured-cloned). What the renderer sees is what
// apps.tsx expects: views, a refusal as a rejected Error with the core's
// reason, the maintenance figures inside the resident view.

const ipcMain = fakeIpcMain as unknown as Pick<IpcMain, 'handle'>;
const VIEW: KioskView = { screen: 'idle', timeout_warning: false, notice: null, language: 'es', card: null, quote: null, payment: null, receipt_available: null, maintenance: null };
const BOOTH = { screen: 'signedOut.waitingForStaffCard', language: 'en' } as unknown as AttendantView;
const FIGURES = { staff_masked_serial: '', sync: { online: false, unsynced_entries: 2 } } as unknown as MaintenanceView;

class Pipe extends FakeEmitter {
  constructor(private readonly frameUrl = 'civicard://app/index.html') {
    super();
  }
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = fakeIpcMain.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve(handler({ senderFrame: { url: this.frameUrl } }, ...structuredClone(args))).then((a) => structuredClone(a));
  }
  /** main → renderer, as webContents.send does. */
  push(channel: string, view: unknown) {
    this.emit(channel, fakeEvent(), structuredClone(view));
  }
}

function residentSide(frameUrl?: string) {
  const applied: (KioskCommand | MaintenanceCommand | AttendantCommand)[] = [];
  const core: ResidentPort = { view: () => VIEW, apply: (c) => (applied.push(c), { ...VIEW, screen: 'menu' }) };
  const maintenance: MaintenancePort = {
    view: async () => FIGURES,
    apply: async (c) => (applied.push(c), c.type === 'SYNC_NOW' ? { error: 'the ledger syncs in the background on its own schedule' } : FIGURES),
  };
  const booth: AttendantPort = { view: () => BOOTH, apply: (c) => (applied.push(c), BOOTH), subscribe: () => () => undefined };
  registerIpcRoutes(ipcMain, [...residentRoutes(core, null), ...attendantIpcRoutes(booth), ...maintenanceIpcRoutes(maintenance)], { onNote: () => undefined });
  const pipe = new Pipe(frameUrl);
  return { applied, pipe };
}

beforeEach(() => resetFakeElectron());

describe('renderer → preload → main, resident station', () => {
  it('answers the view after a checked command', async () => {
    const { applied, pipe } = residentSide();
    const t = ipcTransport<ResidentView, ResidentCommand>(residentBridge(pipe));
    await expect(t.state()).resolves.toEqual(VIEW);
    await expect(t.command({ type: 'TOUCH' })).resolves.toMatchObject({ screen: 'menu' });
    expect(applied).toEqual([{ type: 'TOUCH' }]);
  });

  it("rejects a refused command with main's reason and hands the core nothing", async () => {
    const { applied, pipe } = residentSide();
    const t = ipcTransport<ResidentView, ResidentCommand>(residentBridge(pipe));
    await expect(t.command({ type: 'FORMAT_DISK' } as unknown as ResidentCommand)).rejects.toThrow(/unknown command/);
    expect(applied).toEqual([]);
  });

  it('rejects everything from a frame that is not the app', async () => {
    const { applied, pipe } = residentSide('https://example.org/');
    const t = ipcTransport<ResidentView, ResidentCommand>(residentBridge(pipe));
    await expect(t.state()).rejects.toThrow('messages are accepted only from the kiosk app');
    await expect(t.command({ type: 'RUN_SELF_TEST' })).rejects.toThrow('messages are accepted only from the kiosk app');
    expect(applied).toEqual([]);
  });

  it('starts the view stream with the current view, then every pushed one', async () => {
    const { pipe } = residentSide();
    const views: KioskView[] = [];
    const t = ipcTransport<KioskView, KioskCommand>(residentBridge(pipe));
    const stop = t.subscribe((v) => void views.push(v));
    await vi.waitFor(() => expect(views).toEqual([VIEW]));
    pipe.push(CHANNELS.view, { ...VIEW, screen: 'menu' });
    pipe.push(CHANNELS.attendantView, BOOTH);
    expect(views.map((v) => v.screen)).toEqual(['idle', 'menu']);
    stop();
    pipe.push(CHANNELS.view, VIEW);
    expect(views).toHaveLength(2);
  });

  it('does not let the first answer replace a newer pushed view', async () => {
    const { pipe } = residentSide();
    const views: string[] = [];
    ipcTransport<KioskView, KioskCommand>(residentBridge(pipe)).subscribe((v) => void views.push(v.screen));
    pipe.push(CHANNELS.view, { ...VIEW, screen: 'card.reading' });
    await new Promise((r) => setTimeout(r, 10));
    expect(views).toEqual(['card.reading']);
  });

  it("sends the maintenance screen's commands to the maintenance channel and answers the resident view with the figures", async () => {
    const { applied, pipe } = residentSide();
    const t = ipcTransport<ResidentView, ResidentCommand>(residentBridge(pipe));
    await expect(t.command({ type: 'RUN_SELF_TEST' })).resolves.toEqual({ ...VIEW, maintenance: FIGURES });
    await expect(t.command({ type: 'SYNC_NOW' })).rejects.toThrow('the ledger syncs in the background on its own schedule');
    await expect(t.command({ type: 'EXIT_MAINTENANCE' })).resolves.toEqual({ ...VIEW, maintenance: null });
    expect(applied).toEqual([{ type: 'RUN_SELF_TEST' }, { type: 'SYNC_NOW' }, { type: 'EXIT_MAINTENANCE' }]);
  });

  it('speaks one request object, and rejects with the reason where the kiosk has no voice', async () => {
    const { pipe } = residentSide();
    const t = ipcTransport<ResidentView, ResidentCommand>(residentBridge(pipe));
    await expect(t.speak!({ text: 'Hola', language: 'es' })).rejects.toThrow('this kiosk has no voice');
    await expect(t.speak!({ text: '', language: 'es' })).rejects.toThrow(/"text" must be/);
  });
});

describe('renderer → preload → main, attendant station', () => {
  it('uses the booth channels, its commands checked, maintenance commands not routed aside', async () => {
    const { applied, pipe } = residentSide();
    const t = ipcTransport<AttendantView, AttendantCommand>(attendantBridge(pipe));
    await expect(t.state()).resolves.toEqual(BOOTH);
    await expect(t.command({ type: 'PIN_ENTERED', pin: '2468' })).resolves.toEqual(BOOTH);
    await expect(t.command({ type: 'RUN_SELF_TEST' } as unknown as AttendantCommand)).rejects.toThrow(/unknown command/);
    expect(applied).toEqual([{ type: 'PIN_ENTERED', pin: '2468' }]);
  });
});

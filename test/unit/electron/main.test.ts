import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../../src/electron/channels';
import { stationRoutes, type KioskCoreHost } from '../../../src/electron/core';
import type { AttendantView } from '../../../src/shared/attendant-api';
import type { MaintenanceView } from '../../../src/shared/maintenance-api';
import { REFUSED_SENDER } from '../../../src/electron/ipc';
import { runKioskShell, wantedStations, type ShellOptions } from '../../../src/electron/main';
import { APP_URL, CONTENT_SECURITY_POLICY, OUT_OF_SERVICE_URL, SCHEME } from '../../../src/electron/protocol';
import type { KioskView } from '../../../src/shared/kiosk-api';
import { app, BrowserWindow, fakeEvent, FakeWebContents, ipcMain, log, Menu, protocol, resetFakeElectron, session } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

// The main process on the fake electron module, with a fake core: what it
// registers, in which order, and what it does on each event.

const VIEW: KioskView = { screen: 'idle', timeout_warning: false, notice: null, language: 'es', card: null, quote: null, payment: null, receipt_available: null, maintenance: null };

function fakeCore() {
  const listeners = new Set<(v: KioskView) => void>();
  const core: KioskCoreHost & { stopped: number; push(v: KioskView): void } = {
    stopped: 0,
    view: () => VIEW,
    apply: () => VIEW,
    subscribe: (l) => (listeners.add(l), () => void listeners.delete(l)),
    stop: async () => void (core.stopped += 1),
    push: (v) => listeners.forEach((l) => l(v)),
  };
  return core;
}

const BOOTH = { screen: 'signedOut.waitingForStaffCard' } as unknown as AttendantView;

function coreWithBooth() {
  const boothListeners = new Set<(v: AttendantView) => void>();
  const applied: unknown[] = [];
  const core = Object.assign(fakeCore(), {
    applied,
    attendant: { view: () => BOOTH, apply: (c: unknown) => (applied.push(c), BOOTH), subscribe: (l: (v: AttendantView) => void) => (boothListeners.add(l), () => void boothListeners.delete(l)) },
    maintenance: { view: async () => ({}) as MaintenanceView, apply: async (c: unknown) => (applied.push(c), {} as MaintenanceView) },
  });
  return { core, boothPush: (v: AttendantView) => boothListeners.forEach((l) => l(v)) };
}

let signals: EventEmitter;

function options(over: Partial<ShellOptions> = {}): ShellOptions {
  return { startCore: async () => fakeCore(), sim: true, preload: '/out/preload/index.cjs', renderer_root: '/out/renderer', data_dir: '/tmp/civicard-test', onNote: () => undefined, process_events: signals, ...over };
}

beforeEach(() => {
  resetFakeElectron();
  signals = new EventEmitter();
});

describe('which stations get a window', () => {
  it('is the resident kiosk by default; --station= or CIVICARD_STATION names one or both, comma-separated', () => {
    expect(wantedStations(['electron', '.'], {})).toEqual(['resident']);
    expect(wantedStations(['electron', '.'], { CIVICARD_STATION: 'attendant' })).toEqual(['attendant']);
    expect(wantedStations(['electron', '.', '--station=resident,attendant'], { CIVICARD_STATION: 'attendant' })).toEqual(['resident', 'attendant']);
    expect(wantedStations(['electron', '.'], { CIVICARD_STATION: ' attendant , resident ' })).toEqual(['attendant', 'resident']);
  });

  it('refuses a station it does not know, naming the choices', () => {
    for (const value of ['booth', '', 'attendant,attendant', 'resident,']) {
      expect.soft(() => wantedStations([], { CIVICARD_STATION: value }), value).toThrow(/CIVICARD_STATION.*resident.*attendant/);
    }
    expect(() => wantedStations(['--station=admin'], {})).toThrow(/--station/);
  });
});

describe('the main process', () => {
  it('registers civicard:// as a standard, secure scheme before the app is ready', async () => {
    await runKioskShell(options());
    expect(protocol.privileged).toEqual([{ scheme: SCHEME, privileges: expect.objectContaining({ standard: true, secure: true, bypassCSP: false }) }]);
    expect(log.indexOf('registerSchemesAsPrivileged')).toBeLessThan(log.indexOf('whenReady'));
  });

  it('serves the app scheme from the renderer folder, with the CSP, once ready', async () => {
    await runKioskShell(options());
    expect(log.indexOf('protocol.handle civicard')).toBeGreaterThan(log.indexOf('whenReady'));
    const res = await protocol.handlers.get(SCHEME)!({ url: 'civicard://app/missing.js' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it('quits at once, starting nothing, when another instance holds the lock', async () => {
    app.singleInstance = false;
    const startCore = vi.fn(async () => fakeCore());
    expect(await runKioskShell(options({ startCore }))).toBeNull();
    expect(app.quit).toHaveBeenCalled();
    expect(startCore).not.toHaveBeenCalled();
    expect(BrowserWindow.instances).toEqual([]);
  });

  it('focuses (and restores) the running window when a second instance starts', async () => {
    await runKioskShell(options());
    const win = BrowserWindow.instances[0]!;
    win.minimized = true;
    app.emit('second-instance', fakeEvent(), ['civicard-kiosk'], '/');
    expect(win.restored).toBe(1);
    expect(win.focused).toBe(1);
  });

  it('forces the sandbox on every renderer and removes the application menu', async () => {
    await runKioskShell(options());
    expect(app.enableSandbox).toHaveBeenCalled();
    expect(Menu.applicationMenu).toBeNull();
  });

  it('opens one kiosk window with the secure preferences, on the app', async () => {
    await runKioskShell(options());
    expect(BrowserWindow.instances).toHaveLength(1);
    const win = BrowserWindow.instances[0]!;
    expect(win.options).toMatchObject({ kiosk: true, fullscreen: true, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: '/out/preload/index.cjs' } });
    expect(win.loaded).toEqual([APP_URL]);
  });

  it('hardens every web contents created, not only the window it made', async () => {
    await runKioskShell(options());
    const other = new FakeWebContents();
    app.emit('web-contents-created', fakeEvent(), other);
    const attach = fakeEvent();
    other.emit('will-attach-webview', attach, {}, {});
    expect(attach.defaultPrevented).toBe(true);
    expect(other.windowOpenHandler?.({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    const win = BrowserWindow.instances[0]!;
    const nav = fakeEvent({ url: 'https://example.org/' });
    win.webContents.emit('will-navigate', nav, 'https://example.org/');
    expect(nav.defaultPrevented).toBe(true);
  });

  it('hardens the default session: permissions refused', async () => {
    await runKioskShell(options());
    const answers: boolean[] = [];
    session.defaultSession.permissionRequest?.({}, 'media', (g) => answers.push(g));
    expect(answers).toEqual([false]);
    expect(session.defaultSession.permissionCheck?.({}, 'media', 'civicard://app')).toBe(false);
  });

  it('registers the IPC channels, checked, and pushes every new view to the window', async () => {
    const core = fakeCore();
    await runKioskShell(options({ startCore: async () => core }));
    expect([...ipcMain.handlers.keys()].sort()).toEqual([CHANNELS.command, CHANNELS.speak, CHANNELS.state].sort());
    expect(await ipcMain.handlers.get(CHANNELS.state)!({ senderFrame: { url: 'https://example.org/' } })).toEqual(REFUSED_SENDER);
    core.push({ ...VIEW, screen: 'session.balanceShown' });
    expect(BrowserWindow.instances[0]!.webContents.sent).toEqual([{ channel: CHANNELS.view, payload: { ...VIEW, screen: 'session.balanceShown' } }]);
  });

  it('passes the simulation switch and data dir to the core, and plugs in extra channels', async () => {
    const startCore = vi.fn(async () => fakeCore());
    await runKioskShell(options({ startCore, extra_routes: () => [{ channel: 'civicard:attendant:x', validate: () => ({ ok: true, value: 1 }), handle: () => 2 }] }));
    expect(startCore).toHaveBeenCalledWith(expect.objectContaining({ sim: true, dir: '/tmp/civicard-test' }));
    expect(ipcMain.handlers.has('civicard:attendant:x')).toBe(true);
  });

  it('plugs in the booth and maintenance channels through extra_routes; the resident window gets no booth views', async () => {
    const { core, boothPush } = coreWithBooth();
    await runKioskShell(options({ startCore: async () => core, extra_routes: stationRoutes }));
    expect([...ipcMain.handlers.keys()].sort()).toEqual([CHANNELS.command, CHANNELS.speak, CHANNELS.state, CHANNELS.attendantState, CHANNELS.attendantCommand, CHANNELS.maintenanceState, CHANNELS.maintenanceCommand].sort());
    expect(await ipcMain.handlers.get(CHANNELS.attendantCommand)!({ senderFrame: { url: 'https://example.org/' } }, { type: 'SIGN_OUT' })).toEqual(REFUSED_SENDER);
    boothPush({ ...BOOTH, screen: 'signedOut.enteringPin' } as AttendantView);
    expect(BrowserWindow.instances).toHaveLength(1);
    expect(BrowserWindow.instances[0]!.webContents.sent).toEqual([]);
  });

  it("launches each station's window with its station argument, and pushes each station its own views", async () => {
    const { core, boothPush } = coreWithBooth();
    const running = await runKioskShell(options({ startCore: async () => core, extra_routes: stationRoutes, stations: ['resident', 'attendant'] }));
    const [resident, attendant] = BrowserWindow.instances as [BrowserWindow, BrowserWindow];
    expect(BrowserWindow.instances).toHaveLength(2);
    expect(resident.options).toMatchObject({ webPreferences: { additionalArguments: ['--civicard-station=resident'], sandbox: true, contextIsolation: true } });
    expect(attendant.options).toMatchObject({ webPreferences: { additionalArguments: ['--civicard-station=attendant'], sandbox: true, contextIsolation: true } });
    expect(attendant.loaded).toEqual([APP_URL]);
    expect(running?.windows).toEqual({ resident, attendant });
    core.push({ ...VIEW, screen: 'menu' });
    boothPush({ ...BOOTH, screen: 'signedOut.enteringPin' } as AttendantView);
    expect(resident.webContents.sent).toEqual([{ channel: CHANNELS.view, payload: { ...VIEW, screen: 'menu' } }]);
    expect(attendant.webContents.sent).toEqual([{ channel: CHANNELS.attendantView, payload: { ...BOOTH, screen: 'signedOut.enteringPin' } }]);
  });

  it("answers a station's channels only from that station's window", async () => {
    const { core } = coreWithBooth();
    await runKioskShell(options({ startCore: async () => core, extra_routes: stationRoutes, stations: ['resident', 'attendant'] }));
    const [resident, attendant] = BrowserWindow.instances as [BrowserWindow, BrowserWindow];
    const from = (win: BrowserWindow) => ({ senderFrame: { url: APP_URL }, sender: win.webContents });
    const call = (channel: string, win: BrowserWindow, ...args: unknown[]) => ipcMain.handlers.get(channel)!(from(win), ...args);
    expect(await call(CHANNELS.attendantCommand, attendant, { type: 'SIGN_OUT' })).toEqual(BOOTH);
    expect(await call(CHANNELS.attendantCommand, resident, { type: 'SIGN_OUT' })).toEqual({ error: 'this window is not the attendant station' });
    expect(await call(CHANNELS.attendantState, resident)).toEqual({ error: 'this window is not the attendant station' });
    expect(await call(CHANNELS.command, attendant, { type: 'TOUCH' })).toEqual({ error: 'this window is not the resident station' });
    expect(await call(CHANNELS.maintenanceCommand, attendant, { type: 'RUN_SELF_TEST' })).toEqual({ error: 'this window is not the resident station' });
    expect(await call(CHANNELS.maintenanceState, resident)).toEqual({});
    expect(await call(CHANNELS.state, resident)).toEqual(VIEW);
    expect(await call(CHANNELS.speak, attendant, { text: 'Hello', language: 'en' })).toEqual({ error: 'this kiosk has no voice' });
    expect(await call(CHANNELS.state, new BrowserWindow({}))).toEqual({ error: 'this window is not the resident station' });
    expect(core.applied).toEqual([{ type: 'SIGN_OUT' }]);
  });

  it('opens only the attendant window when that station alone is asked for; out of service when the core has no booth', async () => {
    const { core } = coreWithBooth();
    await runKioskShell(options({ startCore: async () => core, extra_routes: stationRoutes, stations: ['attendant'] }));
    expect(BrowserWindow.instances.map((w) => w.options)).toEqual([expect.objectContaining({ webPreferences: expect.objectContaining({ additionalArguments: ['--civicard-station=attendant'] }) })]);
    resetFakeElectron();
    const notes: string[] = [];
    await runKioskShell(options({ stations: ['attendant'], onNote: (l) => notes.push(l) }));
    expect(BrowserWindow.instances[0]!.loaded).toEqual([OUT_OF_SERVICE_URL]);
    expect(notes.join('\n')).toContain('no attendant booth');
  });

  it('focuses the first window when a second instance starts, and keeps every window open until the app quits', async () => {
    const { core } = coreWithBooth();
    await runKioskShell(options({ startCore: async () => core, extra_routes: stationRoutes, stations: ['attendant', 'resident'] }));
    const [first, second] = BrowserWindow.instances as [BrowserWindow, BrowserWindow];
    app.emit('second-instance', fakeEvent(), ['civicard-kiosk'], '/');
    expect([first.focused, second.focused]).toEqual([1, 0]);
    const close = fakeEvent();
    second.emit('close', close);
    expect(close.defaultPrevented).toBe(true);
  });

  it('shows the out-of-service page and opens no channel when the core cannot start', async () => {
    const notes: string[] = [];
    await runKioskShell(options({ startCore: () => Promise.reject(new Error('no reader')), onNote: (l) => notes.push(l) }));
    expect(BrowserWindow.instances[0]!.loaded).toEqual([OUT_OF_SERVICE_URL]);
    expect(ipcMain.handlers.size).toBe(0);
    expect(notes.join('\n')).toContain('no reader');
  });

  it('reloads the window when its renderer crashes', async () => {
    await runKioskShell(options());
    const win = BrowserWindow.instances[0]!;
    win.webContents.emit('render-process-gone', fakeEvent(), { reason: 'oom', exitCode: 1 });
    expect(win.loaded).toEqual([APP_URL, APP_URL]);
  });

  it('refuses to close the window unless the app is quitting', async () => {
    await runKioskShell(options());
    const win = BrowserWindow.instances[0]!;
    const close = fakeEvent();
    win.emit('close', close);
    expect(close.defaultPrevented).toBe(true);
    app.emit('before-quit', fakeEvent());
    const closing = fakeEvent();
    win.emit('close', closing);
    expect(closing.defaultPrevented).toBe(false);
  });

  it('quits on SIGTERM (the service stopping it), stopping the core before the app goes', async () => {
    const core = fakeCore();
    await runKioskShell(options({ startCore: async () => core }));
    signals.emit('SIGTERM');
    await vi.waitFor(() => expect(core.stopped).toBe(1));
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(2));
  });
});

import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../../src/electron/channels';
import { stationRoutes, type KioskCoreHost } from '../../../src/electron/core';
import type { AttendantView } from '../../../src/shared/attendant-api';
import type { MaintenanceView } from '../../../src/shared/maintenance-api';
import { REFUSED_SENDER } from '../../../src/electron/ipc';
import { runKioskShell, type ShellOptions } from '../../../src/electron/main';
import { APP_URL, CONTENT_SECURITY_POLICY, OUT_OF_SERVICE_URL, SCHEME } from '../../../src/electron/protocol';
import type { KioskView } from '../../../src/shared/kiosk-api';
import { app, BrowserWindow, fakeEvent, FakeWebContents, ipcMain, log, Menu, protocol, resetFakeElectron, session } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

// The main process on the fake electron module, with a fake core: what it
// registers, in which order, and what it does on each event.

const VIEW: KioskView = { screen: 'idle', timeout_warning: false, notice: null, language: 'es', card: null, quote: null, payment: null, receipt_available: null };

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

let signals: EventEmitter;

function options(over: Partial<ShellOptions> = {}): ShellOptions {
  return { startCore: async () => fakeCore(), sim: true, preload: '/out/preload/index.cjs', renderer_root: '/out/renderer', data_dir: '/tmp/civicard-test', onNote: () => undefined, process_events: signals, ...over };
}

beforeEach(() => {
  resetFakeElectron();
  signals = new EventEmitter();
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

  it('plugs in the booth and maintenance channels through extra_routes, and pushes every booth view to the window', async () => {
    const boothListeners = new Set<(v: AttendantView) => void>();
    const booth: AttendantView = { screen: 'signedOut.waitingForStaffCard' } as unknown as AttendantView;
    const core = Object.assign(fakeCore(), {
      attendant: { view: () => booth, apply: () => booth, subscribe: (l: (v: AttendantView) => void) => (boothListeners.add(l), () => void boothListeners.delete(l)) },
      maintenance: { view: async () => ({}) as MaintenanceView, apply: async () => ({}) as MaintenanceView },
    });
    await runKioskShell(options({ startCore: async () => core, extra_routes: stationRoutes }));
    expect([...ipcMain.handlers.keys()].sort()).toEqual([CHANNELS.command, CHANNELS.speak, CHANNELS.state, CHANNELS.attendantState, CHANNELS.attendantCommand, CHANNELS.maintenanceState, CHANNELS.maintenanceCommand].sort());
    expect(await ipcMain.handlers.get(CHANNELS.attendantCommand)!({ senderFrame: { url: 'https://example.org/' } }, { type: 'SIGN_OUT' })).toEqual(REFUSED_SENDER);
    for (const l of boothListeners) l({ ...booth, screen: 'signedOut.enteringPin' } as AttendantView);
    expect(BrowserWindow.instances[0]!.webContents.sent).toEqual([{ channel: CHANNELS.attendantView, payload: { ...booth, screen: 'signedOut.enteringPin' } }]);
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

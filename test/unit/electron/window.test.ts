import type { BrowserWindow as ElectronWindow } from 'electron';
import { describe, expect, it } from 'vitest';
import { APP_URL, OUT_OF_SERVICE_URL } from '../../../src/electron/protocol';
import { CrashGuard, kioskWindowOptions, openKioskWindow } from '../../../src/electron/window';
import { BrowserWindow, fakeEvent } from './fake-electron';

describe('the kiosk window', () => {
  it('is a full-screen kiosk window with an isolated, sandboxed renderer and no Node', () => {
    const o = kioskWindowOptions('/opt/civicard/preload.cjs');
    expect(o).toMatchObject({ kiosk: true, fullscreen: true, frame: false });
    expect(o.webPreferences).toMatchObject({
      preload: '/opt/civicard/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it("tells the preload its station in the renderer's launch arguments, resident unless asked", () => {
    expect(kioskWindowOptions('/p.cjs').webPreferences?.additionalArguments).toEqual(['--civicard-station=resident']);
    expect(kioskWindowOptions('/p.cjs', 'attendant').webPreferences?.additionalArguments).toEqual(['--civicard-station=attendant']);
    const win = openKioskWindow({ create: (o) => new BrowserWindow(o) as unknown as ElectronWindow, preload: '/p.cjs', station: 'attendant' }) as unknown as BrowserWindow;
    expect(win.options).toMatchObject({ webPreferences: { additionalArguments: ['--civicard-station=attendant'] } });
  });

  it('loads the app', () => {
    const win = openKioskWindow({ create: (o) => new BrowserWindow(o) as unknown as ElectronWindow, preload: '/p.cjs' }) as unknown as BrowserWindow;
    expect(win.loaded).toEqual([APP_URL]);
  });
});

describe('renderer crashes', () => {
  it('reloads a crashed renderer, and after more than 3 crashes in a minute shows the out-of-service page', () => {
    let t = 0;
    const notes: string[] = [];
    const win = openKioskWindow({ create: (o) => new BrowserWindow(o) as unknown as ElectronWindow, preload: '/p.cjs', now: () => t, onNote: (l) => notes.push(l) }) as unknown as BrowserWindow;
    const crash = () => {
      win.webContents.emit('render-process-gone', fakeEvent(), { reason: 'crashed', exitCode: 139 });
      t += 10_000;
    };
    crash();
    expect(win.loaded).toEqual([APP_URL, APP_URL]);
    crash();
    crash();
    expect(win.loaded.slice(-1)).toEqual([APP_URL]);
    crash();
    expect(win.loaded.slice(-1)).toEqual([OUT_OF_SERVICE_URL]);
    expect(notes.at(-1)).toContain('too many crashes');
  });

  it('counts crashes in a sliding minute: spaced-out crashes are always reloaded', () => {
    let t = 0;
    const guard = new CrashGuard({ max_reloads: 3, window_ms: 60_000 }, () => t);
    for (let i = 0; i < 10; i++) {
      expect(guard.crashed()).toBe('reload');
      t += 25_000;
    }
    t += 60_000;
    for (let i = 0; i < 3; i++) expect(guard.crashed()).toBe('reload');
    expect(guard.crashed()).toBe('out_of_service');
  });
});

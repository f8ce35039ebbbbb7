import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, protocol, session } from 'electron';
import { CHANNELS } from './channels';
import type { KioskCoreHost, StartCore } from './core';
import { registerIpcRoutes, residentRoutes, type IpcRoute, type Speaker } from './ipc';
import { APP_URL, appProtocolHandler, OUT_OF_SERVICE_URL, SCHEME, SCHEME_PRIVILEGES } from './protocol';
import { hardenContents, hardenSession } from './security';
import { openKioskWindow, type CrashPolicy } from './window';

// The Electron main process: one instance, one kiosk window, the app served
// from civicard://app, every contents and the session hardened, the kiosk
// core started behind an interface and reached only through validated IPC.

export interface ShellOptions {
  startCore: StartCore;
  /** Simulated devices (`--sim` or CIVICARD_SIM=1, see core.ts). */
  sim: boolean;
  preload: string;
  /** The built renderer (renderer/dist). */
  renderer_root: string;
  /** Where the core keeps its state (default: userData/kiosk). */
  data_dir?: string;
  speaker?: Speaker | null;
  /** More IPC rows (attendant, maintenance), checked the same way as the resident's. */
  extra_routes?: (core: KioskCoreHost) => IpcRoute<unknown, unknown>[];
  crash_policy?: CrashPolicy;
  onNote?: (line: string) => void;
  /** Where SIGTERM and SIGINT arrive (the process; a stand-in under test). */
  process_events?: Pick<NodeJS.EventEmitter, 'once'>;
}

export interface RunningShell {
  window: BrowserWindow;
  core: KioskCoreHost | null;
}

/** Must run before `ready`: the app scheme is standard (origin, relative URLs) and secure. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { ...SCHEME_PRIVILEGES } }]);
}

/** Starts the shell; null when another instance already runs (it is focused, this one quits). */
export async function runKioskShell(opts: ShellOptions): Promise<RunningShell | null> {
  const note = opts.onNote ?? ((line: string) => process.stdout.write(`civicard-kiosk: ${line}\n`));
  registerAppScheme();
  if (!app.requestSingleInstanceLock()) {
    note('another kiosk instance is running: focusing it and quitting');
    app.quit();
    return null;
  }
  app.enableSandbox();
  Menu.setApplicationMenu(null);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));

  let win: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (!win || win.isDestroyed()) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());

  await app.whenReady();
  hardenSession(session.defaultSession);
  protocol.handle(SCHEME, appProtocolHandler(opts.renderer_root));

  let core: KioskCoreHost | null = null;
  try {
    core = await opts.startCore({ sim: opts.sim, dir: opts.data_dir ?? join(app.getPath('userData'), 'kiosk'), onNote: note });
  } catch (err) {
    note(`the kiosk core did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (core) registerIpcRoutes(ipcMain, [...residentRoutes(core, opts.speaker ?? null), ...(opts.extra_routes?.(core) ?? [])], { onNote: note });

  const window = openKioskWindow({
    create: (options) => new BrowserWindow(options),
    preload: opts.preload,
    url: core ? APP_URL : OUT_OF_SERVICE_URL,
    crash_policy: opts.crash_policy,
    onNote: note,
  });
  win = window;
  core?.subscribe((view) => {
    if (!window.isDestroyed()) window.webContents.send(CHANNELS.view, view);
  });
  core?.attendant?.subscribe((view) => {
    if (!window.isDestroyed()) window.webContents.send(CHANNELS.attendantView, view);
  });

  // The window closes only when the app quits (the service stopping it), never from a key or the page.
  let quitting = false;
  app.on('before-quit', () => {
    quitting = true;
  });
  window.on('close', (event) => {
    if (!quitting) event.preventDefault();
  });
  let stopped = core === null;
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void core!
      .stop()
      .catch((err: unknown) => note(`the kiosk core did not stop cleanly: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        stopped = true;
        app.quit();
      });
  });
  const signals = opts.process_events ?? process;
  signals.once('SIGTERM', () => app.quit());
  signals.once('SIGINT', () => app.quit());
  return { window, core };
}

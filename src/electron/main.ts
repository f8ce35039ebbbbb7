import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, protocol, session, type IpcMainInvokeEvent } from 'electron';
import { STATIONS, type Station } from '../shared/bridge';
import { CHANNELS } from './channels';
import type { KioskCoreHost, StartCore } from './core';
import { registerIpcRoutes, residentRoutes, type IpcRoute, type Speaker } from './ipc';
import { APP_URL, appProtocolHandler, OUT_OF_SERVICE_URL, SCHEME, SCHEME_PRIVILEGES } from './protocol';
import { hardenContents, hardenSession } from './security';
import { openKioskWindow, type CrashPolicy } from './window';

// The Electron main process: one instance, a kiosk window per station (the
// resident kiosk, and the attendant booth where configured), the app served
// from civicard://app, every contents and the session hardened, the kiosk
// core started behind an interface and reached only through validated IPC,
// each station's channels only from its own window.

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
  /** The stations to open a window for, in order (default: the resident kiosk); see wantedStations. */
  stations?: readonly Station[];
  crash_policy?: CrashPolicy;
  onNote?: (line: string) => void;
  /** Where SIGTERM and SIGINT arrive (the process; a stand-in under test). */
  process_events?: Pick<NodeJS.EventEmitter, 'once'>;
}

export interface RunningShell {
  /** The first station's window. */
  window: BrowserWindow;
  windows: Partial<Record<Station, BrowserWindow>>;
  core: KioskCoreHost | null;
}

/**
 * The stations this machine shows: `--station=` on the command line, else
 * CIVICARD_STATION, each a comma-separated list of `resident` and `attendant`
 * (e.g. `attendant` for a booth, `resident,attendant` for both on one machine
 * while developing); the resident kiosk when neither is given.
 */
export function wantedStations(argv: readonly string[], env: NodeJS.ProcessEnv): Station[] {
  const flag = argv.find((a) => a.startsWith('--station='));
  const [source, value] = flag !== undefined ? ['--station', flag.slice('--station='.length)] : ['CIVICARD_STATION', env.CIVICARD_STATION];
  if (value === undefined) return ['resident'];
  const names = value.split(',').map((n) => n.trim());
  const known = (n: string): n is Station => (STATIONS as readonly string[]).includes(n);
  if (!names.every(known) || new Set(names).size !== names.length) {
    throw new Error(`${source} must be ${STATIONS.join(', ')} or both, comma-separated (got "${value.slice(0, 40)}")`);
  }
  return names;
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

  const windows: Partial<Record<Station, BrowserWindow>> = {};
  const stations = opts.stations && opts.stations.length > 0 ? opts.stations : (['resident'] as const);
  app.on('second-instance', () => {
    const first = windows[stations[0]!];
    if (!first || first.isDestroyed()) return;
    if (first.isMinimized()) first.restore();
    first.focus();
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
  // Which window sent a message: its web contents, not anything the page says about itself.
  const stationOf = (event: IpcMainInvokeEvent): Station | null => STATIONS.find((s) => windows[s] !== undefined && windows[s].webContents === event.sender) ?? null;
  if (core) registerIpcRoutes(ipcMain, [...residentRoutes(core, opts.speaker ?? null), ...(opts.extra_routes?.(core) ?? [])], { onNote: note, stationOf });

  for (const station of stations) {
    const serves = core !== null && (station === 'resident' || core.attendant !== undefined);
    if (core && !serves) note('the core has no attendant booth: its window shows out of service');
    windows[station] = openKioskWindow({
      create: (options) => new BrowserWindow(options),
      preload: opts.preload,
      station,
      url: serves ? APP_URL : OUT_OF_SERVICE_URL,
      crash_policy: opts.crash_policy,
      onNote: note,
    });
  }
  const send = (station: Station, channel: string, view: unknown) => {
    const target = windows[station];
    if (target && !target.isDestroyed()) target.webContents.send(channel, view);
  };
  if (windows.resident) core?.subscribe((view) => send('resident', CHANNELS.view, view));
  if (windows.attendant) core?.attendant?.subscribe((view) => send('attendant', CHANNELS.attendantView, view));

  // A window closes only when the app quits (the service stopping it), never from a key or the page.
  let quitting = false;
  app.on('before-quit', () => {
    quitting = true;
  });
  for (const w of Object.values(windows)) {
    w.on('close', (event) => {
      if (!quitting) event.preventDefault();
    });
  }
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
  return { window: windows[stations[0]!]!, windows, core };
}

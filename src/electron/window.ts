import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { STATION_ARG_PREFIX, type Station } from '../shared/bridge';
import { APP_URL, OUT_OF_SERVICE_URL } from './protocol';

// A kiosk window (one per station): full screen, kiosk mode, an isolated and sandboxed
// renderer with only the preload's bridge. A renderer that dies is reloaded;
// one that keeps dying (a crash loop) is replaced by a static out-of-service
// page so the screen says something true instead of flickering forever.

/** The station goes to the preload as a launch argument of the renderer (it reads process.argv; nothing else crosses). */
export function kioskWindowOptions(preload: string, station: Station = 'resident'): BrowserWindowConstructorOptions {
  return {
    kiosk: true,
    fullscreen: true,
    frame: false,
    autoHideMenuBar: true,
    backgroundColor: '#1d3557',
    show: false,
    webPreferences: {
      preload,
      additionalArguments: [`${STATION_ARG_PREFIX}${station}`],
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: false,
      safeDialogs: true,
    },
  };
}

export interface CrashPolicy {
  /** Crashes within `window_ms` that are still answered with a reload. */
  max_reloads: number;
  window_ms: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = { max_reloads: 3, window_ms: 60_000 };

/** Counts renderer crashes in a sliding window: reload until there are too many, then out of service. */
export class CrashGuard {
  private crashes: number[] = [];

  constructor(
    private readonly policy: CrashPolicy = DEFAULT_CRASH_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** What to do about the crash that just happened. */
  crashed(): 'reload' | 'out_of_service' {
    const t = this.now();
    this.crashes = [...this.crashes.filter((at) => t - at < this.policy.window_ms), t];
    return this.crashes.length <= this.policy.max_reloads ? 'reload' : 'out_of_service';
  }
}

export interface KioskWindowDeps {
  /** `new BrowserWindow(options)` (injected so the same code runs under test). */
  create(options: BrowserWindowConstructorOptions): BrowserWindow;
  preload: string;
  /** Which station the window shows (default resident). */
  station?: Station;
  /** The first page: the app, or the out-of-service page when the core could not start. */
  url?: string;
  crash_policy?: CrashPolicy;
  now?: () => number;
  onNote?: (line: string) => void;
}

export function openKioskWindow(deps: KioskWindowDeps): BrowserWindow {
  const win = deps.create(kioskWindowOptions(deps.preload, deps.station));
  const guard = new CrashGuard(deps.crash_policy, deps.now);
  win.removeMenu();
  win.once('ready-to-show', () => win.show());
  win.webContents.on('render-process-gone', (_event, details) => {
    const next = guard.crashed();
    deps.onNote?.(`renderer gone (${details.reason}, exit ${details.exitCode}): ${next === 'reload' ? 'reloading' : 'too many crashes, showing out of service'}`);
    void (next === 'reload' ? win.loadURL(APP_URL) : win.loadURL(OUT_OF_SERVICE_URL)).catch(() => undefined);
  });
  void win.loadURL(deps.url ?? APP_URL).catch(() => undefined);
  return win;
}

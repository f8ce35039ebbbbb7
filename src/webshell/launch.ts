import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Where `civicard start` shows the UI: the Electron shell when its binary is
// installed, otherwise a browser on the web shell — Debian's Chromium in kiosk
// mode when there is one and a display to put it on, otherwise just the URL.

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The Electron binary's path when the electron package has its binary (npm may skip the download), else null. */
export function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null; // "Electron failed to install correctly": no binary
  }
}

export type UiChoice = { kind: 'electron'; binary: string } | { kind: 'chromium'; binary: string } | { kind: 'print'; reason: string };

export function chooseUi(env: { ui: 'auto' | 'electron' | 'web'; open: boolean; electron: string | null; chromium: string | null; display: boolean }): UiChoice {
  if (env.ui === 'electron' && !env.electron) throw new Error('the Electron binary is not installed (npm skipped its download): use --ui web');
  if (env.ui !== 'web' && env.electron) return { kind: 'electron', binary: env.electron };
  if (!env.open) return { kind: 'print', reason: 'not opening a browser (--no-open)' };
  if (!env.chromium) return { kind: 'print', reason: 'Chromium is not installed (apt-get install chromium)' };
  if (!env.display) return { kind: 'print', reason: 'no display (DISPLAY or WAYLAND_DISPLAY is not set)' };
  return { kind: 'chromium', binary: env.chromium };
}

export function hasDisplay(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** The arguments for one kiosk-mode window on `url`, in a profile of its own that is thrown away after. */
export function chromiumArgs(url: string, profile: string, opts: { root: boolean }): string[] {
  return [
    '--kiosk',
    `--app=${url}`,
    `--user-data-dir=${profile}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-features=Translate',
    // Chromium's sandbox refuses to run as root; the setup script runs as root on a fresh machine
    ...(opts.root ? ['--no-sandbox'] : []),
  ];
}

export interface OpenedBrowser {
  readonly child: ChildProcess;
  close(): Promise<void>;
}

export function openChromium(binary: string, url: string): OpenedBrowser {
  const profile = mkdtempSync(join(tmpdir(), 'civicard-chromium-'));
  const child = spawn(binary, chromiumArgs(url, profile, { root: process.getuid?.() === 0 }), { stdio: 'ignore' });
  child.on('error', () => {}); // reported by its exit; the kiosk keeps running without it
  return {
    child,
    close: () =>
      new Promise((resolve) => {
        const done = () => {
          rmSync(profile, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}

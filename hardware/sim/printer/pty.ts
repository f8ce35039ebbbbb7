// The virtual receipt printer on a pseudo-terminal pair, so the real driver
// opens a path and talks serialport to it exactly as to a printer:
//
//   socat -d -d pty,raw,echo=0,link=<dir>/printer pty,raw,echo=0,link=<dir>/sim
//
// The driver opens <dir>/printer; the simulator holds <dir>/sim and runs a
// PrinterSimCore on it (decodes ESC/POS, answers DLE EOT and GS r from its
// settable state, records receipts). Each receipt is also written to `outDir`
// as receipt-NNN.txt and receipt-NNN.svg for a person to look at.
//
// stop() signals exactly the socat this module started, by its pid.

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SerialPort } from 'serialport';
import { PrinterSimCore, type CoverState, type PaperState, type SimPrinterState, type SimReceipt } from './core';
import { renderSvg, renderText } from './render';

export const SOCAT_INSTALL_HINT = 'apt-get install -y socat';
const READY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 3_000;

export interface PrinterSimOptions {
  /** Where the two pty links go. Default: a new temporary directory, removed by stop(). */
  readonly dir?: string;
  /** Where receipt pictures go; null: none. Default: <dir>/receipts. */
  readonly outDir?: string | null;
  /** Paper width in characters, for the pictures. Default 42. */
  readonly columns?: number;
}

export interface PrinterSim {
  /** The printer's device path: give this to the driver. */
  readonly path: string;
  /** The simulator's end of the pair. */
  readonly simPath: string;
  readonly dir: string;
  readonly outDir: string | null;
  /** pid of the socat this simulator started. */
  readonly pid: number;
  readonly receipts: readonly SimReceipt[];
  /** Total bytes received from the driver. */
  readonly bytesReceived: number;
  getState(): SimPrinterState;
  setPaper(paper: PaperState): void;
  setCover(cover: CoverState): void;
  setOffline(offline: boolean): void;
  /** Off: nothing is printed or answered (the driver sees "printer not answering"). */
  setPowered(powered: boolean): void;
  /** Paper runs out (or the cover opens) after the next receipt's first line; the rest of that job is lost. */
  failDuringNextReceipt(what: 'paper_out' | 'cover_open'): void;
  /** Resolves once `count` receipts in all have been recorded. */
  waitForReceipts(count: number, timeout_ms?: number): Promise<readonly SimReceipt[]>;
  /** Files written for receipt `index` (1-based), when outDir is set. */
  filesFor(index: number): { txt: string; svg: string } | null;
  stop(): Promise<void>;
}

/** The socat executable on PATH, or an Error that says how to install it. */
export function findSocat(): string {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, 'socat');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`the printer simulator needs socat, which is not installed; install it with: ${SOCAT_INSTALL_HINT}`);
}

export async function startPrinterSim(options: PrinterSimOptions = {}): Promise<PrinterSim> {
  const socat = findSocat();
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'civicard-printer-'));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'printer');
  const simPath = join(dir, 'sim');
  for (const p of [path, simPath]) if (existsSync(p)) rmSync(p);
  const outDir = options.outDir === null ? null : (options.outDir ?? join(dir, 'receipts'));
  if (outDir) mkdirSync(outDir, { recursive: true });

  const child = spawn(socat, ['-d', '-d', `pty,raw,echo=0,link=${path}`, `pty,raw,echo=0,link=${simPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedEarly = false;
  child.once('exit', () => (exitedEarly = true));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const killOurs = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(t);
  };

  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(existsSync(path) && existsSync(simPath))) {
      const failed = await Promise.race([spawnError, new Promise<null>((r) => setTimeout(() => r(null), 25))]);
      if (failed) throw new Error(`could not start socat (${failed.message}); install it with: ${SOCAT_INSTALL_HINT}`);
      if (exitedEarly) throw new Error(`socat exited before creating the ptys: ${log.trim()}`);
      if (Date.now() > deadline) throw new Error(`socat did not create ${path} and ${simPath} within ${READY_TIMEOUT_MS} ms: ${log.trim()}`);
    }
  } catch (e) {
    await killOurs();
    throw e;
  }

  let port: SerialPort;
  try {
    port = await new Promise<SerialPort>((resolve, reject) => {
      const p = new SerialPort({ path: simPath, baudRate: 9600, autoOpen: false });
      p.open((e) => (e ? reject(e) : resolve(p)));
    });
  } catch (e) {
    await killOurs();
    throw new Error(`could not open the simulator end ${simPath}: ${(e as Error).message}`, { cause: e });
  }
  port.on('error', () => undefined); // socat going away ends the simulator; stop() cleans up

  const columns = options.columns ?? 42;
  const files = new Map<number, { txt: string; svg: string }>();
  const waiters = new Set<() => void>();
  const core = new PrinterSimCore({
    respond: (bytes) => {
      if (port.isOpen) port.write(Buffer.from(bytes));
    },
    onReceipt: (r) => {
      if (outDir) {
        const base = join(outDir, `receipt-${String(r.index).padStart(3, '0')}`);
        writeFileSync(`${base}.txt`, renderText(r, columns));
        writeFileSync(`${base}.svg`, renderSvg(r, columns));
        files.set(r.index, { txt: `${base}.txt`, svg: `${base}.svg` });
      }
      for (const w of waiters) w();
    },
  });
  port.on('data', (chunk: Buffer) => core.receive(chunk));

  let stopped = false;
  const sim: PrinterSim = {
    path,
    simPath,
    dir,
    outDir,
    pid: child.pid!,
    get receipts() {
      return core.receipts;
    },
    get bytesReceived() {
      return core.bytesReceived;
    },
    getState: () => core.getState(),
    setPaper: (p) => core.setPaper(p),
    setCover: (c) => core.setCover(c),
    setOffline: (o) => core.setOffline(o),
    setPowered: (on) => core.setPowered(on),
    failDuringNextReceipt: (what) => core.failDuringNextReceipt(what),
    filesFor: (index) => files.get(index) ?? null,
    waitForReceipts(count, timeout_ms = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (core.receipts.length < count) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(core.receipts);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the simulated printer recorded ${core.receipts.length} receipts, not ${count}, within ${timeout_ms} ms (${core.bytesReceived} bytes received)`));
        }, timeout_ms);
        if (!check()) waiters.add(check);
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await killOurs();
      if (ownsDir && (outDir === null || !outDir.startsWith(dir))) rmSync(dir, { recursive: true, force: true });
      else for (const p of [path, simPath]) rmSync(p, { force: true });
    },
  };
  return sim;
}

// Starts and stops a real pcscd (for integration tests, the demo and the card
// benchmark), with the vsmartcard vpcd driver serving "Virtual PCD 00 00" on
// TCP 35963 and "Virtual PCD 00 01" on 35964. Tests import it through
import { canConnect } from './pcsclite-calls';
// test/support/pcscd.ts.
//
// Only the pcscd this module started is ever signalled, by its pid. When a pcscd
// is already answering on its socket (a developer's system service), it is reused
// and left alone: stop() does nothing and restart() refuses.
//
// Set CIVICARD_PCSCD_DEBUG=1 to run pcscd with --debug --apdu; its output is kept
// and shown in errors (and printed live when CIVICARD_PCSCD_DEBUG=print).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const PCSCD_PATH = '/usr/sbin/pcscd';
export const VPCD_DRIVER_PATH = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
export const VPCD_PORTS = [35963, 35964] as const;
export const VPCD_READER_NAMES = ['Virtual PCD 00 00', 'Virtual PCD 00 01'] as const;
/** pcsc-lite's client socket; PCSCLITE_CSOCK_NAME overrides it, as in libpcsclite. */
export const PCSCD_SOCKET_PATH = process.env.PCSCLITE_CSOCK_NAME ?? '/run/pcscd/pcscd.comm';

const INSTALL_HINT = 'install with: apt-get install -y pcscd vsmartcard-vpcd libpcsclite-dev';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_KEEP_CHARS = 16_000;
/**
 * vpcd binds its TCP ports without SO_REUSEADDR: right after a pcscd stops,
 * the ports can stay taken (the last connections' TIME_WAIT, 60 s on Linux).
 * A pcscd that finds them taken is stopped and started again until then.
 */
const PORT_TAKEN = 'Address already in use';
const PORT_TAKEN_WAIT_MS = 70_000;
const PORT_TAKEN_RETRY_MS = 500;

export interface PcscdHandle {
  /** pid of the pcscd we started; null when we reuse one we did not start. */
  readonly pid: number | null;
  /** True when this handle started pcscd and so may stop it. */
  readonly owned: boolean;
  /** Recent pcscd output (stdout and stderr), for failure messages. */
  output(): string;
  /** Stops the pcscd we started (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** stop() then start again; resolves when vpcd accepts connections again. */
  restart(): Promise<void>;
}

/** True when something accepts a connection at `target` within `timeout_ms`. */
/**
 * True when a TCP socket listens on `port`. Read from /proc/net/tcp rather than
 * by connecting: vpcd listens with a backlog of 0 and accepts only at pcscd's
 * next presence poll, so a probe connection would fill its accept queue, and the
 * card's own connection would then wait a whole SYN retransmit (1 s).
 */
export async function isTcpListening(port: number): Promise<boolean> {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let sawTable = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    sawTable = true;
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${portHex}`) && fields[3] === '0A') return true;
    }
  }
  return sawTable ? false : canConnect({ host: '127.0.0.1', port });
}

function checkInstalled(): void {
  const missing = [PCSCD_PATH, VPCD_DRIVER_PATH].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(`pcscd integration tests need ${missing.join(' and ')}, which are missing; ${INSTALL_HINT}`);
  }
}

async function waitUntil(what: string, probe: () => Promise<boolean>, deadline: number, describeFailure: () => string): Promise<void> {
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${READY_TIMEOUT_MS} ms. ${describeFailure()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

class OwnedPcscd implements PcscdHandle {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private log = '';
  readonly owned = true;

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    const deadline = Date.now() + PORT_TAKEN_WAIT_MS;
    for (;;) {
      try {
        return await this.startOnce();
      } catch (err) {
        if (!this.log.includes(PORT_TAKEN) || Date.now() > deadline) throw err;
        this.log = '';
        await new Promise((r) => setTimeout(r, PORT_TAKEN_RETRY_MS));
      }
    }
  }

  private async startOnce(): Promise<void> {
    const debug = process.env.CIVICARD_PCSCD_DEBUG;
    const args = ['--foreground', ...(debug ? ['--debug', '--apdu'] : [])];
    const child = spawn(PCSCD_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // If this process ends without stop() (a crashed test run), take our pcscd with it.
    const killOnExit = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (debug === 'print') process.stderr.write(text);
      this.log = (this.log + text).slice(-OUTPUT_KEEP_CHARS);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exitNote: string | null = null;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitNote = `pcscd exited (code ${code}, signal ${signal})`;
        resolve();
      });
      child.once('error', (err) => {
        exitNote = `pcscd could not be started: ${err.message}`;
        resolve();
      });
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    const failure = () => `${exitNote ?? `pcscd pid ${child.pid} is still running`}. pcscd output:\n${this.log || '(none)'}`;
    const alive = () => exitNote === null;
    try {
      await waitUntil(`pcscd socket ${PCSCD_SOCKET_PATH}`, async () => {
        if (!alive()) throw new Error(failure());
        return canConnect({ path: PCSCD_SOCKET_PATH });
      }, deadline, failure);
      await waitUntil(`vpcd listening on TCP ${VPCD_PORTS.join(' and ')}`, async () => {
        if (!alive() || this.log.includes(PORT_TAKEN)) throw new Error(failure());
        return (await Promise.all(VPCD_PORTS.map(isTcpListening))).every(Boolean);
      }, deadline, failure);
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

class BorrowedPcscd implements PcscdHandle {
  readonly pid = null;
  readonly owned = false;
  output(): string {
    return '(pcscd was already running and is not ours: see its own logs)';
  }
  async stop(): Promise<void> {}
  async restart(): Promise<void> {
    throw new Error('restart(): the running pcscd was not started by this test run, so it is left alone');
  }
}

/**
 * Ensures a pcscd with vpcd is serving. Starts one (and owns it) unless one
 * already answers on the pcscd socket, in which case that one is reused.
 */
export async function startPcscd(): Promise<PcscdHandle> {
  checkInstalled();
  if (await canConnect({ path: PCSCD_SOCKET_PATH })) {
    if (!(await isTcpListening(VPCD_PORTS[0]))) {
      throw new Error(
        `a pcscd not started by the tests is running (${PCSCD_SOCKET_PATH} answers) but vpcd does not listen on ` +
          `127.0.0.1:${VPCD_PORTS[0]}: stop it (systemctl stop pcscd.socket pcscd) or ${INSTALL_HINT} and restart it`,
      );
    }
    return new BorrowedPcscd();
  }
  const pcscd = new OwnedPcscd();
  await pcscd.start();
  return pcscd;
}

export { canConnect };

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaintenanceView } from '../../src/shared/maintenance-api';

// `civicard start --no-backoffice`: the kiosk and booth run, sell the bundled
// simulators, and sync to nothing — the maintenance view says offline, never
// synced, no error. (In-memory reader: no pcscd, no browser.)

const CLI = join(process.cwd(), 'bin/civicard.js');
let child: ChildProcess;
let stdout = '';
let kioskUrl = '';

beforeAll(async () => {
  child = spawn(process.execPath, [CLI, 'start', '--no-backoffice', '--no-pcscd', '--no-open', '--ui', 'web', '--port', '0', '--sim-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISPLAY: '' } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`civicard start did not get ready: ${stdout}`)), 60_000);
    const read = (d: Buffer) => {
      stdout += d.toString();
      const kiosk = /kiosk screen: +(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)\n/.exec(stdout);
      if (kiosk && stdout.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        kioskUrl = kiosk[1]!;
        resolve();
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`civicard start exited (${code}) before it was ready: ${stdout}`)));
  });
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
});

describe('civicard start --no-backoffice', () => {
  it('starts no back office, enrolls nothing and syncs nothing, selling the bundled simulators all the same', async () => {
    expect(stdout).not.toMatch(/back office at|enrolled/);
    expect(stdout).toMatch(/selling library fines \(ILS simulator/);
    const url = new URL(kioskUrl);
    const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
    const view = (await (await fetch(`${url.origin}/api/maintenance`, { headers: { authorization: `Bearer ${token}` } })).json()) as MaintenanceView;
    expect(view.sync).toMatchObject({ online: false, last_sync_at: null, last_error: null });
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/backoffice/auth/request-signing';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { testKiosk } from '../support/backoffice-fixtures';
import { CIVICARD_CLI as CLI, runCivicard } from '../support/civicard-cli';

// `civicard server` as a real process on a free loopback port, `civicard
// admin enroll` reading a real kiosk ledger file, and a signed batch posted
// with fetch: on an SQLite file and on a real PostgreSQL.

const civicard = (...args: string[]) => runCivicard(args);

/** Starts `civicard server` and resolves with its URL once it prints it. */
async function startServer(db: string): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, [CLI, 'server', '--db', db, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /^back office listening on (http:\/\/127\.0\.0\.1:\d+) \(store: /.exec(line);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`civicard server exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    proc,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

let pg: TestPostgres;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'civicard-bo-cli-'));
  pg = await startPostgres();
});
afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['sqlite', 'postgres'] as const)('civicard server and admin (%s)', (dialect) => {
  it('enrolls a kiosk from its ledger, accepts its signed batch, refuses it once revoked', async () => {
    const db = dialect === 'sqlite' ? `sqlite:${join(dir, 'backoffice.db')}` : await pg.createDatabase();
    const ledgerPath = join(dir, `kiosk-${dialect}.db`);
    const kiosk = testKiosk(undefined, undefined, ledgerPath);
    kiosk.pay(2);
    const rows = kiosk.rows();
    kiosk.ledger.close();

    const enrolled = await civicard('admin', 'enroll', '--db', db, '--ledger', ledgerPath, '--name', 'Central Library lobby');
    expect(enrolled.stderr).toBe('');
    expect(JSON.parse(enrolled.stdout)).toEqual({ kiosk_id: kiosk.kiosk_id, name: 'Central Library lobby', status: 'active' });

    const server = await startServer(db);
    try {
      const post = async () => {
        const body = JSON.stringify({ kiosk_id: kiosk.kiosk_id, entries: rows });
        const headers = signRequest({ method: 'POST', path: '/v1/sync/batch', body, key: kiosk.key.privateKey, kiosk_id: kiosk.kiosk_id });
        return fetch(`${server.url}/v1/sync/batch`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
      };
      const res = await post();
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ kiosk_id: kiosk.kiosk_id, received: 4, stored: 4, duplicates: 0, acknowledged_through_seq: 4 });
      const unsigned = await fetch(`${server.url}/v1/sync/status`);
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toMatchObject({ error: 'unsigned' });

      const listed = await civicard('admin', 'kiosks', '--db', db);
      expect(JSON.parse(listed.stdout)).toMatchObject({ kiosk_id: kiosk.kiosk_id, status: 'active', last_sync_at: expect.any(String) });
      const revoked = await civicard('admin', 'revoke', '--db', db, '--kiosk', kiosk.kiosk_id);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ status: 'revoked' });
      const refused = await post();
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'kiosk_not_enrolled' });
    } finally {
      await server.stop();
    }
    expect(server.proc.exitCode).toBe(0);
  });
});

it('civicard admin enroll names a missing ledger and exits 1', async () => {
  const res = await civicard('admin', 'enroll', '--db', `sqlite:${join(dir, 'refusals.db')}`, '--ledger', join(dir, 'nope.db'));
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/^civicard: no kiosk ledger at .*nope\.db$/m);
});

import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrollKiosk } from '../../src/backoffice/auth/enrollment';
import { kioskIdOf } from '../../src/backoffice/auth/request-signing';
import { openBackOfficeDb } from '../../src/backoffice/db/connect';
import { buildServer } from '../../src/backoffice/server';
import { KioskLedger } from '../../src/ledger';
import { appendPayments, tempLedger } from '../support/ledger-fixtures';
import { runCivicard } from '../support/civicard-cli';

const civicard = (...args: string[]) => runCivicard(args);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('civicard sync', () => {
  it('sends what the back office lacks, prints what was sent and acknowledged; once enrolled, exit 0', async () => {
    const { ledger, path, key } = tempLedger('kiosk');
    await appendPayments(ledger, 5);
    ledger.close();
    const store = await openBackOfficeDb('sqlite::memory:');
    const app = buildServer({ store });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const before = await civicard('sync', '--ledger', path, '--server', url);
      expect(before.code).toBe(2);
      expect(before.stderr).toContain(`the back office at ${url} cannot take the entries now: GET /v1/sync/status: kiosk_not_enrolled`);

      await enrollKiosk(store, { publicKeyPem: key.publicKeyPem, by: 'test' });
      const first = await civicard('sync', '--ledger', path, '--server', url);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual({ server: url, kiosk_id: kioskIdOf(key.publicKeyPem), sent: 20, stored: 20, duplicates: 0, batches: 1, acknowledged_through_seq: 20, last_seq: 20, pending: 0, contacted: true });
      const again = await civicard('sync', '--ledger', path, '--server', url);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ sent: 0, batches: 0, acknowledged_through_seq: 20, pending: 0, contacted: false });
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('a back office that does not answer: says so, exit 2, the outbox unchanged', async () => {
    const { ledger, path, dir, key } = tempLedger('kiosk');
    await appendPayments(ledger, 2);
    ledger.close();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await civicard('sync', '--ledger', path, '--server', url, '--key', join(dir, 'kiosk-key.pem'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the back office at ${url} did not answer: GET /v1/sync/status: fetch failed`);
    expect(JSON.parse(r.stdout)).toMatchObject({ server: url, sent: 0, acknowledged_through_seq: 0, last_seq: 8, pending: 8 });
    const reopened = KioskLedger.open(path, key);
    expect(reopened.pendingCount()).toBe(8);
    reopened.close();
  });

  it('refuses a ledger that is not there, and makes none', async () => {
    const { ledger, path } = tempLedger('kiosk');
    ledger.close();
    expect(await civicard('sync', '--ledger', `${path}.missing`, '--server', 'http://127.0.0.1:1')).toMatchObject({ code: 1, stderr: expect.stringContaining(`no ledger at ${path}.missing`) });
    expect(existsSync(`${path}.missing`)).toBe(false);
  });
});

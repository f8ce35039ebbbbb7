import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollKiosk } from '../../src/backoffice/auth/enrollment';
import { openBackOfficeDb } from '../../src/backoffice/db/connect';
import { KyselyDownlinkRepository } from '../../src/backoffice/downlink/kysely-repository';
import { changeHotlist, publishBundle } from '../../src/backoffice/downlink/publish';
import { createBackOfficeKey } from '../../src/backoffice/downlink/signing-key';
import { fetchDownlink } from '../../src/downlink';
import { startSimKiosk } from '../../src/kiosk/demo/sim-kiosk';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { loadKioskConfig } from '../../src/kiosk/config/kiosk-config';
import { openKioskDownlink } from '../../src/kiosk/runtime/downlink-store';
import { testKiosk } from '../support/backoffice-fixtures';
import { CIVICARD_CLI as CLI, runCivicard } from '../support/civicard-cli';

// The downlink end to end over loopback: `civicard admin` makes the back-office
// key, publishes a bundle and hotlists a card; `civicard server --key` answers;
// a kiosk directory configured with the printed public key fetches, verifies
// and applies both, and refuses what another key signed.

const REF = '5e'.repeat(16);

const civicard = (...args: string[]) => runCivicard(args);

async function startServer(db: string, keyFile: string) {
  const proc = spawn(process.execPath, [CLI, 'server', '--db', db, '--port', '0', '--key', keyFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const printed: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      printed.push(line);
      const m = /^back office listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(line);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`civicard server exited (${code}) before listening: ${stderr}`)));
  });
  return {
    url,
    printed,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    },
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'civicard-downlink-it-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('downlink: kiosk and back office over loopback', () => {
  it('publishes, serves, applies; then refuses answers signed by another key and keeps the last good', async () => {
    const db = `sqlite:${join(dir, 'backoffice.db')}`;
    const keyFile = join(dir, 'backoffice-key.pem');
    const made = await civicard('admin', 'backoffice-key', '--out', keyFile);
    expect(made.stderr).toBe('');
    const { backoffice_public_key } = JSON.parse(made.stdout) as { backoffice_public_key: string };

    const ledgerPath = join(dir, 'kiosk.db');
    const kiosk = testKiosk(undefined, undefined, ledgerPath);
    kiosk.ledger.close();
    expect((await civicard('admin', 'enroll', '--db', db, '--ledger', ledgerPath)).code).toBe(0);

    const contentsFile = join(dir, 'contents.json');
    const tariffs = JSON.parse(readFileSync('test/fixtures/tariffs/chicago-downtown.json', 'utf8'));
    writeFileSync(contentsFile, JSON.stringify({ tariffs, offline_limits: { offline_tx_max_minor: 300 }, ils_profile: 'evergreen' }));
    const published = await civicard('admin', 'publish-bundle', '--db', db, '--key', keyFile, '--file', contentsFile);
    expect(JSON.parse(published.stdout)).toMatchObject({ version: 1, parts: ['ils_profile', 'offline_limits', 'tariffs'] });
    expect(JSON.parse((await civicard('admin', 'hotlist', 'add', '--db', db, '--card-ref', REF)).stdout)).toEqual({ version: 1, action: 'add', card_ref: REF });

    // The kiosk's directory: its config names the back office's key, as printed.
    const configPath = join(dir, 'kiosk-config.json');
    writeFileSync(configPath, JSON.stringify({ format: 'civicard-kiosk-config/1', kiosk_id: 'K-1', terminal_id: 1, card_ref_key: 'ab'.repeat(32), backoffice_public_key }), { mode: 0o600 });
    const store = openKioskDownlink(dir, loadKioskConfig(configPath))!;
    const client = { key: kiosk.key.privateKey, kiosk_id: kiosk.kiosk_id, store };

    const server = await startServer(db, keyFile);
    try {
      expect(server.printed[0]).toBe(`kiosk configs take: ${JSON.stringify({ backoffice_public_key })}`);
      expect(await fetchDownlink({ serverUrl: server.url, ...client })).toEqual({ bundle: { status: 'applied', version: 1 }, hotlist: { status: 'applied', version: 1 } });
      expect(store.riskPolicy().offline_tx_max_minor).toBe(300);
      expect(store.tariffs()?.time_zone).toBe('America/Chicago');
      expect(store.ilsProfile()).toBe('evergreen');
      expect(store.isHotlisted(REF)).toBe(true);
      expect(store.hotlistAgeMs()).toBeLessThan(60_000);
      expect(await fetchDownlink({ serverUrl: server.url, ...client })).toEqual({ bundle: { status: 'current' }, hotlist: { status: 'current' } });
    } finally {
      await server.stop();
    }

    // A back office answering with another key (a stolen address, a wrong install) is refused.
    await civicard('admin', 'hotlist', 'remove', '--db', db, '--card-ref', REF);
    const impostor = await startServer(db, join(dir, 'other-key.pem'));
    try {
      const report = await fetchDownlink({ serverUrl: impostor.url, ...client });
      expect(report.hotlist).toMatchObject({ status: 'refused', code: 'bad_signature' });
      expect(store.isHotlisted(REF)).toBe(true);
      expect(store.hotlistVersion).toBe(1);
    } finally {
      await impostor.stop();
    }
  });

  it('a simulated kiosk started with --server fetches in the background and runs on what it applied', async () => {
    const db = `sqlite:${join(dir, 'backoffice-bg.db')}`;
    const keyFile = join(dir, 'backoffice-bg-key.pem');
    const backOffice = createBackOfficeKey(keyFile);
    const kioskDir = join(dir, 'sim-kiosk');
    mkdirSync(kioskDir);
    const kioskKey = loadOrCreateKioskKey(join(kioskDir, 'kiosk-key.pem'));
    const store = await openBackOfficeDb(db);
    try {
      await enrollKiosk(store, { publicKeyPem: kioskKey.publicKeyPem, name: 'sim', by: 'test' });
      const repo = KyselyDownlinkRepository.on(store.db);
      await publishBundle(repo, backOffice.privateKey, { offline_limits: { daily_card_max_minor: 4_200 } });
      await changeHotlist(repo, 'add', REF);
    } finally {
      await store.close();
    }
    writeFileSync(
      join(kioskDir, 'kiosk-config.json'),
      JSON.stringify({ format: 'civicard-kiosk-config/1', kiosk_id: 'K-2', terminal_id: 2, card_ref_key: 'cd'.repeat(32), plate_key: 'ef'.repeat(32), backoffice_public_key: backOffice.publicKeyPem }),
      { mode: 0o600 },
    );
    const server = await startServer(db, keyFile);
    const kiosk = await startSimKiosk({ dir: kioskDir, pcscd: false, sync: { serverUrl: server.url } });
    try {
      const downlink = kiosk.downlink!;
      for (let waited = 0; downlink.hotlistVersion === 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      expect([downlink.bundleVersion, downlink.hotlistVersion]).toEqual([1, 1]);
      expect(downlink.riskPolicy().daily_card_max_minor).toBe(4_200);
      expect(downlink.isHotlisted(REF)).toBe(true);
    } finally {
      await kiosk.stop();
      await server.stop();
    }
  });
});

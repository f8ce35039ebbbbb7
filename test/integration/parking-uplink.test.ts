import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollKiosk } from '../../src/backoffice/auth/enrollment';
import { openBackOfficeDb, type BackOfficeStore } from '../../src/backoffice/db/connect';
import { lookupPlate } from '../../src/backoffice/parking/lookup';
import { buildServer } from '../../src/backoffice/server';
import { loadCitationsFile, loadTariffsFile } from '../../src/kiosk/config/service-config';
import { residentVisit } from '../../src/kiosk/demo/resident-visit';
import { startSimKiosk, type SimKiosk } from '../../src/kiosk/demo/sim-kiosk';
import { loadOrCreateKioskKey } from '../../src/ledger';
import { readPlateKeyFile, writePlateKeyFile } from '../../src/shared/plate-key-file';
import { loadOrCreateKioskConfig } from '../../src/kiosk/config/kiosk-config';
import { plateHash } from '../../src/shared/plates';
import { startPostgres, type TestPostgres } from '../support/postgres';

// Parking by plate on the real kiosk runtime (simulated card and printer, the
// ledger on disk, its background sync) against the real back-office server
// over loopback, on SQLite and on PostgreSQL: the plate waits in the kiosk's
// own file while the back office is down, travels only as its keyed hash
// under the city's plate key, and leaves the kiosk once the back office holds
// the session. Enforcement then finds it with the same key.

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');
const TARIFFS = join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json');
const CITATIONS = join(process.cwd(), 'test/fixtures/citations/downtown.json');
const WED_10 = new Date('2025-07-09T15:00:00Z'); // Wednesday 10:00 in Chicago: metered
const PLATES = ['ABC123', 'ABC-123'];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

/** Every row of every table, as text: what the store holds, whichever store it is. */
async function everyRow(store: BackOfficeStore): Promise<string> {
  const tables = (await store.db.introspection.getTables()).map((t) => t.name);
  const rows = await Promise.all(tables.map((t) => sql`select * from ${sql.table(t)}`.execute(store.db)));
  return JSON.stringify(rows.map((r) => r.rows));
}

describe.each(['sqlite', 'postgres'] as const)('parking sessions reach the back office as keyed hashes (%s)', (dialect) => {
  let pg: TestPostgres | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'civicard-parking-uplink-'));
    if (dialect === 'postgres') pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the plate waits in the kiosk file while the server is down, travels only as its HMAC, and is purged once delivered; enforcement finds it with the city key', async () => {
    const dbFile = join(dir, 'backoffice.db');
    const url = dialect === 'sqlite' ? `sqlite:${dbFile}` : await pg!.createDatabase();
    const keyFile = join(dir, 'plate-key.json');
    const made = JSON.parse((await run(process.execPath, [CLI, 'keys', 'plate-key', '--out', keyFile])).stdout) as { key_id: string };
    const { plate_key, key_id } = readPlateKeyFile(keyFile);
    expect(made.key_id).toBe(key_id);
    const kioskDir = join(dir, 'kiosk');
    mkdirSync(kioskDir);
    const kioskKey = loadOrCreateKioskKey(join(kioskDir, 'kiosk-key.pem'));
    const store = await openBackOfficeDb(url);
    await enrollKiosk(store, { publicKeyPem: kioskKey.publicKeyPem, name: 'Lobby', by: 'test' });

    const port = await freePort();
    let kiosk: SimKiosk | undefined;
    let app: FastifyInstance | undefined;
    const bodies: string[] = [];
    try {
      kiosk = await startSimKiosk({
        dir: kioskDir,
        pcscd: false,
        services: { tariffs: loadTariffsFile(TARIFFS, 'USD'), citations: loadCitationsFile(CITATIONS, 'USD') },
        now: () => WED_10,
        plate_key,
        sync: { serverUrl: `http://127.0.0.1:${port}` }, // nothing listens there yet
      });
      const { card } = await kiosk.issueCard('A', 20_000);
      const parked = await residentVisit(kiosk.actor, kiosk.counter.hand(card), { kind: 'parking', reference: 'plate:101/ABC-123', choose: () => ['m60'] });
      expect(parked).toMatchObject({ paid: true, amount_minor: 300 });
      const cited = await residentVisit(kiosk.actor, kiosk.counter.hand(card), { kind: 'citation', reference: '4000123002' });
      expect(cited).toMatchObject({ paid: true, amount_minor: 4_500 });
      const [session] = kiosk.parking_sessions!.all();
      const sessionsFile = join(kioskDir, 'parking-sessions.json');

      // The back office is down: the plate stays in the kiosk's own file.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(readFileSync(sessionsFile, 'utf8')).toContain('ABC123');
      expect(kiosk.parking_sessions!.outboundSessions()).toHaveLength(1);

      app = buildServer({ store });
      app.addHook('preValidation', async (req) => {
        if (req.body !== undefined) bodies.push(JSON.stringify(req.body));
      });
      await app.listen({ port, host: '127.0.0.1' });
      await expect.poll(() => kiosk!.parking_sessions!.outboundSessions().length, { timeout: 20_000, interval: 200 }).toBe(0);

      // Delivered: the plate is gone from the kiosk; the session is found by its hash still.
      expect(readFileSync(sessionsFile, 'utf8')).not.toContain('ABC123');
      expect(kiosk.parking_sessions!.get(session!.session_id)).toMatchObject({ plate: null, delivered: true, state: 'paid' });
      const held = await sql<{ session_id: string; plate_hash: string; zone: string }>`select session_id, plate_hash, zone from parking_sessions`.execute(store.db);
      expect(held.rows).toEqual([{ session_id: session!.session_id, plate_hash: plateHash(plate_key, 'ABC123'), zone: session!.zone }]);
      // The money's side names the same session: the intent's service_ref.
      await expect.poll(async () => (await store.db.selectFrom('entries').select('service_ref').where('kind', '=', 'intent').where('service', '=', 'parking').execute()).map((r) => r.service_ref), { timeout: 10_000 }).toEqual([session!.session_id]);
      await expect.poll(async () => (await sql<{ citation_number: string }>`select citation_number from paid_citations`.execute(store.db)).rows, { timeout: 10_000 }).toEqual([{ citation_number: '4000123002' }]);

      // No plate in any request body, nor anywhere in the store (for SQLite, in the file's bytes).
      expect(bodies.some((b) => b.includes('plate_hash'))).toBe(true);
      for (const plate of PLATES) {
        expect(bodies.filter((b) => b.includes(plate))).toEqual([]);
        expect(await everyRow(store)).not.toContain(plate);
      }
      expect(await lookupPlate(store, { plate_key, plate: 'abc 123', zone: session!.zone, at: new Date('2025-07-09T15:30:00Z') })).toMatchObject({ paid: true, other_key_sessions: 0 });
      expect(await lookupPlate(store, { plate_key, plate: 'ABC123', zone: session!.zone, at: new Date('2025-07-09T16:00:00Z') })).toMatchObject({ paid: false });
    } finally {
      await kiosk?.stop();
      await app?.close();
      await store.close();
    }

    if (dialect === 'sqlite') {
      const bytes = Buffer.concat([dbFile, `${dbFile}-wal`].filter(existsSync).map((p) => readFileSync(p)));
      for (const plate of PLATES) expect(bytes.includes(Buffer.from(plate))).toBe(false);
      // The same answer from the staff's command, and retention from theirs.
      const looked = await run(process.execPath, [CLI, 'admin', 'plate-lookup', '--db', url, '--plate-key', keyFile, '--plate', 'ABC-123', '--at', '2025-07-09T10:30:00-05:00']);
      expect(JSON.parse(looked.stdout)).toMatchObject({ paid: true, sessions: [{ end: '2025-07-09T11:00:00-05:00' }] });
      // The server purges at start what is past retention (the session ended in 2025); the staff command then finds nothing left.
      const server = spawn(process.execPath, [CLI, 'server', '--db', url, '--port', '0', '--parking-retention-days', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await expect.poll(() => stderr, { timeout: 15_000 }).toMatch(/parking retention \(30 days\): 1 sessions purged/);
      } finally {
        server.kill('SIGTERM');
        await once(server, 'exit');
      }
      const purged = await run(process.execPath, [CLI, 'admin', 'purge-parking', '--db', url, '--older-than-days', '30']);
      expect(JSON.parse(purged.stdout)).toEqual({ purged: 0, evidence_purged: 0 });
    }
  }, 90_000);
});

it('a kiosk whose config holds another plate key is refused at start, naming both key ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-plate-key-cli-'));
  try {
    const mine = writePlateKeyFile(join(dir, 'mine.json'));
    const city = writePlateKeyFile(join(dir, 'city.json'));
    mkdirSync(join(dir, 'kiosk'));
    loadOrCreateKioskConfig(join(dir, 'kiosk', 'kiosk-config.json'), { kiosk_id: 'K-1', terminal_id: 1 }, { plate_key: mine.plate_key });
    const started = await run(process.execPath, [CLI, 'kiosk', '--sim', '--no-pcscd', '--dir', join(dir, 'kiosk'), '--port', '0', '--sim-port', '0', '--plate-key', join(dir, 'city.json')]).catch((e: { code: number; stderr: string }) => e);
    expect(started).toMatchObject({ code: 1, stderr: expect.stringContaining(mine.key_id) });
    expect((started as { stderr: string }).stderr).toContain(city.key_id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

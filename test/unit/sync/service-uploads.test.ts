import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { openBackOfficeDb, type BackOfficeStore } from '../../../src/backoffice/db/connect';
import { buildServer } from '../../../src/backoffice/server';
import { startKioskSync } from '../../../src/sync/background';
import { SyncUnreachableError, type SyncReport } from '../../../src/sync/client';
import { ParkingRecords } from '../../../src/backoffice/parking/records';
import { uploadServiceRecords, type OutboundSession, type ServiceUploadSources } from '../../../src/sync/service-uploads';
import { newKioskKey, testKiosk } from '../../support/backoffice-fixtures';
import { kioskIdOf } from '../../../src/backoffice/auth/request-signing';

// The uploader against the real server (SQLite in memory, loopback HTTP); the
// kiosk's stores are stand-ins that record what they were told.

const key = newKioskKey();
const kiosk_id = kioskIdOf(key.publicKeyPem);
let store: BackOfficeStore;
let app: FastifyInstance;
let serverUrl: string;

beforeEach(async () => {
  store = await openBackOfficeDb('sqlite::memory:');
  await enrollKiosk(store, { publicKeyPem: key.publicKeyPem, name: 'Lobby', by: 'test' });
  app = buildServer({ store });
  serverUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => {
  await app.close();
  await store.close();
});

function session(over: Partial<OutboundSession> = {}): OutboundSession {
  return { session_id: `pk:${randomUUID()}`, zone: '101', space: null, plate_hash: 'ab'.repeat(32), stay_start: '2025-07-09T10:00:00-05:00', start: '2025-07-09T10:00:00-05:00', end: '2025-07-09T11:00:00-05:00', status: 'paid', ...over };
}

function sources(outbound: OutboundSession[]) {
  const delivered: string[] = [];
  const src: ServiceUploadSources = {
    parking: { outboundSessions: () => outbound.filter((s) => !delivered.includes(s.session_id)), markDelivered: (sent) => delivered.push(...sent.map((s) => s.session_id)), plate_key_id: '0123456789abcdef' },
  };
  return { src, delivered };
}

it('marks delivered what the server accepted, in chunks', async () => {
  const all = Array.from({ length: 450 }, () => session());
  const { src, delivered } = sources(all);
  expect(await uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: src })).toEqual({ sessions_delivered: 450, citations_delivered: 0 });
  expect(delivered).toHaveLength(450);
  expect(await uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: src })).toEqual({ sessions_delivered: 0, citations_delivered: 0 });
});

it('a conflict is a refusal: nothing of that request is marked delivered (the plates stay on the kiosk), staff must look', async () => {
  const a = session();
  await uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: sources([a]).src });
  const { src, delivered } = sources([session(), { ...a, end: '2025-07-09T12:00:00-05:00' }]);
  const report = await uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: src });
  expect(report.refused).toMatchObject({ status: 409, error: 'session_conflict' });
  expect(delivered).toEqual([]);
});

it('a server down, or one without the route, is unreachable (tried again later), never a refusal', async () => {
  const { src, delivered } = sources([session()]);
  await app.close();
  await expect(uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: src })).rejects.toBeInstanceOf(SyncUnreachableError);
  const notFound = async () => new Response(JSON.stringify({ error: 'not_found', message: 'no such route' }), { status: 404 });
  await expect(uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: src, fetch: notFound })).rejects.toThrow(/does not take it yet/);
  expect(delivered).toEqual([]);
});

it('in the background: a refused upload stops that upload until restart (no evidence piled up each run), while the ledger keeps flowing', async () => {
  const kiosk = testKiosk(key);
  const a = session();
  await uploadServiceRecords({ serverUrl, kiosk_id, key: key.privateKey, sources: sources([a]).src });
  const { src, delivered } = sources([{ ...a, end: '2025-07-09T12:00:00-05:00' }]);
  const reports: SyncReport[] = [];
  const sync = startKioskSync({ ledger: kiosk.ledger, key, serverUrl, uploads: src, intervalMs: 50, debounceMs: 0, onStatus: (s) => s.last_report && reports.push(s.last_report) });
  try {
    kiosk.pay(1);
    await expect.poll(() => kiosk.ledger.pendingCount(), { timeout: 5_000 }).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // several runs
    kiosk.pay(1);
    await expect.poll(() => kiosk.ledger.pendingCount(), { timeout: 5_000 }).toBe(0);
    expect(sync.sync.status().phase).not.toBe('refused');
    expect(reports.at(-1)?.uploads?.refused).toMatchObject({ error: 'session_conflict' });
    expect(delivered).toEqual([]);
    expect(await new ParkingRecords(store.db).evidence()).toHaveLength(1);
  } finally {
    await sync.stop();
    kiosk.ledger.close();
  }
}, 15_000);

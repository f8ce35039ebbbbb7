import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { signRequest } from '../../../src/backoffice/auth/request-signing';
import { ParkingRecords } from '../../../src/backoffice/parking/records';
import { lookupPlate, purgeParking } from '../../../src/backoffice/parking/lookup';
import { buildServer } from '../../../src/backoffice/server';
import { plateHash, plateKeyId } from '../../../src/shared/plates';
import { forEachStore } from '../../support/backoffice-stores';
import { testKiosk, type TestKiosk } from '../../support/backoffice-fixtures';

// POST /v1/parking/sessions and /v1/citations/paid (docs/sync-protocol.md) on
// the real server and both stores; the enforcement lookup and the retention
// purge on what they stored.

const T0 = Date.parse('2025-07-09T15:30:00.000Z');
const PLATE_KEY = Buffer.alloc(32, 7);
const KEY_ID = plateKeyId(PLATE_KEY);
const hashOf = (plate: string) => plateHash(PLATE_KEY, plate);

function session(over: Record<string, unknown> = {}) {
  return {
    session_id: `pk:${randomUUID()}`,
    zone: '101',
    space: null,
    plate_hash: hashOf('ABC123'),
    stay_start: '2025-07-09T10:00:00-05:00',
    start: '2025-07-09T10:00:00-05:00',
    end: '2025-07-09T11:00:00-05:00',
    status: 'paid',
    ...over,
  };
}

forEachStore('parking and citation uploads', (t) => {
  let app: FastifyInstance;
  let kiosk: TestKiosk;
  beforeEach(async () => {
    kiosk = testKiosk();
    await enrollKiosk(t.store, { publicKeyPem: kiosk.key.publicKeyPem, name: 'Lobby', by: 'test' });
    app = buildServer({ store: t.store, now: () => T0 });
  });
  afterEach(async () => {
    await app.close();
    kiosk.ledger.close();
  });

  function post(path: string, body: unknown, who: TestKiosk = kiosk) {
    const text = JSON.stringify(body);
    const headers = { ...signRequest({ method: 'POST', path, body: text, key: who.key.privateKey, kiosk_id: who.kiosk_id, now: T0 }), 'content-type': 'application/json' };
    return app.inject({ method: 'POST', url: path, headers, payload: text });
  }
  const sessions = (list: unknown[], over: Record<string, unknown> = {}) => post('/v1/parking/sessions', { kiosk_id: kiosk.kiosk_id, plate_key_id: KEY_ID, sessions: list, ...over });

  it('stores sessions once: the same again is accepted and changes nothing; a cancellation of a paid one is taken', async () => {
    const a = session();
    const b = session({ plate_hash: null, space: '12' });
    const first = await sessions([a, b]);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ accepted_ids: [a.session_id, b.session_id], stored: 2, duplicates: 0, updated: 0 });
    expect((await sessions([a, b])).json()).toEqual({ accepted_ids: [a.session_id, b.session_id], stored: 0, duplicates: 2, updated: 0 });
    expect((await sessions([{ ...a, status: 'cancelled' }])).json()).toEqual({ accepted_ids: [a.session_id], stored: 0, duplicates: 0, updated: 1 });
    const rows = await new ParkingRecords(t.store.db).sessions();
    expect(rows.map((r) => [r.session_id, r.status, r.kiosk_id, r.plate_key_id])).toEqual(
      expect.arrayContaining([
        [a.session_id, 'cancelled', kiosk.kiosk_id, KEY_ID],
        [b.session_id, 'paid', kiosk.kiosk_id, KEY_ID],
      ]),
    );
    expect(rows.find((r) => r.session_id === a.session_id)).toMatchObject({ start_ms: Date.parse(a.start), end_ms: Date.parse(a.end), received_at: new Date(T0).toISOString() });
  });

  it('refuses a different session under a known id (409, kept as evidence, nothing of that request stored), and a cancelled one paid again', async () => {
    const a = session();
    await sessions([a]);
    const fresh = session();
    const res = await sessions([fresh, { ...a, end: '2025-07-09T12:00:00-05:00' }]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'session_conflict', session_ids: [a.session_id], message: expect.any(String) });
    const records = new ParkingRecords(t.store.db);
    expect((await records.sessions()).map((r) => r.session_id)).toEqual([a.session_id]);
    const evidence = await records.evidence();
    expect(evidence).toEqual([expect.objectContaining({ kiosk_id: kiosk.kiosk_id, kind: 'parking_session', record_id: a.session_id, reason: expect.stringContaining('end') })]);
    expect(JSON.parse(evidence[0]!.offered)).toMatchObject({ end: '2025-07-09T12:00:00-05:00' });

    await sessions([{ ...a, status: 'cancelled' }]);
    expect((await sessions([a])).statusCode).toBe(409);
    // Another kiosk offering the same id is a conflict too.
    const other = testKiosk();
    await enrollKiosk(t.store, { publicKeyPem: other.key.publicKeyPem, name: 'Other', by: 'test' });
    const stolen = await post('/v1/parking/sessions', { kiosk_id: other.kiosk_id, plate_key_id: KEY_ID, sessions: [{ ...a, status: 'cancelled' }] }, other);
    expect(stolen.statusCode).toBe(409);
    other.ledger.close();
  });

  it.each([
    ['a plate in the clear', { plate: 'ABC123' }, 'plate'],
    ['a plate hash that is not 64 hex digits', { plate_hash: 'ABC123' }, 'plate_hash'],
    ['a time without offset', { end: '2025-07-09T11:00:00' }, 'end'],
    ['an end before the start', { end: '2025-07-09T09:00:00-05:00' }, 'end'],
    ['a zone with markup', { zone: '<b>101</b>' }, 'zone'],
    ['a space too long', { space: 'x'.repeat(40) }, 'space'],
    ['a session id that is not pk:<uuid>', { session_id: 'pk:1' }, 'session_id'],
    ['an unknown status', { status: 'quoted' }, 'status'],
    ['neither plate hash nor space', { plate_hash: null, space: null }, 'plate_hash'],
  ])('refuses a session with %s (400, naming the field; nothing stored)', async (_name, over, field) => {
    const res = await sessions([session(), session(over)]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining(`sessions[1].${field}`) });
    expect(await new ParkingRecords(t.store.db).sessions()).toEqual([]);
  });

  it('refuses a request naming another kiosk, without a plate key id, or with too many sessions', async () => {
    expect((await sessions([session()], { kiosk_id: 'someone-else' })).statusCode).toBe(403);
    expect((await sessions([session()], { plate_key_id: undefined })).json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining('plate_key_id') });
    expect((await sessions(Array.from({ length: 501 }, () => session()))).statusCode).toBe(400);
    const unsigned = await app.inject({ method: 'POST', url: '/v1/parking/sessions', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ kiosk_id: kiosk.kiosk_id, sessions: [] }) });
    expect(unsigned.statusCode).toBe(401);
  });

  it('paid citations: stored once by tx id; the same tx for another number is a conflict; a second payment of one citation is stored and raised as an exception', async () => {
    const tx1 = '0190e000-0000-7000-8000-000000000001';
    const tx2 = '0190e000-0000-7000-8000-000000000002';
    const paid = (list: unknown[]) => post('/v1/citations/paid', { kiosk_id: kiosk.kiosk_id, paid: list });
    expect((await paid([{ citation_number: '4000123002', tx_id: tx1 }])).json()).toEqual({ accepted_numbers: ['4000123002'], stored: 1, duplicates: 0 });
    expect((await paid([{ citation_number: '4000123002', tx_id: tx1 }])).json()).toEqual({ accepted_numbers: ['4000123002'], stored: 0, duplicates: 1 });
    const conflict = await paid([{ citation_number: '4000123010', tx_id: tx1 }]);
    expect([conflict.statusCode, conflict.json().error]).toEqual([409, 'citation_conflict']);
    expect((await paid([{ citation_number: '4000123002', tx_id: tx2 }])).json()).toMatchObject({ stored: 1 });
    const raised = await t.store.db.selectFrom('exceptions').selectAll().where('kind', '=', 'citation_paid_twice').execute();
    expect(raised).toEqual([expect.objectContaining({ severity: 'warning', kiosk_id: kiosk.kiosk_id, tx_id: tx2, explanation: expect.stringContaining('4000123002') })]);
    expect((await paid([{ citation_number: '4000123003', tx_id: tx2 }])).json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining('paid[0].citation_number') });
    expect((await paid([{ citation_number: '4000123002', tx_id: 'nope' }])).json()).toMatchObject({ error: 'bad_request', message: expect.stringContaining('paid[0].tx_id') });
  });

  it('the enforcement lookup finds a paid plate in its zone while it runs: not after expiry, not another plate, not a cancelled session', async () => {
    await sessions([
      session(),
      session({ plate_hash: hashOf('XYZ999'), zone: '102', start: '2025-07-09T10:00:00-05:00', end: '2025-07-09T10:30:00-05:00' }),
      session({ plate_hash: hashOf('CANC01'), status: 'cancelled' }),
    ]);
    const at = (iso: string, plate: string, zone?: string) => lookupPlate(t.store, { plate_key: PLATE_KEY, plate, at: new Date(iso), ...(zone ? { zone } : {}) });
    expect(await at('2025-07-09T10:30:00-05:00', 'abc-123', '101')).toEqual({
      at: '2025-07-09T15:30:00.000Z',
      paid: true,
      sessions: [{ zone: '101', space: null, start: '2025-07-09T10:00:00-05:00', end: '2025-07-09T11:00:00-05:00' }],
      other_key_sessions: 0,
    });
    expect(await at('2025-07-09T11:00:00-05:00', 'ABC123', '101')).toMatchObject({ paid: false, sessions: [] }); // the end is exclusive
    expect(await at('2025-07-09T10:30:00-05:00', 'ABC123', '102')).toMatchObject({ paid: false });
    expect(await at('2025-07-09T10:30:00-05:00', 'ABC124')).toMatchObject({ paid: false });
    expect(await at('2025-07-09T10:15:00-05:00', 'XYZ999')).toMatchObject({ paid: true, sessions: [{ zone: '102' }] });
    expect(await at('2025-07-09T10:30:00-05:00', 'CANC01')).toMatchObject({ paid: false });
    // Sessions hashed under another key cannot match: the lookup says there were some.
    await sessions([session({ plate_hash: plateHash(Buffer.alloc(32, 9), 'ABC123') })], { plate_key_id: plateKeyId(Buffer.alloc(32, 9)) });
    expect(await at('2025-07-09T10:30:00-05:00', 'ABC123', '101')).toMatchObject({ paid: true, other_key_sessions: 1 });
  });

  it('purges sessions that ended more than N days ago, and keeps the rest', async () => {
    const old = session({ stay_start: '2025-06-01T10:00:00-05:00', start: '2025-06-01T10:00:00-05:00', end: '2025-06-01T11:00:00-05:00' });
    const recent = session();
    await sessions([old, recent]);
    expect(await purgeParking(t.store, { older_than_days: 30, now: new Date(T0) })).toEqual({ purged: 1, evidence_purged: 0 });
    expect((await new ParkingRecords(t.store.db).sessions()).map((r) => r.session_id)).toEqual([recent.session_id]);
    expect(await purgeParking(t.store, { older_than_days: 30, now: new Date(T0) })).toEqual({ purged: 0, evidence_purged: 0 });
    await expect(purgeParking(t.store, { older_than_days: 0, now: new Date(T0) })).rejects.toThrow(/days/);
  });
});

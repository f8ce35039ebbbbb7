import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { signRequest } from '../../../src/backoffice/auth/request-signing';
import { KyselyDownlinkRepository } from '../../../src/backoffice/downlink/kysely-repository';
import { changeHotlist, publishBundle } from '../../../src/backoffice/downlink/publish';
import { buildServer } from '../../../src/backoffice/server';
import { verifyBundle, verifyHotlistDelta } from '../../../src/downlink';
import { forEachStore } from '../../support/backoffice-stores';
import { newKioskKey, testKiosk, type TestKiosk } from '../../support/backoffice-fixtures';

// GET /v1/config/bundle and /v1/hotlist on the real server and both stores:
// only an enrolled kiosk's signed request is answered, with signed documents.

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const backOffice = generateKeyPairSync('ed25519');
const REF_A = 'a'.repeat(32);

forEachStore('downlink routes', (t) => {
  let app: FastifyInstance;
  let kiosk: TestKiosk;
  beforeEach(async () => {
    kiosk = testKiosk();
    await enrollKiosk(t.store, { publicKeyPem: kiosk.key.publicKeyPem, name: 'Lobby', by: 'test' });
    app = buildServer({ store: t.store, now: () => T0, downlink: { key: backOffice.privateKey } });
  });
  afterEach(async () => {
    await app.close();
    kiosk.ledger.close();
  });

  const get = (path: string, key = kiosk.key.privateKey) => app.inject({ method: 'GET', url: path, headers: signRequest({ method: 'GET', path, key, kiosk_id: kiosk.kiosk_id, now: T0 }) });

  it('answers the newest bundle to a kiosk behind it, and null to one that holds it', async () => {
    const repo = KyselyDownlinkRepository.on(t.store.db);
    await publishBundle(repo, backOffice.privateKey, { offline_limits: { offline_tx_max_minor: 2_500 } });
    const res = await get('/v1/config/bundle?after=0');
    expect(res.statusCode).toBe(200);
    expect(verifyBundle(res.json().bundle, backOffice.publicKey, 0).version).toBe(1);
    expect((await get('/v1/config/bundle?after=1')).json()).toEqual({ bundle: null });
  });

  it('answers a signed hotlist delta from the kiosk version, signed at the server time', async () => {
    await changeHotlist(KyselyDownlinkRepository.on(t.store.db), 'add', REF_A);
    const res = await get('/v1/hotlist?after=0');
    expect(res.statusCode).toBe(200);
    expect(verifyHotlistDelta(res.json().delta, backOffice.publicKey, 0)).toMatchObject({ to_version: 1, add: [REF_A], issued_at: new Date(T0).toISOString() });
    const ahead = await get('/v1/hotlist?after=9');
    expect([ahead.statusCode, ahead.json().error]).toEqual([409, 'hotlist_ahead']);
  });

  it('refuses unsigned, unenrolled or malformed requests', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/hotlist?after=0' })).json().error).toBe('unsigned');
    expect((await get('/v1/hotlist?after=0', newKioskKey().privateKey)).json().error).toBe('bad_signature');
    const bad = await get('/v1/config/bundle?after=-1');
    expect([bad.statusCode, bad.json().error]).toEqual([400, 'bad_request']);
  });
});

it('a server started without the back-office key has no downlink routes', async () => {
  const { openBackOfficeDb } = await import('../../../src/backoffice/db/connect');
  const store = await openBackOfficeDb('sqlite::memory:');
  const app = buildServer({ store });
  expect((await app.inject({ method: 'GET', url: '/v1/hotlist?after=0' })).statusCode).toBe(404);
  await app.close();
  await store.close();
});

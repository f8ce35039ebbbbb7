import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { enrollKiosk, revokeKiosk } from '../../../src/backoffice/auth/enrollment';
import { kioskIdOf, signRequest } from '../../../src/backoffice/auth/request-signing';
import { reportLostCard } from '../../../src/backoffice/lost-card/replacements';
import { buildServer, type ServerLimits } from '../../../src/backoffice/server';
import { forEachStore } from '../../support/backoffice-stores';
import { newKioskKey, testKiosk, type TestKiosk } from '../../support/backoffice-fixtures';

// The HTTP contract of docs/sync-protocol.md, through Fastify's inject (no
// sockets), against both stores.

const T0 = Date.parse('2025-03-04T10:00:00.000Z');

forEachStore('back-office server', (t) => {
  let clock: number;
  let app: FastifyInstance;
  let kiosk: TestKiosk;
  const lines: string[] = [];

  async function start(limits: Partial<ServerLimits> = {}) {
    await app?.close();
    app = buildServer({ store: t.store, now: () => clock, limits, log: (l) => lines.push(l) });
  }

  beforeEach(async () => {
    clock = T0;
    lines.length = 0;
    kiosk = testKiosk();
    kiosk.pay(3);
    await enrollKiosk(t.store, { publicKeyPem: kiosk.key.publicKeyPem, name: 'Lobby', by: 'test' });
    await start();
  });
  afterEach(async () => {
    await app.close();
  });

  function send(method: 'GET' | 'POST', path: string, body?: unknown, sign: Partial<Parameters<typeof signRequest>[0]> | false = {}) {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = text === undefined ? {} : { 'content-type': 'application/json' };
    if (sign !== false) Object.assign(headers, signRequest({ method, path, body: text, key: kiosk.key.privateKey, kiosk_id: kiosk.kiosk_id, now: clock, ...sign }));
    return app.inject({ method, url: path, headers, ...(text === undefined ? {} : { payload: text }) });
  }
  const batch = (entries = kiosk.rows()) => ({ kiosk_id: kiosk.kiosk_id, entries });

  it('accepts a signed batch and answers what it stored; status then tells a kiosk where to resume', async () => {
    const res = await send('POST', '/v1/sync/batch', batch());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ kiosk_id: kiosk.kiosk_id, received: 6, stored: 6, duplicates: 0, acknowledged_through_seq: 6 });
    const status = await send('GET', '/v1/sync/status');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({ kiosk_id: kiosk.kiosk_id, acknowledged_through_seq: 6, last_hash: kiosk.rows()[5]!.hash });
  });

  it('answers a replacement authorisation by its code to an enrolled kiosk: pending once, refused when used or unknown', async () => {
    await send('POST', '/v1/sync/batch', batch());
    const card_ref = (JSON.parse(kiosk.rows().find((r) => r.kind === 'intent')!.payload) as { card_ref: string }).card_ref;
    const lost = await reportLostCard(t.store, { card_ref, now: new Date('2100-01-01T00:00:00.000Z') });
    const typed = lost.code.toLowerCase().replace('-', ' ');
    const ok = await send('GET', `/v1/replacements/${encodeURIComponent(typed)}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ id: lost.id, code: lost.code, old_card_ref: card_ref, amount_minor: lost.amount_minor, status: 'pending' });
    expect(lines.join('\n')).not.toContain(lost.code);
    expect((await send('GET', '/v1/replacements/ABCD-EFGH')).json()).toMatchObject({ error: 'unknown_code' });
    expect((await send('GET', '/v1/replacements/nope')).statusCode).toBe(400);
    expect((await send('GET', `/v1/replacements/${lost.code}`, undefined, false)).statusCode).toBe(401);
    await t.store.db.updateTable('replacement_credits').set({ status: 'used', used_tx_id: 'x', used_by_kiosk: kiosk.kiosk_id }).execute();
    const used = await send('GET', `/v1/replacements/${lost.code}`);
    expect(used.statusCode).toBe(409);
    expect(used.json()).toMatchObject({ error: 'replacement_used', message: expect.stringMatching(/already used/) });
  });

  it('answers /healthz unsigned', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.json()).toEqual({ status: 'ok', store: t.dialect });
  });

  it.each([
    ['no signature headers', { headers: 'none' }, 401, 'unsigned'],
    ['a malformed nonce', { nonce: 'short' }, 401, 'unsigned'],
    ['a signature by another key', { key: newKioskKey().privateKey }, 401, 'bad_signature'],
    ['a timestamp 6 minutes old', { now: T0 - 6 * 60_000 }, 401, 'stale_timestamp'],
    ['a timestamp 6 minutes ahead', { now: T0 + 6 * 60_000 }, 401, 'stale_timestamp'],
  ] as const)('refuses a request with %s', async (_name, variant, status, code) => {
    let res;
    if ('headers' in variant) res = await send('GET', '/v1/sync/status', undefined, false);
    else if ('nonce' in variant) {
      const headers = signRequest({ method: 'GET', path: '/v1/sync/status', key: kiosk.key.privateKey, kiosk_id: kiosk.kiosk_id, now: clock });
      res = await app.inject({ method: 'GET', url: '/v1/sync/status', headers: { ...headers, 'x-civicard-nonce': variant.nonce } });
    } else res = await send('GET', '/v1/sync/status', undefined, variant);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ error: code, message: expect.any(String) });
  });

  it('refuses a signed request whose body was changed on the way', async () => {
    const text = JSON.stringify(batch());
    const headers = signRequest({ method: 'POST', path: '/v1/sync/batch', body: text, key: kiosk.key.privateKey, kiosk_id: kiosk.kiosk_id, now: clock });
    const res = await app.inject({ method: 'POST', url: '/v1/sync/batch', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(batch(kiosk.rows(1, 2))) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('bad_signature');
  });

  it('refuses a replayed request (same nonce), even a minute later', async () => {
    const nonce = 'ab'.repeat(16);
    expect((await send('GET', '/v1/sync/status', undefined, { nonce })).statusCode).toBe(200);
    clock += 60_000;
    const again = await send('GET', '/v1/sync/status', undefined, { nonce });
    expect(again.statusCode).toBe(401);
    expect(again.json()).toMatchObject({ error: 'replayed' });
  });

  it('refuses a kiosk that is not enrolled, and one that was revoked', async () => {
    const stranger = testKiosk();
    const res = await send('GET', '/v1/sync/status', undefined, { key: stranger.key.privateKey, kiosk_id: kioskIdOf(stranger.key.publicKeyPem) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'kiosk_not_enrolled', message: expect.stringMatching(/not enrolled: run civicard admin enroll/) });
    await revokeKiosk(t.store, kiosk.kiosk_id);
    const revoked = await send('GET', '/v1/sync/status');
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json()).toMatchObject({ error: 'kiosk_not_enrolled', message: expect.stringMatching(/revoked/) });
  });

  it("refuses one kiosk sending another's ledger (wrong_kiosk)", async () => {
    const other = testKiosk();
    await enrollKiosk(t.store, { publicKeyPem: other.key.publicKeyPem, by: 'test' });
    const res = await send('POST', '/v1/sync/batch', { kiosk_id: other.kiosk_id, entries: kiosk.rows() });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'wrong_kiosk' });
    expect(await t.store.db.selectFrom('entries').select('seq').execute()).toEqual([]);
  });

  it('refuses a body over the limit with 413 before reading it', async () => {
    await start({ bodyBytes: 1_024 });
    const res = await send('POST', '/v1/sync/batch', batch());
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'body_too_large' });
  });

  it('refuses a kiosk over its rate with 429 and retry-after, and lets it in again later', async () => {
    await start({ requestsPerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await send('GET', '/v1/sync/status')).statusCode).toBe(200);
    const over = await send('GET', '/v1/sync/status');
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({ error: 'rate_limited' });
    expect(Number(over.headers['retry-after'])).toBe(20);
    clock += 20_000;
    expect((await send('GET', '/v1/sync/status')).statusCode).toBe(200);
  });

  it("does not let unsigned requests naming a kiosk use up that kiosk's allowance", async () => {
    await start({ requestsPerMinute: 2 });
    for (let i = 0; i < 5; i++) {
      const forged = await app.inject({ method: 'GET', url: '/v1/sync/status', headers: { 'x-civicard-kiosk': kiosk.kiosk_id, 'x-civicard-timestamp': String(clock), 'x-civicard-nonce': 'cd'.repeat(16), 'x-civicard-signature': 'AAAA' } });
      expect(forged.statusCode).toBe(401);
    }
    expect((await send('GET', '/v1/sync/status')).statusCode).toBe(200);
  });

  it('answers verification failures, conflicts and gaps with their codes and fields', async () => {
    const rows = kiosk.rows();
    const tampered = rows.map((r) => ({ ...r }));
    tampered[2]!.payload = tampered[2]!.payload.replace('350', '351');
    const bad = await send('POST', '/v1/sync/batch', batch(tampered));
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toEqual({ error: 'verification_failed', first_bad_seq: 3, reason: 'hash does not match the entry', message: expect.any(String) });

    const gap = await send('POST', '/v1/sync/batch', batch(kiosk.rows(3, 6)));
    expect(gap.statusCode).toBe(409);
    expect(gap.json()).toMatchObject({ error: 'gap', expected_seq: 1 });

    expect((await send('POST', '/v1/sync/batch', batch())).statusCode).toBe(200);
    const fork = testKiosk(kiosk.key, '0190e0ff');
    fork.pay(1);
    const conflict = await send('POST', '/v1/sync/batch', batch(fork.rows()));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: 'conflict', seq: 1 });
  });

  it('answers malformed requests with JSON errors', async () => {
    const notJson = await send('POST', '/v1/sync/batch', '{"kiosk_id":');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: 'bad_request' });
    const missing = await app.inject({ method: 'GET', url: '/v2/nothing?card=1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not_found', message: 'no such route: GET /v2/nothing' });
  });

  it('logs method, route, status and kiosk, never a body or card ref', async () => {
    await send('POST', '/v1/sync/batch', batch());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^POST /v1/sync/batch 200 kiosk=${kiosk.kiosk_id} \\d+ms$`));
    expect(lines.join('\n')).not.toContain('c0ffee00');
  });
});

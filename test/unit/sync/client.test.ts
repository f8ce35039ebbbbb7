import { createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kioskIdOf } from '../../../src/backoffice/auth/request-signing';
import { syncOnce, SyncUnreachableError, type SyncOptions } from '../../../src/sync/client';
import { appendPayments } from '../../support/ledger-fixtures';
import { memoryLedger, testKey } from '../ledger/helpers';
import { FakeBackOffice } from './fake-back-office';

// The sync client against a scripted back office (fake-back-office.ts): what it
// sends, when it marks the outbox, and how it ends when the server will not take
// the entries. The real server and a hostile network are in
// test/integration/sync-chaos.test.ts.

const URL_ = 'http://back-office.test:8443';

async function setup(payments = 10) {
  const ledger = memoryLedger();
  const key = testKey();
  const last = await appendPayments(ledger, payments);
  const server = new FakeBackOffice(key.publicKeyPem, kioskIdOf(key.publicKeyPem));
  const opts = (over: Partial<SyncOptions> = {}): SyncOptions => ({ ledger, key, serverUrl: URL_, fetch: server.fetch as typeof fetch, batchSize: 16, timeoutMs: 200, ...over });
  return { ledger, key, server, last, opts };
}

describe('syncOnce', () => {
  it('uploads the outbox in signed batches, rows exactly as stored, and marks it acknowledged', async () => {
    const { ledger, server, last, opts } = await setup(10);
    expect(last).toBe(40); // four entries a payment
    const report = await syncOnce(opts());
    expect(report).toMatchObject({ sent: 40, stored: 40, duplicates: 0, batches: 3, acknowledged_through_seq: 40, last_seq: 40, pending: 0 });
    expect(report.refused).toBeUndefined();
    expect(server.held).toEqual(ledger.rowsSince(0, 1_000));
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.firstSeq ?? ''}:${r.entries ?? ''}`)).toEqual(['GET /v1/sync/status :', 'POST /v1/sync/batch 1:16', 'POST /v1/sync/batch 17:16', 'POST /v1/sync/batch 33:8']);
    expect(ledger.pendingCount()).toBe(0);
  });

  it('tells the back office, inside the signed batch, how much it still holds and since when', async () => {
    const { ledger, opts } = await setup(10);
    const bodies: { outbox?: unknown }[] = [];
    const real = opts().fetch!;
    const capture = (async (url: URL, init: RequestInit) => {
      if (typeof init?.body === 'string' && init.body) bodies.push(JSON.parse(init.body) as { outbox?: unknown });
      return real(url, init);
    }) as unknown as typeof fetch;
    const oldest = ledger.rowsSince(0, 1)[0]!.at;
    await syncOnce(opts({ fetch: capture }));
    expect(bodies[0]!.outbox).toEqual({ unsynced: 40, oldest_at: oldest });
    expect(bodies[1]!.outbox).toEqual({ unsynced: 24, oldest_at: ledger.rowsSince(16, 1)[0]!.at });
  });

  it('signs with the string the doc gives, verifiable with the kiosk public key', async () => {
    const { key, opts } = await setup(1);
    const seen: { url: string; init: RequestInit }[] = [];
    const capture = (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), init });
      return new Response(JSON.stringify({ error: 'conflict', message: 'x' }), { status: 409 });
    }) as unknown as typeof fetch;
    await syncOnce(opts({ fetch: capture, now: () => 1_767_000_000_123 }));
    const h = new Headers(seen[0]!.init.headers);
    expect(h.get('x-civicard-kiosk')).toBe(createHash('sha256').update(key.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 32));
    expect(h.get('x-civicard-timestamp')).toBe('1767000000123');
    expect(h.get('x-civicard-nonce')).toMatch(/^[0-9a-f]{32}$/);
    const text = `civicard-request-v1\nGET\n/v1/sync/status\n1767000000123\n${h.get('x-civicard-nonce')}\n${createHash('sha256').update('').digest('hex')}`;
    expect(verify(null, Buffer.from(text), key.publicKey, Buffer.from(h.get('x-civicard-signature')!, 'base64'))).toBe(true);
  });

  it('with nothing pending asks nobody', async () => {
    const { server, opts } = await setup(2);
    await syncOnce(opts());
    const before = server.requests.length;
    expect(await syncOnce(opts())).toMatchObject({ sent: 0, batches: 0, pending: 0, acknowledged_through_seq: 8 });
    expect(server.requests.length).toBe(before);
  });

  it('marks nothing when the answer is lost after the server stored, and resumes from the server’s word', async () => {
    const { ledger, server, opts } = await setup(10);
    server.script.push('normal', 'normal', 'store_then_fail');
    await expect(syncOnce(opts())).rejects.toThrow(SyncUnreachableError);
    expect(server.held).toHaveLength(32);
    expect(ledger.pendingCount()).toBe(24); // only the first batch's 200 arrived
    const report = await syncOnce(opts());
    expect(report).toMatchObject({ sent: 8, stored: 8, duplicates: 0, batches: 1, pending: 0, acknowledged_through_seq: 40 });
  });

  it('a server that is down changes nothing and says so', async () => {
    const { ledger, server, opts } = await setup(3);
    server.script.push('fail');
    await expect(syncOnce(opts())).rejects.toThrow(/GET \/v1\/sync\/status: fetch failed \(connect ECONNREFUSED\)/);
    expect(ledger.pendingCount()).toBe(12);
  });

  it('gives up on a request with no answer within the timeout', async () => {
    const { ledger, server, opts } = await setup(3);
    server.script.push('normal', 'hang');
    const started = Date.now();
    await expect(syncOnce(opts({ timeoutMs: 100 }))).rejects.toThrow(/POST \/v1\/sync\/batch: no answer within 100 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(ledger.pendingCount()).toBe(12);
  });

  it('stops at a conflict and reports it, without retrying the refused batch', async () => {
    const { ledger, server, opts } = await setup(10);
    server.script.push('normal', 'normal', { status: 409, body: { error: 'conflict', message: 'entry 17 differs from the one held' } });
    const report = await syncOnce(opts());
    expect(report.refused).toEqual({ status: 409, error: 'conflict', message: 'entry 17 differs from the one held' });
    expect(report).toMatchObject({ sent: 16, acknowledged_through_seq: 16, pending: 24 });
    expect(server.requests).toHaveLength(3);
    expect(ledger.pendingCount()).toBe(24);
  });

  it('reports a batch that failed verification with its first bad seq', async () => {
    const { server, opts } = await setup(2);
    server.script.push('normal', { status: 422, body: { error: 'verification_failed', message: 'bad signature', first_bad_seq: 3, reason: 'signature' } });
    expect((await syncOnce(opts())).refused).toMatchObject({ status: 422, error: 'verification_failed', first_bad_seq: 3 });
  });

  it('on a gap asks the server where it stands and sends from there', async () => {
    const { server, opts } = await setup(4);
    server.script.push('normal', { status: 409, body: { error: 'gap', message: 'expected 1', expected_seq: 1 } });
    const report = await syncOnce(opts());
    expect(report).toMatchObject({ sent: 16, pending: 0 });
    expect(server.requests.map((r) => r.method + (r.firstSeq ?? ''))).toEqual(['GET', 'POST1', 'GET', 'POST1']);
  });

  it('sends again what the server lost, even though the kiosk had marked it acknowledged', async () => {
    const { ledger, server, opts } = await setup(4);
    await syncOnce(opts());
    server.held.splice(5); // the back office was restored from an older copy
    await appendPayments(ledger, 1, { first: 5 });
    const report = await syncOnce(opts());
    expect(report).toMatchObject({ sent: 15, stored: 15, pending: 0, acknowledged_through_seq: 20 });
    expect(server.held).toEqual(ledger.rowsSince(0, 1_000));
  });

  it('refuses to go on when the server holds more than this ledger, or another chain', async () => {
    const { ledger, server, opts } = await setup(2);
    await syncOnce(opts());
    await appendPayments(ledger, 1, { first: 3 });
    for (let seq = 9; seq <= 13; seq += 1) server.held.push({ ...server.held[0]!, seq }); // 13 held, 12 here
    expect((await syncOnce(opts())).refused).toMatchObject({ error: 'server_ahead' });
    server.held.splice(8);
    server.held[7] = { ...server.held[7]!, hash: 'f'.repeat(64) };
    expect((await syncOnce(opts())).refused).toMatchObject({ error: 'chain_mismatch' });
    expect(ledger.pendingCount()).toBe(4);
  });

  it('treats a rate limit as unreachable for now, with the server’s retry-after', async () => {
    const { opts } = await setup(1);
    const limited = (async () => new Response(JSON.stringify({ error: 'rate_limited', message: 'slow down' }), { status: 429, headers: { 'retry-after': '7' } })) as unknown as typeof fetch;
    const e = await syncOnce(opts({ fetch: limited })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SyncUnreachableError);
    expect((e as SyncUnreachableError).retryAfterMs).toBe(7_000);
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchDownlink, signBundle } from '../../../src/downlink';
import { DownlinkStore } from '../../../src/kiosk/runtime/downlink-store';

// The client never throws: an unreachable back office, a garbled or refused
// answer, a forged bundle each end as a line in the report, the store as it was.
// (The real server is in test/integration/downlink.test.ts.)

const backOffice = generateKeyPairSync('ed25519');
const kiosk = generateKeyPairSync('ed25519');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function store() {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-downlink-client-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return DownlinkStore.open({ dir, backoffice_public_key: backOffice.publicKey });
}

async function answering(handler: (path: string) => { status: number; body: string }): Promise<string> {
  const server: Server = createServer((req, res) => {
    const { status, body } = handler(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const opts = (serverUrl: string, s: DownlinkStore) => ({ serverUrl, key: kiosk.privateKey, kiosk_id: '0'.repeat(32), store: s, timeout_ms: 2_000 });

describe('fetchDownlink', () => {
  it('reports an unreachable back office and changes nothing', async () => {
    const url = await answering(() => ({ status: 200, body: '{}' }));
    await cleanups.pop()!(); // closed: nothing listens there any more
    const s = store();
    const report = await fetchDownlink(opts(url, s));
    expect(report.bundle.status).toBe('unreachable');
    expect(report.hotlist.status).toBe('unreachable');
    expect([s.bundleVersion, s.hotlistVersion]).toEqual([null, 0]);
  });

  it('reports a refusal with the server code, a garbled answer and a forged bundle', async () => {
    const forged = { ...signBundle({ format: 'civicard-bundle/1', version: 1, issued_at: '2026-12-01T10:00:00.000Z', contents: { ils_profile: 'koha' } }, kiosk.privateKey) };
    const url = await answering((path) =>
      path.startsWith('/v1/config/bundle') ? { status: 200, body: JSON.stringify({ bundle: forged }) } : { status: 401, body: JSON.stringify({ error: 'kiosk_not_enrolled', message: 'not enrolled' }) },
    );
    const s = store();
    expect(await fetchDownlink(opts(url, s))).toEqual({
      bundle: { status: 'refused', code: 'bad_signature', reason: 'bundle version 1: the signature does not verify with the back-office key' },
      hotlist: { status: 'refused', code: 'kiosk_not_enrolled', reason: `/v1/hotlist?after=0: 401 not enrolled` },
    });
    const garbled = await answering(() => ({ status: 200, body: '<html>' }));
    expect((await fetchDownlink(opts(garbled, s))).bundle).toMatchObject({ status: 'refused', code: 'wrong_format' });
    expect(s.bundleVersion).toBeNull();
  });
});

import { get, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorized, call, JSON_TYPE, startKioskUnderTest, type KioskUnderTest } from './support';

// Event streams hold a connection each: their number is capped so a stray page
// (or a loop in the UI) cannot take every socket the kiosk has.

const MAX_EVENT_CLIENTS = 8;
let k: KioskUnderTest;
const open: ClientRequest[] = [];

beforeAll(async () => {
  k = await startKioskUnderTest();
}, 30_000);

afterAll(async () => {
  for (const req of open) req.destroy();
  await k?.stop();
});

interface Stream {
  status: number;
  req: ClientRequest;
  /** Resolves with the next `data:` event. */
  next(): Promise<Record<string, unknown>>;
}

function stream(path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const waiting: ((event: Record<string, unknown>) => void)[] = [];
    const arrived: Record<string, unknown>[] = [];
    let buffered = '';
    const req = get(`${k.api.url}${path}`, { headers, agent: false }, (res) => {
      res.on('data', (d: Buffer) => {
        buffered += d.toString('utf8');
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!frame.startsWith('data: ')) continue;
          const event = JSON.parse(frame.slice(6)) as Record<string, unknown>;
          const w = waiting.shift();
          if (w) w(event);
          else arrived.push(event);
        }
      });
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, req, next: () => (arrived.length ? Promise.resolve(arrived.shift()!) : new Promise((r) => waiting.push(r))) });
    });
    req.on('error', reject);
    open.push(req);
  });
}

describe('GET /api/events', () => {
  it('streams the view on every change, a language change included, with the token in the query string or the Authorization header', async () => {
    const s = await stream(`/api/events?token=${k.api.token}`);
    expect(s.status).toBe(200);
    expect((await s.next()).screen).toBe('idle');
    await call(k.api.url, '/api/command', { headers: authorized(k.api.token, JSON_TYPE), body: JSON.stringify({ type: 'SET_LANGUAGE', language: 'es' }) });
    expect((await s.next()).language).toBe('es');
    s.req.destroy();
    const h = await stream('/api/events', authorized(k.api.token));
    expect(h.status).toBe(200);
    h.req.destroy();
  });

  it('refuses a stream without the token, or with a wrong one, with 401', async () => {
    expect((await stream('/api/events')).status).toBe(401);
    expect((await stream(`/api/events?token=${'A'.repeat(43)}`)).status).toBe(401);
  });

  it(`answers the ${MAX_EVENT_CLIENTS + 1}th concurrent stream with 503, and a closed stream frees its slot`, async () => {
    const streams: Stream[] = [];
    for (let i = 0; i < MAX_EVENT_CLIENTS; i++) {
      // streams closed by the tests before are released by the server asynchronously
      const s = await retryUntilOk(() => stream(`/api/events?token=${k.api.token}`));
      expect(s.status).toBe(200);
      await s.next();
      streams.push(s);
    }
    const refused = await call(k.api.url, `/api/events?token=${k.api.token}`);
    expect(refused.status).toBe(503);
    expect(String(refused.json.error)).toMatch(/event streams/);
    // refused and unauthenticated attempts take no slot
    expect((await stream('/api/events')).status).toBe(401);
    streams.pop()!.req.destroy();
    const again = await retryUntilOk(() => stream(`/api/events?token=${k.api.token}`));
    expect(again.status).toBe(200);
    expect((await call(k.api.url, `/api/events?token=${k.api.token}`)).status).toBe(503);
    for (const s of [...streams, again]) s.req.destroy();
  });
});

async function retryUntilOk(open_stream: () => Promise<Stream>): Promise<Stream> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const s = await open_stream();
    if (s.status === 200 || Date.now() > deadline) return s;
    s.req.destroy();
    await new Promise((r) => setTimeout(r, 20));
  }
}


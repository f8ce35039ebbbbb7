import { createHash, createPublicKey, verify } from 'node:crypto';
import { GENESIS_HASH, type EntryRow } from '../../../src/ledger';
import { checkEntryRow } from '../../../src/ledger/verify';

// A back office in one function, for the sync client's unit tests: it answers
// fetch() as docs/sync-protocol.md says (signature check on the doc's string to
// sign, chain check, idempotent replay, gap, conflict) over an in-memory store.
// The integration test runs the real server; this one lets a test script the
// awkward answers (store then lose the answer, hang, refuse).

export type Step = 'normal' | 'store_then_fail' | 'fail' | 'hang' | { status: number; body: object };

export class FakeBackOffice {
  readonly held: EntryRow[] = [];
  readonly requests: { method: string; path: string; entries?: number; firstSeq?: number }[] = [];
  /** Scripted answers, one per request, then `normal`. */
  readonly script: Step[] = [];
  private readonly nonces = new Set<string>();

  constructor(
    private readonly publicKeyPem: string,
    readonly kioskId: string,
  ) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? init.body : '';
    const parsed = body ? (JSON.parse(body) as { entries: EntryRow[] }) : null;
    this.requests.push({ method, path: url.pathname, entries: parsed?.entries.length, firstSeq: parsed?.entries[0]?.seq });
    const step = this.script.shift() ?? 'normal';
    if (step === 'fail') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    if (step === 'hang') {
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    }
    if (typeof step === 'object') return json(step.status, step.body);
    const answer = this.answer(method, url.pathname + url.search, new Headers(init?.headers), body, parsed);
    if (step === 'store_then_fail') throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    return answer;
  };

  private answer(method: string, path: string, h: Headers, body: string, parsed: { entries: EntryRow[] } | null): Response {
    const [kiosk, ts, nonce, sig] = ['x-civicard-kiosk', 'x-civicard-timestamp', 'x-civicard-nonce', 'x-civicard-signature'].map((n) => h.get(n));
    if (!kiosk || !ts || !nonce || !sig || !/^[0-9a-f]{32}$/.test(nonce)) return json(401, { error: 'unsigned', message: 'headers' });
    if (kiosk !== this.kioskId) return json(401, { error: 'kiosk_not_enrolled', message: 'unknown kiosk' });
    const toSign = ['civicard-request-v1', method, path, ts, nonce, createHash('sha256').update(body).digest('hex')].join('\n');
    if (!verify(null, Buffer.from(toSign), createPublicKey(this.publicKeyPem), Buffer.from(sig, 'base64'))) return json(401, { error: 'bad_signature', message: 'signature' });
    if (this.nonces.has(nonce)) return json(401, { error: 'replayed', message: 'nonce' });
    this.nonces.add(nonce);
    if (method === 'GET' && path === '/v1/sync/status') return json(200, { kiosk_id: this.kioskId, acknowledged_through_seq: this.held.length, last_hash: this.held.at(-1)?.hash ?? null });
    if (method !== 'POST' || path !== '/v1/sync/batch' || !parsed) return json(404, { error: 'not_found', message: path });
    const entries = parsed.entries;
    const first = entries[0]!.seq;
    if (first > this.held.length + 1) return json(409, { error: 'gap', message: 'gap', expected_seq: this.held.length + 1 });
    let prev = first === 1 ? GENESIS_HASH : this.held[first - 2]!.hash;
    for (const row of entries) {
      const bad = checkEntryRow(row, prev, createPublicKey(this.publicKeyPem));
      if (bad) return json(422, { error: 'verification_failed', message: bad, first_bad_seq: row.seq, reason: bad });
      prev = row.hash;
    }
    let stored = 0;
    for (const row of entries) {
      const mine = this.held[row.seq - 1];
      if (mine && mine.hash !== row.hash) return json(409, { error: 'conflict', message: `entry ${row.seq} differs` });
      if (!mine) {
        this.held.push(row);
        stored += 1;
      }
    }
    return json(200, { kiosk_id: this.kioskId, received: entries.length, stored, duplicates: entries.length - stored, acknowledged_through_seq: this.held.length });
  }
}

function json(status: number, body: object): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

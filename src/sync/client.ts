import type { EntryRow, KioskKey, KioskLedger } from '../ledger';
import { kioskIdOf, signRequest } from '../backoffice/auth/request-signing';

// One sync run (docs/sync-protocol.md): ask the server how far it holds this
// kiosk's chain, then upload the rest in signed batches, marking the outbox
// acknowledged only on the server's word (a 200 to a batch or to the status).
// The acknowledgement lives in the ledger, so a crash at any point costs at
// most a resend, which the server answers as duplicates.
//
// Two ways to end short of done:
// - SyncUnreachableError (thrown): the network, a timeout, the server busy or
//   down, a transient refusal. Nothing changed that should not; try later.
// - `refused` in the report: the server refused this kiosk's entries or
//   requests in a way a retry cannot fix (conflict, failed verification, wrong
//   key). Staff must look; the background sync stops retrying.

export const MAX_BATCH = 1_000;
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_RESUMES = 3;

export interface SyncOptions {
  ledger: KioskLedger;
  serverUrl: string;
  key: KioskKey;
  fetch?: typeof fetch;
  /** Entries per batch, 1..1000 (default 500). */
  batchSize?: number;
  /** Each request (answer and body) must finish within this, or the run ends unreachable. */
  timeoutMs?: number;
  now?: () => number;
  /** Ends the run early (the kiosk shuts down). */
  signal?: AbortSignal;
}

export interface SyncRefusal {
  status: number;
  error: string;
  message: string;
  first_bad_seq?: number;
  expected_seq?: number;
}

export interface SyncReport {
  server: string;
  kiosk_id: string;
  /** Entries in batches the server answered with 200. */
  sent: number;
  stored: number;
  duplicates: number;
  batches: number;
  acknowledged_through_seq: number;
  last_seq: number;
  /** Entries still not acknowledged. */
  pending: number;
  /** Whether the server answered anything in this run (a run with nothing to send asks nothing). */
  contacted?: boolean;
  refused?: SyncRefusal;
  /** Parking sessions and paid citations sent after the ledger (service-uploads.ts); `refused` stops them (not the ledger) until restart. */
  uploads?: { sessions_delivered: number; citations_delivered: number; refused?: SyncRefusal };
}

export class SyncUnreachableError extends Error {
  override name = 'SyncUnreachableError';
  /** From a 429's retry-after, when the server said. */
  readonly retryAfterMs?: number;
  /** The server answered (busy, not enrolled yet, clock off…) rather than not at all. */
  readonly answered: boolean;
  constructor(message: string, opts: { retryAfterMs?: number; answered?: boolean } = {}) {
    super(message);
    this.retryAfterMs = opts.retryAfterMs;
    this.answered = opts.answered ?? false;
  }
  /** What this run got done before the server stopped answering. */
  progress?: SyncReport;
}

// 401s that a later try can pass: the kiosk not enrolled yet, its clock off, a nonce the network replayed.
const TRANSIENT_401 = new Set(['kiosk_not_enrolled', 'stale_timestamp', 'replayed']);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function syncOnce(opts: SyncOptions): Promise<SyncReport> {
  const { ledger, key } = opts;
  const batchSize = opts.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw new RangeError(`batchSize must be 1..${MAX_BATCH}, not ${batchSize}`);
  const base = new URL(opts.serverUrl);
  const kiosk_id = kioskIdOf(key.publicKeyPem);
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const last_seq = ledger.lastEntry()?.seq ?? 0;
  const report: SyncReport = { server: base.origin, kiosk_id, sent: 0, stored: 0, duplicates: 0, batches: 0, acknowledged_through_seq: 0, last_seq, pending: 0, contacted: false };
  const finish = (refused?: SyncRefusal): SyncReport => {
    report.pending = ledger.pendingCount();
    report.acknowledged_through_seq = acknowledgedThrough(ledger);
    if (refused) report.refused = refused;
    return report;
  };
  if (ledger.pendingCount() === 0) return finish();

  const request = async (method: 'GET' | 'POST', path: string, body: string): Promise<Answer> => {
    const url = new URL(path, base);
    const headers: Record<string, string> = signRequest({ method, path: url.pathname + url.search, body, key: key.privateKey, kiosk_id, now: now() });
    if (method === 'POST') headers['content-type'] = 'application/json';
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await doFetch(url, { method, headers, body: method === 'POST' ? body : undefined, signal });
      status = res.status;
      report.contacted = true;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (e) {
      const why = signal.aborted && !opts.signal?.aborted ? `no answer within ${timeoutMs} ms` : e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e);
      throw new SyncUnreachableError(`${method} ${url.pathname}: ${why}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    const answer: Answer = { status, body: parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {} };
    const said = typeof answer.body.message === 'string' ? `: ${answer.body.message}` : '';
    if (status === 429) {
      const retryAfterMs = retryAfter !== null && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) * 1_000 : undefined;
      throw new SyncUnreachableError(`${method} ${url.pathname}: rate limited${said}`, { retryAfterMs, answered: true });
    }
    if (status >= 500) throw new SyncUnreachableError(`${method} ${url.pathname}: the server answered ${status}${said}`, { answered: true });
    if (status === 401 && TRANSIENT_401.has(String(answer.body.error))) throw new SyncUnreachableError(`${method} ${url.pathname}: ${String(answer.body.error)}${said}`, { answered: true });
    if (status === 200 && parsed === null) throw new SyncUnreachableError(`${method} ${url.pathname}: the answer was not JSON`, { answered: true });
    return answer;
  };

  const refusalOf = (a: Answer): SyncRefusal => {
    const r: SyncRefusal = { status: a.status, error: typeof a.body.error === 'string' ? a.body.error : `http_${a.status}`, message: typeof a.body.message === 'string' ? a.body.message : `the server answered ${a.status}` };
    if (typeof a.body.first_bad_seq === 'number') r.first_bad_seq = a.body.first_bad_seq;
    if (typeof a.body.expected_seq === 'number') r.expected_seq = a.body.expected_seq;
    return r;
  };

  /** The server's word on how far it holds this chain; acknowledges up to there. Returns the next seq to send, or a refusal. */
  const resumePoint = async (): Promise<number | SyncRefusal> => {
    const a = await request('GET', '/v1/sync/status', '');
    if (a.status !== 200) return refusalOf(a);
    const held = a.body.acknowledged_through_seq;
    if (typeof held !== 'number' || !Number.isSafeInteger(held) || held < 0) throw new SyncUnreachableError('GET /v1/sync/status: the answer has no acknowledged_through_seq');
    if (held > last_seq) return { status: 200, error: 'server_ahead', message: `the back office holds entries up to ${held} for this kiosk, but this ledger ends at ${last_seq}: was the ledger restored from an old copy?` };
    if (held > 0) {
      const mine = ledger.rowsSince(held - 1, 1)[0];
      if (mine?.hash !== a.body.last_hash) return { status: 200, error: 'chain_mismatch', message: `the back office's entry ${held} for this kiosk is not this ledger's entry ${held}` };
      ledger.markAcknowledged(held);
    }
    return held + 1;
  };

  try {
    return await uploadFrom(await resumePoint());
  } catch (e) {
    if (e instanceof SyncUnreachableError) {
      try {
        e.progress = finish();
      } catch {
        // The ledger was closed under the run (shutdown): no progress to tell.
      }
    }
    throw e;
  }

  async function uploadFrom(start: number | SyncRefusal): Promise<SyncReport> {
    let next = start;
    let resumes = 0;
    while (typeof next === 'number' && next <= last_seq) {
      const rows: EntryRow[] = ledger.rowsSince(next - 1, Math.min(batchSize, last_seq - next + 1));
      const a = await request('POST', '/v1/sync/batch', JSON.stringify({
        kiosk_id,
        entries: rows,
        // For the dashboard's kiosk health: everything from this batch's first entry on is what the back office does not hold yet.
        outbox: { unsynced: last_seq - next + 1, oldest_at: rows[0]?.at ?? null },
      }));
      if (a.status === 200) {
        const through = a.body.acknowledged_through_seq;
        if (typeof through !== 'number' || !Number.isSafeInteger(through)) throw new SyncUnreachableError('POST /v1/sync/batch: the answer has no acknowledged_through_seq');
        if (through > last_seq) return finish({ status: 200, error: 'server_ahead', message: `the back office acknowledged up to ${through}, past this ledger's last entry ${last_seq}` });
        report.batches += 1;
        report.sent += rows.length;
        report.stored += typeof a.body.stored === 'number' ? a.body.stored : 0;
        report.duplicates += typeof a.body.duplicates === 'number' ? a.body.duplicates : 0;
        if (through > 0) ledger.markAcknowledged(through);
        if (through + 1 > next) {
          next = through + 1;
          continue;
        }
        // A 200 that acknowledges nothing new: ask where the server stands rather than send the same batch again.
      } else if (!(a.status === 409 && a.body.error === 'gap')) {
        return finish(refusalOf(a));
      }
      if (++resumes > MAX_RESUMES) throw new SyncUnreachableError(`the back office did not take entry ${next} after ${MAX_RESUMES} resumes`);
      next = await resumePoint();
    }
    return finish(typeof next === 'number' ? undefined : next);
  }
}

/** The outbox is acknowledged from seq 1 up to just before its first pending entry. */
export function acknowledgedThrough(ledger: KioskLedger): number {
  const first = ledger.pendingOutbox(1)[0];
  return first === undefined ? (ledger.lastEntry()?.seq ?? 0) : first.seq - 1;
}

import type { KeyObject } from 'node:crypto';
import { signRequest } from '../backoffice/auth/request-signing';
import { SyncUnreachableError, type SyncRefusal } from './client';
import type { ParkingSessionUpload } from '../shared/parking-upload';

// What the kiosk's services keep apart from the ledger and the back office
// must have: parking sessions (the plate's keyed hash, never the plate) and
// paid citations (docs/sync-protocol.md). Sent after the ledger, by the same
// background run; each record is marked delivered only on the server's word,
// and for a parking session that is when its plate is purged from the kiosk.

/** A parking session as it travels (ParkingSessionStore.outboundSessions). */
export type OutboundSession = ParkingSessionUpload;

export interface ServiceUploadSources {
  parking?: {
    outboundSessions(): OutboundSession[];
    markDelivered(sent: readonly OutboundSession[]): void;
    /** Names the plate key the hashes were made with (src/shared/plates.ts plateKeyId). */
    plate_key_id: string;
  };
  citations?: {
    outboundPayments(): { number: string; tx_id: string }[];
    markDelivered(sent: readonly { number: string; tx_id: string }[]): void;
  };
}

export interface ServiceUploadReport {
  sessions_delivered: number;
  citations_delivered: number;
  refused?: SyncRefusal;
}

export interface ServiceUploadOptions {
  serverUrl: string;
  kiosk_id: string;
  key: KeyObject;
  sources: ServiceUploadSources;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => number;
  signal?: AbortSignal;
}

/** Records per request: the server takes at most 500. */
const CHUNK = 200;

export async function uploadServiceRecords(opts: ServiceUploadOptions): Promise<ServiceUploadReport> {
  const report: ServiceUploadReport = { sessions_delivered: 0, citations_delivered: 0 };
  const { parking, citations } = opts.sources;
  if (parking !== undefined) {
    const all = parking.outboundSessions();
    for (let i = 0; i < all.length; i += CHUNK) {
      const sent = all.slice(i, i + CHUNK);
      const a = await post(opts, '/v1/parking/sessions', { kiosk_id: opts.kiosk_id, plate_key_id: parking.plate_key_id, sessions: sent });
      if (a.status !== 200) return { ...report, refused: refusalOf(a) };
      const accepted = new Set(Array.isArray(a.body.accepted_ids) ? a.body.accepted_ids : []);
      const delivered = sent.filter((s) => accepted.has(s.session_id));
      parking.markDelivered(delivered);
      report.sessions_delivered += delivered.length;
    }
  }
  if (citations !== undefined) {
    const all = citations.outboundPayments();
    for (let i = 0; i < all.length; i += CHUNK) {
      const sent = all.slice(i, i + CHUNK);
      const a = await post(opts, '/v1/citations/paid', { kiosk_id: opts.kiosk_id, paid: sent.map((c) => ({ citation_number: c.number, tx_id: c.tx_id })) });
      if (a.status !== 200) return { ...report, refused: refusalOf(a) };
      const accepted = new Set(Array.isArray(a.body.accepted_numbers) ? a.body.accepted_numbers : []);
      const delivered = sent.filter((c) => accepted.has(c.number));
      citations.markDelivered(delivered);
      report.citations_delivered += delivered.length;
    }
  }
  return report;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A signed POST; what a later try may get past (network, 5xx, 429, not enrolled yet) is thrown as unreachable. */
async function post(opts: ServiceUploadOptions, path: string, payload: unknown): Promise<Answer> {
  const url = new URL(path, opts.serverUrl);
  const body = JSON.stringify(payload);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers = { ...signRequest({ method: 'POST', path: url.pathname, body, key: opts.key, kiosk_id: opts.kiosk_id, now: (opts.now ?? Date.now)() }), 'content-type': 'application/json' };
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  let retryAfter: string | null;
  try {
    const res = await (opts.fetch ?? fetch)(url, { method: 'POST', headers, body, signal });
    status = res.status;
    retryAfter = res.headers.get('retry-after');
    text = await res.text();
  } catch (e) {
    const why = signal.aborted && !opts.signal?.aborted ? `no answer within ${timeoutMs} ms` : e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e);
    throw new SyncUnreachableError(`POST ${path}: ${why}`);
  }
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* judged below */
  }
  const answer: Answer = { status, body: typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {} };
  const said = typeof answer.body.message === 'string' ? `: ${answer.body.message}` : '';
  if (status === 429) {
    const retryAfterMs = retryAfter !== null && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) * 1_000 : undefined;
    throw new SyncUnreachableError(`POST ${path}: rate limited${said}`, { retryAfterMs, answered: true });
  }
  if (status >= 500 || (status === 401 && ['kiosk_not_enrolled', 'stale_timestamp', 'replayed'].includes(String(answer.body.error)))) {
    throw new SyncUnreachableError(`POST ${path}: the server answered ${status}${said}`, { answered: true });
  }
  // An older back office without these routes: nothing to refuse, try again after it is upgraded.
  if (status === 404) throw new SyncUnreachableError(`POST ${path}: this back office does not take it yet${said}`, { answered: true });
  if (status === 200 && parsed === null) throw new SyncUnreachableError(`POST ${path}: the answer was not JSON`, { answered: true });
  return answer;
}

function refusalOf(a: Answer): SyncRefusal {
  return { status: a.status, error: typeof a.body.error === 'string' ? a.body.error : `http_${a.status}`, message: typeof a.body.message === 'string' ? a.body.message : `the server answered ${a.status}` };
}

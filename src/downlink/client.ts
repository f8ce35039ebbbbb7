import type { KeyObject } from 'node:crypto';
import { signRequest } from '../backoffice/auth/request-signing';

// The kiosk's side of the downlink: asks the back office for a newer bundle
// and for the hotlist since the version it holds, with signed requests
// (docs/sync-protocol.md), and hands what arrives to its store, which verifies
// before it applies. Every failure is a line in the report, never an exception:
// the kiosk keeps taking payments on what it has.

export interface DownlinkTarget {
  readonly bundleVersion: number | null;
  readonly hotlistVersion: number;
  applyBundle(doc: unknown): ApplyOutcome;
  applyHotlistDelta(doc: unknown): ApplyOutcome;
}

export type ApplyOutcome = { applied: true; version: number } | { applied: false; code: string; reason: string };

export type DownlinkStep =
  | { status: 'applied'; version: number }
  | { status: 'current' }
  | { status: 'refused'; code: string; reason: string }
  | { status: 'unreachable'; reason: string };

export interface DownlinkReport {
  bundle: DownlinkStep;
  hotlist: DownlinkStep;
}

export interface FetchDownlinkOptions {
  /** The back office's base URL, e.g. http://127.0.0.1:8443 */
  serverUrl: string;
  /** The kiosk's Ed25519 private key (the ledger's key). */
  key: KeyObject;
  /** SHA-256 of the kiosk's public key, first 32 hex (docs/sync-protocol.md). */
  kiosk_id: string;
  store: DownlinkTarget;
  timeout_ms?: number;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** One round: a newer bundle, then the hotlist since the held version. */
export async function fetchDownlink(opts: FetchDownlinkOptions): Promise<DownlinkReport> {
  const bundle = await step(opts, `/v1/config/bundle?after=${opts.store.bundleVersion ?? 0}`, (answer) => {
    const doc = (answer as { bundle?: unknown }).bundle;
    if (doc === null) return { status: 'current' };
    return outcome(opts.store.applyBundle(doc));
  });
  const hotlist = await step(opts, `/v1/hotlist?after=${opts.store.hotlistVersion}`, (answer) => {
    const delta = (answer as { delta?: unknown }).delta;
    const held = opts.store.hotlistVersion;
    const result = opts.store.applyHotlistDelta(delta);
    return result.applied && result.version === held ? { status: 'current' } : outcome(result);
  });
  return { bundle, hotlist };
}

/** Polls every `interval_ms` (first round at once) until stopped; each report goes to `onReport`. */
export function startDownlinkPolling(opts: FetchDownlinkOptions & { interval_ms: number; onReport?: (report: DownlinkReport) => void }): { stop: () => void } {
  let running = false;
  const round = async () => {
    if (running) return; // a slow round is never overlapped by the next
    running = true;
    try {
      opts.onReport?.(await fetchDownlink(opts));
    } finally {
      running = false;
    }
  };
  void round();
  const timer = setInterval(() => void round(), opts.interval_ms);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function outcome(result: ApplyOutcome): DownlinkStep {
  return result.applied ? { status: 'applied', version: result.version } : { status: 'refused', code: result.code, reason: result.reason };
}

async function step(opts: FetchDownlinkOptions, path: string, use: (answer: unknown) => DownlinkStep): Promise<DownlinkStep> {
  let response: Response;
  try {
    response = await fetch(new URL(path, opts.serverUrl), {
      method: 'GET',
      headers: signRequest({ method: 'GET', path, key: opts.key, kiosk_id: opts.kiosk_id }),
      signal: AbortSignal.timeout(opts.timeout_ms ?? 15_000),
    });
  } catch (e) {
    return { status: 'unreachable', reason: `${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (e) {
    return { status: 'unreachable', reason: `${path}: answer cut off (${e instanceof Error ? e.message : String(e)})` };
  }
  if (text.length > MAX_ANSWER_BYTES) return { status: 'refused', code: 'too_large', reason: `${path}: answer over ${MAX_ANSWER_BYTES} bytes` };
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return { status: 'refused', code: 'wrong_format', reason: `${path}: answer ${response.status} is not JSON` };
  }
  if (!response.ok) {
    const { error, message } = (answer ?? {}) as { error?: unknown; message?: unknown };
    return { status: 'refused', code: typeof error === 'string' ? error : `http_${response.status}`, reason: `${path}: ${response.status} ${typeof message === 'string' ? message : ''}`.trim() };
  }
  if (typeof answer !== 'object' || answer === null) return { status: 'refused', code: 'wrong_format', reason: `${path}: answer is not a JSON object` };
  return use(answer);
}

import { createPublicKey } from 'node:crypto';
import type { BackOfficeStore } from '../db/connect';
import { activeKioskKey } from './enrollment';
import { readSignatureHeaders, requestSignatureVerifies, TIMESTAMP_WINDOW_MS } from './request-signing';

// The server's side of signed requests: who signed, with the enrolled key, not
// too old or too far ahead, and never the same nonce twice. The checks run in
// that order so that only the enrolled kiosk itself learns that its clock is
// off, and a nonce is recorded only for a request the kiosk really signed
// (nobody else can use up a kiosk's nonces).

export type AuthRefusalCode = 'unsigned' | 'kiosk_not_enrolled' | 'bad_signature' | 'stale_timestamp' | 'replayed';

export interface AuthRefusal {
  status: 401;
  error: AuthRefusalCode;
  message: string;
}

export interface SignedRequest {
  method: string;
  /** Path with the query string, as received. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body bytes, or undefined when there is none. */
  body: Uint8Array | undefined;
}

export type AuthResult = { ok: true; kiosk_id: string } | ({ ok: false } & AuthRefusal);

const refuse = (error: AuthRefusalCode, message: string): AuthResult => ({ ok: false, status: 401, error, message });

export async function authenticateKioskRequest(store: BackOfficeStore, req: SignedRequest, now_ms: number): Promise<AuthResult> {
  const h = readSignatureHeaders(req.headers);
  if ('missing' in h) return refuse('unsigned', `this request is not signed: header ${h.missing} is missing or malformed`);
  const enrolled = await activeKioskKey(store, h.kiosk_id);
  if ('refused' in enrolled) {
    return refuse(
      'kiosk_not_enrolled',
      enrolled.refused === 'revoked' ? `kiosk ${h.kiosk_id} has been revoked` : `kiosk ${h.kiosk_id} is not enrolled: run civicard admin enroll with its ledger`,
    );
  }
  const parts = { method: req.method, path: req.path, timestamp: h.timestamp, nonce: h.nonce, body: req.body };
  if (!requestSignatureVerifies(parts, h.signature, createPublicKey(enrolled.publicKeyPem))) {
    return refuse('bad_signature', `the signature does not verify with kiosk ${h.kiosk_id}'s enrolled key`);
  }
  const skew = h.timestamp_ms - now_ms;
  if (Math.abs(skew) > TIMESTAMP_WINDOW_MS) {
    return refuse('stale_timestamp', `the request's timestamp is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'behind' : 'ahead of'} the server's clock (at most ${TIMESTAMP_WINDOW_MS / 60_000} minutes allowed): check the kiosk's clock`);
  }
  // A nonce older than the window cannot come back (its timestamp would be stale), so it can go.
  await store.db.deleteFrom('nonces').where('kiosk_id', '=', h.kiosk_id).where('seen_ms', '<', now_ms - 2 * TIMESTAMP_WINDOW_MS).execute();
  const inserted = await store.db
    .insertInto('nonces')
    .values({ kiosk_id: h.kiosk_id, nonce: h.nonce, seen_ms: now_ms })
    .onConflict((oc) => oc.columns(['kiosk_id', 'nonce']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return refuse('replayed', `nonce ${h.nonce} was already used by this kiosk: every request needs a new one`);
  return { ok: true, kiosk_id: h.kiosk_id };
}

import { createHash, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

// Kiosk requests to the back office are signed with the kiosk's Ed25519 key
// (docs/sync-protocol.md, "Signed requests"). This file is shared: the kiosk's
// sync client signs with signRequest, the server checks with
// requestSignatureVerifies. Nothing here touches a database.

export const HEADER = {
  kiosk: 'x-civicard-kiosk',
  timestamp: 'x-civicard-timestamp',
  nonce: 'x-civicard-nonce',
  signature: 'x-civicard-signature',
} as const;

export const SIGNING_VERSION = 'civicard-request-v1';
/** How far a request's timestamp may be from the server's clock. */
export const TIMESTAMP_WINDOW_MS = 5 * 60_000;

const KIOSK_ID = /^[0-9a-f]{32}$/;
const NONCE = /^[0-9a-f]{32}$/;
const TIMESTAMP = /^[1-9][0-9]{0,15}$/;
const SIGNATURE_BYTES = 64;

/** The first 32 hex characters of SHA-256 over the public key's SPKI DER. */
export function kioskIdOf(publicKey: string | KeyObject): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('a kiosk key is an Ed25519 key');
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32);
}

export interface SigningParts {
  method: string;
  /** Path with the query string, exactly as sent. */
  path: string;
  timestamp: string;
  nonce: string;
  body: string | Uint8Array | undefined;
}

export function stringToSign(p: SigningParts): string {
  const bodyHash = createHash('sha256')
    .update(p.body ?? '')
    .digest('hex');
  return [SIGNING_VERSION, p.method.toUpperCase(), p.path, p.timestamp, p.nonce, bodyHash].join('\n');
}

export interface SignRequestInput {
  method: string;
  path: string;
  /** The exact bytes to be sent (the JSON text), or nothing. */
  body?: string | Uint8Array;
  /** The kiosk's private key. */
  key: KeyObject;
  kiosk_id: string;
  /** Epoch milliseconds; now by default. */
  now?: number;
  /** 32 hex characters; random by default. Never reuse one. */
  nonce?: string;
}

/** The four headers that sign one request. */
export function signRequest(input: SignRequestInput): Record<string, string> {
  const timestamp = String(Math.trunc(input.now ?? Date.now()));
  const nonce = input.nonce ?? randomBytes(16).toString('hex');
  if (!NONCE.test(nonce)) throw new TypeError('a nonce is 32 lowercase hex characters');
  const text = stringToSign({ method: input.method, path: input.path, timestamp, nonce, body: input.body });
  return {
    [HEADER.kiosk]: input.kiosk_id,
    [HEADER.timestamp]: timestamp,
    [HEADER.nonce]: nonce,
    [HEADER.signature]: sign(null, Buffer.from(text, 'utf8'), input.key).toString('base64'),
  };
}

export interface SignatureHeaders {
  kiosk_id: string;
  timestamp_ms: number;
  timestamp: string;
  nonce: string;
  signature: string;
}

/** The signing headers if all four are present and well-formed, else what is wrong. */
export function readSignatureHeaders(headers: Record<string, string | string[] | undefined>): SignatureHeaders | { missing: string } {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const kiosk_id = one(HEADER.kiosk);
  const timestamp = one(HEADER.timestamp);
  const nonce = one(HEADER.nonce);
  const signature = one(HEADER.signature);
  if (kiosk_id === undefined || !KIOSK_ID.test(kiosk_id)) return { missing: `${HEADER.kiosk} (32 hex characters)` };
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) return { missing: `${HEADER.timestamp} (milliseconds since the epoch)` };
  if (nonce === undefined || !NONCE.test(nonce)) return { missing: `${HEADER.nonce} (32 hex characters)` };
  if (signature === undefined || signature === '') return { missing: `${HEADER.signature} (base64 Ed25519 signature)` };
  return { kiosk_id, timestamp, timestamp_ms: Number(timestamp), nonce, signature };
}

/** True only for the canonical base64 of a valid signature over this request by `publicKey`. */
export function requestSignatureVerifies(parts: SigningParts, signature: string, publicKey: KeyObject): boolean {
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== SIGNATURE_BYTES || bytes.toString('base64') !== signature) return false;
  return verify(null, Buffer.from(stringToSign(parts), 'utf8'), publicKey, bytes);
}

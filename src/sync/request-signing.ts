import { createHash, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';

// The kiosk side of docs/sync-protocol.md "Signed requests". Until the back
// office's src/backoffice/auth/request-signing.ts lands this follows the doc;
// then the client imports the server's so one string-to-sign serves both.

/** First 32 hex characters of SHA-256 over the SPKI DER of the kiosk's public key. */
export function kioskIdOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32);
}

export interface RequestToSign {
  method: string;
  /** Path with its query string, as sent. */
  path: string;
  body: string;
  kioskId: string;
  privateKey: KeyObject;
  nowMs: number;
  nonce?: string;
}

export function stringToSign(method: string, path: string, timestamp: string, nonce: string, body: string): string {
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  return ['civicard-request-v1', method.toUpperCase(), path, timestamp, nonce, bodyHash].join('\n');
}

/** The four x-civicard-* headers of one request. */
export function signRequest(r: RequestToSign): Record<string, string> {
  const timestamp = String(Math.trunc(r.nowMs));
  const nonce = r.nonce ?? randomBytes(16).toString('hex');
  const signature = sign(null, Buffer.from(stringToSign(r.method, r.path, timestamp, nonce, r.body), 'utf8'), r.privateKey).toString('base64');
  return { 'x-civicard-kiosk': r.kioskId, 'x-civicard-timestamp': timestamp, 'x-civicard-nonce': nonce, 'x-civicard-signature': signature };
}

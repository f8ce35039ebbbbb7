import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// The per-session API token: whoever started the kiosk can read it (from a
// 0600 file), a web page on the same machine cannot, so a request that carries
// it comes from the kiosk's own UI or its operator.

const TOKEN_BYTES = 32;

export function newApiToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** Constant time whatever is presented: both sides are hashed to the same length first. */
export function tokenMatches(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The token a request presents: `Authorization: Bearer <token>`, or, where
 * `query_allowed` (an EventSource cannot set headers), `?token=<token>`.
 */
export function presentedToken(req: IncomingMessage, query_allowed: boolean): string | null {
  const bearer = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer) return bearer[1]!;
  if (!query_allowed) return null;
  return new URL(req.url ?? '/', 'http://kiosk.invalid').searchParams.get('token');
}

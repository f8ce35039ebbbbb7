import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BackOfficeStore } from '../db/connect';
import type { UserRole } from '../db/schema';

// Dashboard sessions. The browser holds a random token (cookie); the store
// holds only its SHA-256, so a copy of the database opens no session. A
// session ends 8 h after login whatever happens, or after 30 min without a
// request. The CSRF token of a session's forms is an HMAC of the session
// token: nothing more to store, and useless without the cookie itself.

export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** last_seen_ms is written at most this often, not on every request. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionTimes {
  lifetime_ms: number;
  idle_ms: number;
}

export interface ActiveSession {
  username: string;
  role: UserRole;
  csrf: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('civicard-dashboard-csrf').digest('base64url');
}

/** Constant-time comparison of two tokens (strings of any length). */
export function sameToken(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

export async function createSession(store: BackOfficeStore, username: string, now_ms: number, times: SessionTimes): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await store.db.deleteFrom('sessions').where('expires_at_ms', '<=', now_ms).execute();
  await store.db
    .insertInto('sessions')
    .values({ token_hash: sha256(token), username, created_at_ms: now_ms, expires_at_ms: now_ms + times.lifetime_ms, last_seen_ms: now_ms })
    .execute();
  return token;
}

/** The session a cookie token opens, or undefined (unknown, expired, idle too long, or its account disabled). */
export async function findSession(store: BackOfficeStore, token: string, now_ms: number, times: SessionTimes): Promise<ActiveSession | undefined> {
  const token_hash = sha256(token);
  const row = await store.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.username', 'sessions.username')
    .select(['sessions.username', 'users.role', 'users.disabled', 'sessions.expires_at_ms', 'sessions.last_seen_ms'])
    .where('sessions.token_hash', '=', token_hash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  if (row.disabled !== 0 || now_ms >= row.expires_at_ms || now_ms - row.last_seen_ms >= times.idle_ms) {
    await store.db.deleteFrom('sessions').where('token_hash', '=', token_hash).execute();
    return undefined;
  }
  if (now_ms - row.last_seen_ms >= TOUCH_EVERY_MS) await store.db.updateTable('sessions').set({ last_seen_ms: now_ms }).where('token_hash', '=', token_hash).execute();
  return { username: row.username, role: row.role, csrf: csrfTokenOf(token) };
}

export async function endSession(store: BackOfficeStore, token: string): Promise<void> {
  await store.db.deleteFrom('sessions').where('token_hash', '=', sha256(token)).execute();
}

import type { BackOfficeStore } from '../db/connect';
import type { UserRole } from '../db/schema';
import { createSession, type SessionTimes } from './sessions';
import { decoyHash, findUserForLogin, passwordMatches } from './users';

// Checking a login. Failures are counted per username and per address: after
// MAX_FAILURES in the window, that username (from anywhere) and that address
// (for any username) wait until the window has passed — a guesser gets a few
// tries an hour, a clerk who mistyped is told how long to wait. In memory: a
// restart forgives, which is acceptable for a limit meant to slow guessing.

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const MAX_TRACKED = 10_000;

export type LoginResult =
  | { ok: true; token: string; username: string; role: UserRole }
  | { ok: false; reason: 'bad_credentials' }
  | { ok: false; reason: 'rate_limited'; wait_s: number };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max = MAX_FAILURES,
    private readonly window_ms = FAILURE_WINDOW_MS,
  ) {}

  /** Seconds until these keys may try again (0: now). */
  waitSeconds(keys: readonly string[], now_ms: number): number {
    let until = 0;
    for (const key of keys) {
      const recent = this.recent(key, now_ms);
      if (recent.length >= this.max) until = Math.max(until, recent[recent.length - this.max]! + this.window_ms);
    }
    return until === 0 ? 0 : Math.max(1, Math.ceil((until - now_ms) / 1000));
  }

  fail(keys: readonly string[], now_ms: number): void {
    // Many made-up usernames must not grow this without end: sweep old entries now and then.
    if (this.failures.size > MAX_TRACKED) for (const key of [...this.failures.keys()]) this.recent(key, now_ms);
    for (const key of keys) this.failures.set(key, [...this.recent(key, now_ms), now_ms].slice(-this.max));
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now_ms: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now_ms - t < this.window_ms);
    if (list.length === 0) this.failures.delete(key);
    return list;
  }
}

export interface LoginAttempt {
  username: string;
  password: string;
  ip: string;
  now_ms: number;
}

export async function attemptLogin(store: BackOfficeStore, throttle: LoginThrottle, times: SessionTimes, a: LoginAttempt): Promise<LoginResult> {
  const keys = [`user:${a.username.toLowerCase()}`, `ip:${a.ip}`];
  const wait = throttle.waitSeconds(keys, a.now_ms);
  if (wait > 0) return { ok: false, reason: 'rate_limited', wait_s: wait };
  const user = await findUserForLogin(store, a.username);
  // The same scrypt work whether or not the user exists or is disabled.
  const matches = await passwordMatches(a.password, user?.password_hash ?? (await decoyHash()));
  if (user === undefined || user.disabled !== 0 || !matches) {
    throttle.fail(keys, a.now_ms);
    return { ok: false, reason: 'bad_credentials' };
  }
  throttle.clear(keys[0]!);
  const token = await createSession(store, user.username, a.now_ms, times);
  return { ok: true, token, username: user.username, role: user.role };
}

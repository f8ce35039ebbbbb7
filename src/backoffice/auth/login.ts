import type { BackOfficeStore } from '../db/connect';
import type { UserRole } from '../db/schema';
import { createSession, type SessionTimes } from './sessions';
import { decoyHash, findUserForLogin, passwordMatches } from './users';

// Checking a login. Failures are counted per username and per address: after
// 5 failures for a username in the window (from anywhere), or 20 from one
// address (for any usernames), they wait until the window has passed — a
// guesser gets a few tries an hour, a clerk who mistyped is told how long to
// wait. The address allows more because a whole office may share one (NAT,
// a proxy). In memory: a restart forgives, which is acceptable for a limit
// meant to slow guessing.

export const MAX_FAILURES_PER_USERNAME = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;
const MAX_TRACKED = 10_000;

export type LoginResult =
  | { ok: true; token: string; username: string; role: UserRole }
  | { ok: false; reason: 'bad_credentials' }
  | { ok: false; reason: 'rate_limited'; wait_s: number };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
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

export interface LoginThrottles {
  username: LoginThrottle;
  address: LoginThrottle;
}

export function loginThrottles(): LoginThrottles {
  return { username: new LoginThrottle(MAX_FAILURES_PER_USERNAME), address: new LoginThrottle(MAX_FAILURES_PER_ADDRESS) };
}

export async function attemptLogin(store: BackOfficeStore, throttles: LoginThrottles, times: SessionTimes, a: LoginAttempt): Promise<LoginResult> {
  const user = [a.username.toLowerCase()];
  const address = [a.ip];
  const wait = Math.max(throttles.username.waitSeconds(user, a.now_ms), throttles.address.waitSeconds(address, a.now_ms));
  if (wait > 0) return { ok: false, reason: 'rate_limited', wait_s: wait };
  const found = await findUserForLogin(store, a.username);
  // The same scrypt work whether or not the user exists or is disabled.
  const matches = await passwordMatches(a.password, found?.password_hash ?? (await decoyHash()));
  if (found === undefined || found.disabled !== 0 || !matches) {
    throttles.username.fail(user, a.now_ms);
    throttles.address.fail(address, a.now_ms);
    return { ok: false, reason: 'bad_credentials' };
  }
  throttles.username.clear(user[0]!);
  const token = await createSession(store, found.username, a.now_ms, times);
  return { ok: true, token, username: found.username, role: found.role };
}

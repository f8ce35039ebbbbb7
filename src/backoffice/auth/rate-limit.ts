// Requests per kiosk per minute, as a token bucket: a kiosk may burst up to
// the whole minute's allowance, then gets one request back every
// 60/perMinute seconds. In memory: a restart forgives everyone, which is fine
// for a limit meant to stop a runaway kiosk, not to bill it.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at_ms: number }>();
  private readonly refillPerMs: number;

  constructor(private readonly perMinute: number) {
    if (!(perMinute > 0)) throw new RangeError('a rate limit allows at least some requests a minute');
    this.refillPerMs = perMinute / 60_000;
  }

  /** Seconds until `key` may make a request again, or 0 when it may now. Takes nothing. */
  waitSeconds(key: string, now_ms: number): number {
    const tokens = this.tokensAt(key, now_ms);
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.refillPerMs / 1000));
  }

  /** Takes one request's token; false (and takes nothing) when there is none. */
  take(key: string, now_ms: number): boolean {
    const tokens = this.tokensAt(key, now_ms);
    if (tokens < 1) return false;
    this.buckets.set(key, { tokens: tokens - 1, at_ms: now_ms });
    return true;
  }

  private tokensAt(key: string, now_ms: number): number {
    const b = this.buckets.get(key);
    if (b === undefined) return this.perMinute;
    return Math.min(this.perMinute, b.tokens + Math.max(0, now_ms - b.at_ms) * this.refillPerMs);
  }
}

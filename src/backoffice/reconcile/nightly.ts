import { join } from 'node:path';
import type { BackOfficeStore } from '../db/connect';
import { addDays, assertTimeZone, localDate, wallClockInstant } from './day';
import { reconcileDay } from './run';
import type { ReconciliationSummary } from './summary';

// The server's nightly run: every day at `at` local time, reconcile the
// business day that just ended into OUT_ROOT/YYYY-MM-DD. One run at a time; a
// failed run is reported and the next night still runs. The clock is
// injectable so tests drive it without waiting.

export interface NightlyClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface NightlyOptions {
  /** Local wall-clock time, HH:MM (24 h). */
  at: string;
  time_zone: string;
  /** Each day's files go to out_root/YYYY-MM-DD. */
  out_root: string;
  clock?: NightlyClock;
  onDone?: (summary: ReconciliationSummary) => void;
  onError?: (error: Error, date: string) => void;
}

export interface NightlySchedule {
  /** When the next run starts (null once stopped). */
  nextRunAt(): Date | null;
  stop(): void;
}

const SYSTEM_CLOCK: NightlyClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function scheduleNightly(store: BackOfficeStore, opts: NightlyOptions): NightlySchedule {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(opts.at);
  if (m === null) throw new RangeError(`the nightly time must be HH:MM (24 h), not ${opts.at}`);
  assertTimeZone(opts.time_zone);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  const clock = opts.clock ?? SYSTEM_CLOCK;
  let handle: unknown = null;
  let next: number | null = null;
  let running = false;
  let stopped = false;

  /** The first instant after `t` at which the local clock shows `at`. */
  const nextAfter = (t: number): number => {
    let date = localDate(t, opts.time_zone);
    for (;;) {
      const candidate = wallClockInstant(date, minutes, opts.time_zone);
      if (candidate > t) return candidate;
      date = addDays(date, 1);
    }
  };

  const arm = () => {
    if (stopped) return;
    next = nextAfter(clock.now());
    handle = clock.setTimeout(fire, Math.max(0, next - clock.now()));
  };

  const fire = () => {
    const due = next!;
    arm();
    const date = addDays(localDate(due, opts.time_zone), -1);
    if (running) {
      opts.onError?.(new Error(`the reconciliation before is still running; ${date} was skipped (run civicard reconcile --date ${date})`), date);
      return;
    }
    running = true;
    void run(date);
  };

  const run = async (date: string) => {
    let summary: ReconciliationSummary;
    try {
      summary = await reconcileDay(store, { date, time_zone: opts.time_zone, out: join(opts.out_root, date), now: () => new Date(clock.now()) });
    } catch (e) {
      running = false;
      opts.onError?.(e instanceof Error ? e : new Error(String(e)), date);
      return;
    }
    running = false;
    opts.onDone?.(summary);
  };

  arm();
  return {
    nextRunAt: () => (next === null ? null : new Date(next)),
    stop: () => {
      stopped = true;
      next = null;
      if (handle !== null) clock.clearTimeout(handle);
    },
  };
}

import { join } from 'node:path';
import type { BackOfficeStore } from '../db/connect';
import { addDays, assertTimeZone, localDate, wallClockInstant } from './day';
import { units } from './exceptions';
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
  /** Reconciles `date` (YYYY-MM-DD) now, through the same path and callbacks as a night's run; one run at a time. */
  runNow(date: string): void;
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
    start(addDays(localDate(due, opts.time_zone), -1));
  };

  const start = (date: string) => {
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
    runNow: (date) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`the date to reconcile must be YYYY-MM-DD, not ${date}`);
      start(date);
    },
    stop: () => {
      stopped = true;
      next = null;
      if (handle !== null) clock.clearTimeout(handle);
    },
  };
}

/** One log line for a night's run: the figures and where the files are. Never a card reference. */
export function nightlyRunLine(s: ReconciliationSummary, dir: string): string {
  const c = s.exception_counts;
  const liability = s.liability.holds ? 'liability holds' : `liability DOES NOT HOLD (${units(s.liability.difference_minor)} apart)`;
  return `nightly reconciliation of ${s.business_date} (${s.time_zone}): ${s.totals.transactions} card transactions, ${liability}, exceptions ${c.critical} critical / ${c.warning} warning / ${c.info} info; reports in ${dir}`;
}

/** A card reference is 32 or more hex digits; an error may quote one (a database's duplicate-key detail). */
const CARD_REF_LIKE = /\b[0-9a-f]{32,}\b/gi;

export interface ServerNightlyOptions {
  at: string;
  time_zone: string;
  out_root: string;
  /** One line when it is armed, one per run. */
  log: (line: string) => void;
  clock?: NightlyClock;
}

/** The nightly run as `civicard server` starts it: scheduled, and logged a line per run without card references. */
export function startServerNightly(store: BackOfficeStore, opts: ServerNightlyOptions): NightlySchedule {
  const { log, out_root } = opts;
  const schedule = scheduleNightly(store, {
    at: opts.at,
    time_zone: opts.time_zone,
    out_root,
    ...(opts.clock ? { clock: opts.clock } : {}),
    onDone: (s) => log(nightlyRunLine(s, join(out_root, s.business_date))),
    onError: (e, date) => log(`nightly reconciliation of ${date} failed: ${e.message.replace(CARD_REF_LIKE, '<card ref>')}; run civicard reconcile --date ${date} once it is fixed`),
  });
  log(`nightly reconciliation at ${opts.at} ${opts.time_zone} into ${join(out_root, 'YYYY-MM-DD')}; next run ${schedule.nextRunAt()!.toISOString()}`);
  return schedule;
}

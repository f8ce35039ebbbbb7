import type { KioskKey, KioskLedger } from '../ledger';
import { kioskIdOf } from '../backoffice/auth/request-signing';
import { syncOnce, SyncUnreachableError, type SyncRefusal, type SyncReport } from './client';
import { uploadServiceRecords, type ServiceUploadSources } from './service-uploads';

// Sync in the kiosk's background. Nothing on a transaction's path waits for it:
// an append only nudges it (coalesced), and a run holds no database
// transaction across its network waits. Crash-safe because the only state that
// matters, what the back office acknowledged, is in the ledger's outbox; a
// restarted kiosk asks the server where it stands and carries on.
//
// Schedule: a run shortly after the first append of a burst, otherwise every
// `intervalMs`; after a failure, exponential backoff with jitter up to a cap
// (or the server's retry-after). A refusal stops it until restarted: the same
// entries would be refused again, and staff must see why.

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd: a pending sync never keeps the process alive. */
export const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Backoff {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 2_000, capMs: 5 * 60_000 };

/** The wait after the `failures`-th failure in a row: base·2^(n−1), capped, then between half and all of it ("equal jitter"). */
export function backoffDelayMs(failures: number, backoff: Backoff, random: () => number): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type SyncPhase = 'idle' | 'scheduled' | 'running' | 'backing_off' | 'refused' | 'stopped';

export interface SyncStatus {
  phase: SyncPhase;
  failures: number;
  last_report: SyncReport | null;
  last_error: string | null;
  /** When a run last ended with the server holding everything it was sent (ISO 8601), null before the first. */
  last_success_at: string | null;
  /** Whether the last run got an answer from the back office (even a refusal or "busy"), false before the first. */
  reached_server: boolean;
  /** The wait before the next run, as scheduled. */
  next_in_ms: number | null;
}

export interface BackgroundSyncOptions {
  run: (signal: AbortSignal) => Promise<SyncReport>;
  intervalMs?: number;
  /** After an append, the run waits this long so a burst of entries goes in one batch. */
  debounceMs?: number;
  backoff?: Backoff;
  random?: () => number;
  timers?: Timers;
  onStatus?: (status: SyncStatus) => void;
  /** The clock `last_success_at` is read from. */
  now?: () => Date;
}

export class BackgroundSync {
  private readonly intervalMs: number;
  private readonly debounceMs: number;
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private readonly timers: Timers;
  private timer: unknown = null;
  private timerIsNudge = false;
  private nudgedWhileRunning = false;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private readonly now: () => Date;
  private readonly state: SyncStatus = { phase: 'idle', failures: 0, last_report: null, last_error: null, last_success_at: null, reached_server: false, next_in_ms: null };

  constructor(private readonly opts: BackgroundSyncOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.debounceMs = opts.debounceMs ?? 1_000;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.random = opts.random ?? Math.random;
    this.timers = opts.timers ?? REAL_TIMERS;
    this.now = opts.now ?? (() => new Date());
  }

  status(): SyncStatus {
    return { ...this.state };
  }

  start(): void {
    if (this.state.phase !== 'idle') return;
    this.schedule(0, true);
  }

  /** Something was appended: sync soon, unless a run is due sooner or the server asked us to wait. */
  nudge(): void {
    switch (this.state.phase) {
      case 'running':
        this.nudgedWhileRunning = true;
        return;
      case 'scheduled':
        if (!this.timerIsNudge) this.schedule(this.debounceMs, true);
        return;
      default:
        return; // idle (not started), backing off, refused, stopped
    }
  }

  /** Stops the schedule and abandons a run in flight (its acknowledgements so far are kept). */
  async stop(): Promise<void> {
    this.setPhase('stopped', null);
    this.clearTimer();
    this.abort?.abort(new Error('the kiosk is shutting down'));
    await this.running;
  }

  private schedule(ms: number, nudge = false): void {
    this.clearTimer();
    this.timerIsNudge = nudge;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce();
    }, ms);
    this.setPhase(this.state.failures > 0 && !nudge ? 'backing_off' : 'scheduled', ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async runOnce(): Promise<void> {
    this.nudgedWhileRunning = false;
    this.abort = new AbortController();
    this.setPhase('running', null);
    try {
      const report = await this.opts.run(this.abort.signal);
      if (this.state.phase === 'stopped') return;
      this.state.last_report = report;
      this.state.last_error = null;
      this.state.failures = 0;
      // A run with nothing to send asks the server nothing: no news of it either way.
      if (report.contacted !== false) {
        this.state.reached_server = true;
        if (!report.refused) this.state.last_success_at = this.now().toISOString();
      }
      if (report.refused) {
        this.state.last_error = `${report.refused.error}: ${report.refused.message}`;
        this.setPhase('refused', null);
        return;
      }
      this.schedule(this.nudgedWhileRunning ? this.debounceMs : this.intervalMs, this.nudgedWhileRunning);
    } catch (e) {
      if (this.state.phase === 'stopped') return;
      this.state.failures += 1;
      this.state.last_error = e instanceof Error ? e.message : String(e);
      this.state.reached_server = e instanceof SyncUnreachableError && e.answered;
      const wait = backoffDelayMs(this.state.failures, this.backoff, this.random);
      this.schedule(Math.max(wait, e instanceof SyncUnreachableError ? (e.retryAfterMs ?? 0) : 0));
    } finally {
      this.abort = null;
    }
  }

  private setPhase(phase: SyncPhase, next_in_ms: number | null): void {
    this.state.phase = phase;
    this.state.next_in_ms = next_in_ms;
    this.opts.onStatus?.(this.status());
  }
}

/** The background loop's own settings, as BackgroundSync takes them. */
export interface KioskSyncSettings extends Pick<BackgroundSyncOptions, 'intervalMs' | 'debounceMs' | 'backoff' | 'random' | 'timers' | 'onStatus'> {
  serverUrl: string;
  ledger: KioskLedger;
  key: KioskKey;
  fetch?: typeof fetch;
  timeoutMs?: number;
  batchSize?: number;
  /** What the services keep apart from the ledger (parking sessions, paid citations): sent after the ledger, in the same run. */
  uploads?: ServiceUploadSources;
}

export interface KioskSync {
  readonly sync: BackgroundSync;
  stop(): Promise<void>;
}

/** The kiosk's background sync: nudged by every append to `ledger`, started now. */
export function startKioskSync(s: KioskSyncSettings): KioskSync {
  let uploadsRefused: SyncRefusal | null = null;
  const sync = new BackgroundSync({
    run: async (signal) => {
      const report = await syncOnce({ ledger: s.ledger, serverUrl: s.serverUrl, key: s.key, fetch: s.fetch, timeoutMs: s.timeoutMs, batchSize: s.batchSize, signal });
      if (report.refused || s.uploads === undefined) return report;
      // A refused upload is not sent again until restart (it would be refused again, and staff must look);
      // the ledger, the money's evidence, keeps flowing meanwhile.
      if (uploadsRefused !== null) return { ...report, uploads: { sessions_delivered: 0, citations_delivered: 0, refused: uploadsRefused } };
      const uploads = await uploadServiceRecords({ serverUrl: s.serverUrl, kiosk_id: kioskIdOf(s.key.publicKeyPem), key: s.key.privateKey, sources: s.uploads, fetch: s.fetch, timeoutMs: s.timeoutMs, signal });
      uploadsRefused = uploads.refused ?? null;
      return { ...report, uploads };
    },
    intervalMs: s.intervalMs,
    debounceMs: s.debounceMs,
    backoff: s.backoff,
    random: s.random,
    timers: s.timers,
    onStatus: s.onStatus,
  });
  const unsubscribe = s.ledger.onAppended(() => sync.nudge());
  sync.start();
  return {
    sync,
    async stop() {
      unsubscribe();
      await sync.stop();
    },
  };
}

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAttendantStation } from '../../../src/kiosk/runtime/attendant-station';
import { CardStation } from '../../../src/kiosk/runtime/card-station';
import { PinAttempts } from '../../../src/kiosk/runtime/pin-attempts';
import { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { StaffRoster } from '../../../src/kiosk/runtime/staff';
import { newTxId } from '../../../src/shared/ids';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { EscPosPrinter } from '../../../hardware/printer';
import { SimPrinterTransport } from '../../../hardware/sim/printer';
import { issuedSimCard, vaultFor } from '../../support/card-fixtures';
import { FixedFeeService } from '../../support/fixed-fee';
import { kioskIdOf } from '../../../src/backoffice/auth/request-signing';
import { backoffDelayMs, BackgroundSync, startKioskSync, type SyncStatus, type Timers } from '../../../src/sync/background';
import { SyncUnreachableError, type SyncReport } from '../../../src/sync/client';
import { appendPayments, tempLedger } from '../../support/ledger-fixtures';
import { startTestKiosk } from '../../support/resident-kiosk';
import { memoryLedger, testKey } from '../ledger/helpers';
import { FakeBackOffice } from './fake-back-office';

// The background sync's schedule on a simulated clock, and on real parts: a
// hung back office does not hold up a payment, and a restarted kiosk carries on
// from its outbox.

/** Timers driven by the test: `advance` fires what falls due, in order. */
class ManualTimers implements Timers {
  now = 0;
  private readonly due: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  readonly requested: number[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    this.requested.push(ms);
    const id = this.nextId++;
    this.due.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    const i = this.due.findIndex((d) => d.id === handle);
    if (i >= 0) this.due.splice(i, 1);
  }
  pending(): number {
    return this.due.length;
  }
  /** Moves the clock to the next timer, fires it and lets its run settle. */
  async fireNext(): Promise<number> {
    this.due.sort((a, b) => a.at - b.at);
    const next = this.due.shift();
    if (!next) throw new Error('no timer pending');
    this.now = next.at;
    next.fn();
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    return next.at;
  }
}

const OK: SyncReport = { server: 'x', kiosk_id: 'k', sent: 1, stored: 1, duplicates: 0, batches: 1, acknowledged_through_seq: 1, last_seq: 1, pending: 0 };
const down = async (): Promise<SyncReport> => {
  throw new SyncUnreachableError('GET /v1/sync/status: fetch failed (connect ECONNREFUSED)');
};

describe('BackgroundSync schedule', () => {
  it('backs off exponentially with jitter, up to the cap, while the server is down', async () => {
    const timers = new ManualTimers();
    const sync = new BackgroundSync({ run: down, timers, random: () => 1, backoff: { baseMs: 1_000, capMs: 20_000 } });
    sync.start();
    for (let i = 0; i < 7; i += 1) await timers.fireNext();
    expect(timers.requested).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000]);
    expect(sync.status()).toMatchObject({ phase: 'backing_off', failures: 7, last_error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('tells when it last got through and whether the last attempt reached the server (for the maintenance screen)', async () => {
    const timers = new ManualTimers();
    let answer: () => Promise<SyncReport> = async () => OK;
    const sync = new BackgroundSync({ run: () => answer(), timers, random: () => 1, now: () => new Date(Date.UTC(2026, 11, 2, 9, 0, 0) + timers.now) });
    expect(sync.status()).toMatchObject({ last_success_at: null, reached_server: false });
    sync.start();
    await timers.fireNext();
    expect(sync.status()).toMatchObject({ last_success_at: '2026-12-02T09:00:00.000Z', reached_server: true, last_error: null });
    answer = down;
    await timers.fireNext();
    expect(sync.status()).toMatchObject({ last_success_at: '2026-12-02T09:00:00.000Z', reached_server: false, last_error: expect.stringMatching(/ECONNREFUSED/) });
    answer = async () => {
      throw new SyncUnreachableError('the back office is busy', { answered: true, retryAfterMs: 5_000 });
    };
    await timers.fireNext();
    expect(sync.status()).toMatchObject({ reached_server: true, last_error: 'the back office is busy', last_success_at: '2026-12-02T09:00:00.000Z' });
    answer = async () => ({ ...OK, sent: 0, batches: 0, contacted: false }); // nothing to send, nothing asked
    await timers.fireNext();
    expect(sync.status()).toMatchObject({ reached_server: true, last_error: null, last_success_at: '2026-12-02T09:00:00.000Z' });
    await sync.stop();
  });

  it('jitters each wait between half and all of its ceiling', () => {
    const b = { baseMs: 1_000, capMs: 60_000 };
    expect([1, 2, 3, 10].map((n) => backoffDelayMs(n, b, () => 0))).toEqual([500, 1_000, 2_000, 30_000]);
    expect([1, 2, 3, 10].map((n) => backoffDelayMs(n, b, () => 0.5))).toEqual([750, 1_500, 3_000, 45_000]);
  });

  it('a success resets the backoff and waits the interval; an append brings the run forward', async () => {
    const timers = new ManualTimers();
    let calls = 0;
    const sync = new BackgroundSync({ run: async () => (++calls <= 2 ? down() : OK), timers, random: () => 1, backoff: { baseMs: 1_000, capMs: 20_000 }, intervalMs: 60_000, debounceMs: 500 });
    sync.start();
    await timers.fireNext();
    sync.nudge(); // backing off: an append does not hammer a server that is down
    expect(timers.requested.at(-1)).toBe(1_000);
    await timers.fireNext();
    await timers.fireNext();
    expect(timers.requested).toEqual([0, 1_000, 2_000, 60_000]);
    expect(sync.status()).toMatchObject({ phase: 'scheduled', failures: 0, next_in_ms: 60_000 });
    sync.nudge();
    sync.nudge(); // a burst is one run
    expect(timers.requested).toEqual([0, 1_000, 2_000, 60_000, 500]);
    expect(timers.pending()).toBe(1);
  });

  it('runs again soon when an append came in during a run', async () => {
    const timers = new ManualTimers();
    const sync: BackgroundSync = new BackgroundSync({ run: async () => (sync.nudge(), OK), timers, intervalMs: 60_000, debounceMs: 500 });
    sync.start();
    await timers.fireNext();
    expect(timers.requested).toEqual([0, 500]);
  });

  it('waits at least what the server asked for in retry-after', async () => {
    const timers = new ManualTimers();
    const sync = new BackgroundSync({ run: async () => Promise.reject(new SyncUnreachableError('rate limited', { retryAfterMs: 45_000, answered: true })), timers, random: () => 1, backoff: { baseMs: 1_000, capMs: 20_000 } });
    sync.start();
    await timers.fireNext();
    expect(timers.requested).toEqual([0, 45_000]);
  });

  it('stops at a refusal and does not try the refused batch again', async () => {
    const timers = new ManualTimers();
    let calls = 0;
    const sync = new BackgroundSync({ run: async () => (calls++, { ...OK, refused: { status: 409, error: 'conflict', message: 'entry 7 differs' } }), timers });
    sync.start();
    await timers.fireNext();
    sync.nudge();
    expect(timers.pending()).toBe(0);
    expect(calls).toBe(1);
    expect(sync.status()).toMatchObject({ phase: 'refused', last_error: 'conflict: entry 7 differs' });
  });

  it('stop() abandons a run in flight and schedules nothing more', async () => {
    const timers = new ManualTimers();
    let aborted = false;
    const sync = new BackgroundSync({ run: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))), timers });
    sync.start();
    await timers.fireNext();
    await sync.stop();
    expect(aborted).toBe(true);
    expect(timers.pending()).toBe(0);
    expect(sync.status().phase).toBe('stopped');
  });
});

describe('kiosk sync on real parts', () => {
  it('a hung back office does not hold up a payment; the kiosk stops its sync when it stops', async () => {
    const ledger = memoryLedger(() => new Date());
    const requests: string[] = [];
    const hung = ((url: URL, init: RequestInit) => {
      requests.push(String(url));
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    }) as unknown as typeof fetch;
    let status: SyncStatus | null = null;
    const kiosk = await startTestKiosk({
      ledger,
      services: [new FixedFeeService('library_fine', 350)],
      sync: { key: testKey(), serverUrl: 'http://back-office.test', fetch: hung, timeoutMs: 60_000, debounceMs: 0, onStatus: (s) => (status = s) },
    });
    const started = Date.now();
    const { tx_id } = await kiosk.pay('F-1');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(ledger.txBalance(tx_id)?.state).toBe('committed');
    expect(requests.length).toBeGreaterThan(0); // the sync did start, and is still waiting on the server
    expect(status).toMatchObject({ phase: 'running' });
    kiosk.actor.stop();
    await until(() => status?.phase === 'stopped');
  });

  it('a payment reaches the back office shortly after it is made, without anyone asking', async () => {
    const ledger = memoryLedger(() => new Date());
    const key = testKey();
    const server = new FakeBackOffice(key.publicKeyPem, kioskIdOf(key.publicKeyPem));
    const kiosk = await startTestKiosk({ ledger, services: [new FixedFeeService('library_fine', 350)], sync: { key, serverUrl: 'http://back-office.test', fetch: server.fetch as typeof fetch, debounceMs: 10, intervalMs: 3_600_000 } });
    try {
      await kiosk.pay('F-1');
      await until(() => ledger.pendingCount() === 0 && server.held.length === ledger.lastEntry()!.seq);
      expect(server.held).toEqual(ledger.rowsSince(0, 1_000));
      expect(server.held.map((r) => r.kind)).toContain('committed');
    } finally {
      kiosk.actor.stop();
    }
  });

  it('the attendant station syncs its ledger too, and stops its sync with the station', async () => {
    const { ledger, key, dir } = tempLedger('attendant');
    const server = new FakeBackOffice(key.publicKeyPem, kioskIdOf(key.publicKeyPem));
    const reader = new FakeCardReader();
    const { keys } = await issuedSimCard(0);
    let status: SyncStatus | null = null;
    const actor = await startAttendantStation({
      reader,
      station: new CardStation({ reader, vault: vaultFor(keys, ['credit', 'read']), terminal_id: 20, card_ref_key: Buffer.alloc(32, 7), ledger }),
      roster: new StaffRoster([], PinAttempts.open(join(dir, 'pin-attempts.json'), { max_attempts: 3, lockout_ms: 300_000 })),
      ledger,
      printer: new EscPosPrinter(new SimPrinterTransport()),
      receipt: { kiosk_id: 'A-LOT-4', location_label: 'Lot 4 booth', time_zone: 'America/Chicago', country: 'US', currency: 'USD' },
      language: () => 'en',
      now: () => new Date(),
      sync: { key, serverUrl: 'http://back-office.test', fetch: server.fetch as typeof fetch, debounceMs: 10, intervalMs: 3_600_000, onStatus: (s) => (status = s) },
    });
    ledger.append({ kind: 'shift_opened', shift_id: newTxId(), staff_ref: 'staff-17', opening_float_minor: 5_000 });
    await until(() => server.held.length === 1 && ledger.pendingCount() === 0);
    actor.stop();
    await until(() => status?.phase === 'stopped');
    ledger.close();
  });

  it('after a crash, a restarted kiosk carries on from its outbox: everything once, nothing twice', async () => {
    const { path, key, ledger } = tempLedger();
    await appendPayments(ledger, 30);
    const server = new FakeBackOffice(key.publicKeyPem, kioskIdOf(key.publicKeyPem));
    server.script.push('normal', 'normal', 'store_then_fail'); // status, batch 1 answered, batch 2 stored but its answer lost
    const first = startKioskSync({ ledger, key, serverUrl: 'http://back-office.test', fetch: server.fetch as typeof fetch, batchSize: 40, debounceMs: 0, backoff: { baseMs: 60_000, capMs: 60_000 } });
    await until(() => first.sync.status().phase === 'backing_off');
    await first.stop(); // the kiosk dies here
    ledger.close();
    expect(server.held).toHaveLength(80);

    const reopened = RuntimeLedger.open(path, key);
    expect(reopened.pendingCount()).toBe(80);
    const second = startKioskSync({ ledger: reopened, key, serverUrl: 'http://back-office.test', fetch: server.fetch as typeof fetch, batchSize: 40, debounceMs: 0 });
    await until(() => reopened.pendingCount() === 0);
    await second.stop();
    expect(server.held).toEqual(reopened.rowsSince(0, 1_000));
    expect(second.sync.status().last_report).toMatchObject({ stored: 40, duplicates: 0, acknowledged_through_seq: 120 });
    reopened.close();
  });
});

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

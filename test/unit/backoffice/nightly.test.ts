import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openBackOfficeDb } from '../../../src/backoffice/db/connect';
import { scheduleNightly, type NightlyClock } from '../../../src/backoffice/reconcile/nightly';
import type { ReconciliationSummary } from '../../../src/backoffice/reconcile/summary';

// The nightly run on a simulated clock: it fires at 02:00 local time, reconciles
// the day that just ended, re-arms for the next night, and stops when told.

class SimClock implements NightlyClock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  constructor(public t: number) {}
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  get pending() {
    return this.timers.length;
  }
  /** Moves time forward, firing due timers in order. */
  advanceTo(iso: string) {
    const until = Date.parse(iso);
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (due === undefined || due.at > until) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = until;
  }
}

describe('scheduleNightly', () => {
  it('runs at 02:00 local time for the day that ended, every night, across a daylight-saving change, until stopped', async () => {
    const store = await openBackOfficeDb('sqlite::memory:');
    onTestFinished(() => store.close());
    const out_root = mkdtempSync(join(tmpdir(), 'civicard-nightly-'));
    // Saturday 2026-03-07 12:00 in Chicago (CST, UTC-6); clocks spring forward on the 8th at 02:00.
    const clock = new SimClock(Date.parse('2026-03-07T18:00:00.000Z'));
    const done: ReconciliationSummary[] = [];
    const failed: Error[] = [];
    let settle: () => void = () => {};
    const schedule = scheduleNightly(store, { at: '02:00', time_zone: 'America/Chicago', out_root, clock, onDone: (s) => (done.push(s), settle()), onError: (e) => failed.push(e) });
    expect(schedule.nextRunAt()!.toISOString()).toBe('2026-03-08T08:00:00.000Z');

    const first = new Promise<void>((r) => (settle = r));
    clock.advanceTo('2026-03-08T07:59:59.000Z');
    expect(done).toHaveLength(0);
    clock.advanceTo('2026-03-08T08:00:00.000Z');
    await first;
    expect(done.map((s) => s.business_date)).toEqual(['2026-03-07']);
    expect(existsSync(join(out_root, '2026-03-07', 'summary.json'))).toBe(true);
    // 02:00 did not exist on the 8th; from the 9th it is CDT, UTC-5.
    expect(schedule.nextRunAt()!.toISOString()).toBe('2026-03-09T07:00:00.000Z');

    const second = new Promise<void>((r) => (settle = r));
    clock.advanceTo('2026-03-09T07:00:00.000Z');
    await second;
    expect(done.map((s) => s.business_date)).toEqual(['2026-03-07', '2026-03-08']);
    expect(done[1]!.window).toEqual({ from: '2026-03-08T06:00:00.000Z', to: '2026-03-09T05:00:00.000Z' });

    expect(failed).toEqual([]);
    schedule.stop();
    expect(schedule.nextRunAt()).toBeNull();
    expect(clock.pending).toBe(0);
  });

  it('refuses a time or zone it cannot read', () => {
    expect(() => scheduleNightly(null as never, { at: '2am', time_zone: 'America/Chicago', out_root: '/tmp' })).toThrow(/HH:MM/);
    expect(() => scheduleNightly(null as never, { at: '02:00', time_zone: 'Mars/Olympus', out_root: '/tmp' })).toThrow(/unknown time zone/);
  });
});

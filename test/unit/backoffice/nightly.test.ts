import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openBackOfficeDb } from '../../../src/backoffice/db/connect';
import { nightlyRunLine, scheduleNightly, startServerNightly, type NightlyClock } from '../../../src/backoffice/reconcile/nightly';
import type { ReconciliationSummary } from '../../../src/backoffice/reconcile/summary';
import { ScenarioClock, ScenarioKiosk, TestCard } from '../../support/reconcile-scenario';

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

describe('startServerNightly (what civicard server runs)', () => {
  /** A store with one day (2026-03-02, Chicago) that has an open intent: an exception naming a card. */
  async function storeWithCardException() {
    const store = await openBackOfficeDb('sqlite::memory:');
    onTestFinished(() => store.close());
    const kiosk = new ScenarioKiosk('Central Library', new ScenarioClock('2026-03-02T15:00:00.000Z'));
    await kiosk.enroll(store);
    const card = new TestCard('ab'.repeat(16), 1_000, 3);
    kiosk.intent(card, 'library_fine', 350);
    await kiosk.sync(store);
    return { store, card };
  }

  it('logs when it will run, then one line per night with the figures and no card reference', async () => {
    const { store, card } = await storeWithCardException();
    const out_root = mkdtempSync(join(tmpdir(), 'civicard-nightly-'));
    const clock = new SimClock(Date.parse('2026-03-02T20:00:00.000Z'));
    const lines: string[] = [];
    let settle: () => void = () => {};
    const ran = new Promise<void>((r) => (settle = r));
    const nightly = startServerNightly(store, { at: '02:00', time_zone: 'America/Chicago', out_root, clock, log: (l) => (lines.push(l), l.includes('reconciliation of') && settle()) });
    expect(lines).toEqual([`nightly reconciliation at 02:00 America/Chicago into ${out_root}/YYYY-MM-DD; next run 2026-03-03T08:00:00.000Z`]);
    clock.advanceTo('2026-03-03T08:00:00.000Z');
    await ran;
    nightly.stop();
    const summary = JSON.parse(readFileSync(join(out_root, '2026-03-02', 'summary.json'), 'utf8')) as ReconciliationSummary;
    // The exceptions name the card; the log line does not.
    expect(summary.exceptions.some((e) => e.card_ref === card.card_ref)).toBe(true);
    expect(lines[1]).toBe(
      `nightly reconciliation of 2026-03-02 (America/Chicago): 0 card transactions, liability holds, exceptions 0 critical / ${summary.exception_counts.warning} warning / ${summary.exception_counts.info} info; reports in ${join(out_root, '2026-03-02')}`,
    );
    expect(lines.join('\n')).not.toContain(card.card_ref);
    expect(lines.join('\n')).not.toContain(card.card_ref.slice(0, 8));
  });

  it('runNow reconciles a given day at once through the same path, and refuses while a run is going', async () => {
    const { store } = await storeWithCardException();
    const out_root = mkdtempSync(join(tmpdir(), 'civicard-nightly-'));
    const clock = new SimClock(Date.parse('2026-03-05T20:00:00.000Z'));
    const lines: string[] = [];
    let settle: () => void = () => {};
    const ran = new Promise<void>((r) => (settle = r));
    const nightly = startServerNightly(store, { at: '02:00', time_zone: 'America/Chicago', out_root, clock, log: (l) => (lines.push(l), l.includes('card transactions') && settle()) });
    nightly.runNow('2026-03-02');
    nightly.runNow('2026-03-02');
    await ran;
    nightly.stop();
    expect(lines.filter((l) => l.startsWith('nightly reconciliation of 2026-03-02 (America/Chicago): 0 card transactions'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('nightly reconciliation of 2026-03-02 failed: the reconciliation before is still running'))).toHaveLength(1);
    expect(existsSync(join(out_root, '2026-03-02', 'report.pdf'))).toBe(true);
    expect(() => nightly.runNow('March 2nd')).toThrow(/YYYY-MM-DD/);
  });

  it('a failed night is logged with any card reference the error quotes cut out, and the next night is still armed', async () => {
    const ref = 'cd'.repeat(16);
    const broken = new Proxy({}, { get: () => { throw new Error(`duplicate key value (card_ref)=(${ref})`); } });
    const clock = new SimClock(Date.parse('2026-03-02T20:00:00.000Z'));
    const lines: string[] = [];
    let settle: () => void = () => {};
    const failed = new Promise<void>((r) => (settle = r));
    const nightly = startServerNightly({ db: broken, dialect: 'sqlite', close: async () => {} } as never, { at: '02:00', time_zone: 'America/Chicago', out_root: tmpdir(), clock, log: (l) => (lines.push(l), l.includes('failed') && settle()) });
    clock.advanceTo('2026-03-03T08:00:00.000Z');
    await failed;
    expect(lines[1]).toBe('nightly reconciliation of 2026-03-02 failed: duplicate key value (card_ref)=(<card ref>); run civicard reconcile --date 2026-03-02 once it is fixed');
    expect(nightly.nextRunAt()!.toISOString()).toBe('2026-03-04T08:00:00.000Z');
    nightly.stop();
  });

  it('the line for a night names the figures, not the cards', () => {
    const s = { business_date: '2026-03-02', time_zone: 'UTC', totals: { transactions: 3 }, liability: { holds: false, difference_minor: -200 }, exception_counts: { critical: 2, warning: 0, info: 1 } } as unknown as ReconciliationSummary;
    expect(nightlyRunLine(s, '/r/2026-03-02')).toBe('nightly reconciliation of 2026-03-02 (UTC): 3 card transactions, liability DOES NOT HOLD (-200 apart), exceptions 2 critical / 0 warning / 1 info; reports in /r/2026-03-02');
  });
});

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBackOfficeDb } from '../../src/backoffice/db/connect';
import { ScenarioClock, ScenarioKiosk, TestCard } from '../support/reconcile-scenario';
import { runCivicard } from '../support/civicard-cli';

const civicard = (...args: string[]) => runCivicard(args);

/** An SQLite back-office file fed by two real kiosk ledgers: a day with one clone. */
async function storeFile() {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-recon-cli-'));
  const path = join(dir, 'backoffice.db');
  const store = await openBackOfficeDb(`sqlite:${path}`);
  const clock = new ScenarioClock('2026-03-01T18:00:00.000Z');
  const library = new ScenarioKiosk('Central Library', clock);
  const parking = new ScenarioKiosk('Parking, East "Lot 4"', clock);
  await library.enroll(store);
  await parking.enroll(store);
  const card = new TestCard('ab'.repeat(16), 0, 1);
  library.pay(card, 'opening_balance', 2_000);
  clock.set('2026-03-02T15:00:00.000Z');
  library.pay(card, 'library_fine', 350);
  parking.pay(card, 'parking', 200);
  clock.set('2026-03-03T15:00:00.000Z');
  const copy = new TestCard(card.card_ref, card.balance, card.counter);
  library.pay(card, 'library_fine', 100);
  parking.pay(copy, 'parking', 100);
  await library.sync(store);
  await parking.sync(store);
  await store.close();
  return { dir, path };
}

describe('civicard reconcile', () => {
  it('prints the totals and the liability equation, writes the reports, and exits 0 even with exceptions; 2 when it cannot run', async () => {
    const { dir, path } = await storeFile();
    const out = join(dir, 'out-02');
    const clean = await civicard('reconcile', '--db', `sqlite:${path}`, '--date', '2026-03-02', '--time-zone', 'America/Chicago', '--out', out);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('reconciliation of 2026-03-02 (America/Chicago, 2026-03-02T06:00:00.000Z to 2026-03-03T06:00:00.000Z): 2 card transactions');
    expect(clean.stdout).toContain('liability 2,000 + top-ups 0 + opening balances 0 − payments 550 − voids 0 + credit backs 0 + replacements 0 = 1,450; cards hold 1,450 ✓');
    expect(clean.stdout).toContain('exceptions: 0 critical, 0 warning, 0 info');
    for (const f of ['summary.json', 'exceptions.csv', 'revenue.csv', 'shifts.csv', 'cards.csv', 'report.pdf']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'revenue.csv'), 'utf8')).toContain('branch,"Parking, East ""Lot 4""",');

    const out3 = join(dir, 'out-03');
    const cloned = await civicard('reconcile', '--db', `sqlite:${path}`, '--date', '2026-03-03', '--time-zone', 'America/Chicago', '--out', out3);
    expect(cloned.code).toBe(0);
    expect(cloned.stdout).toMatch(/cards hold 1,350 ✗ \(100 apart/);
    expect(cloned.stdout).toMatch(/CRITICAL card_clone: Card abababab…: two different transactions started at the same card counter 4/);
    const summary = JSON.parse(readFileSync(join(out3, 'summary.json'), 'utf8'));
    expect(summary.exceptions.map((e: { kind: string }) => e.kind)).toEqual(['card_clone', 'liability_mismatch']);
    expect(readFileSync(join(out3, 'exceptions.csv'), 'utf8').split('\r\n')[0]).toBe('severity,kind,kiosk_id,branch,card_ref,tx_id,explanation');

    const badDate = await civicard('reconcile', '--db', `sqlite:${path}`, '--date', '2026-02-30', '--out', out);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/could not reconcile 2026-02-30: the date must be YYYY-MM-DD, a real day/);
    const noStore = await civicard('reconcile', '--db', `sqlite:${join(dir, 'missing.db')}`, '--date', '2026-03-02', '--out', out);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/no back-office database at/);
  });
});

import { describe, expect, it } from 'vitest';
import { runRecoveryHarness } from '../harness/recovery';

// A short run of the recovery harness in every test run; `npm run
// harness:recovery` runs the full 1,000 points.
describe('recovery harness', () => {
  it('after random tears and SIGKILLs, card and ledger agree to the cent and every intent is settled', async () => {
    const report = await runRecoveryHarness({ points: 60 });
    expect(report).toMatchObject({
      open_intents: 0,
      committed_tx_ids_unique: true,
      card_history_matches_ledger: true,
      ledger_verified: true,
      ok: true,
    });
    expect(report.card_balance_minor).toBe(report.ledger_expected_balance_minor);
    expect(report.kill_points).toBeGreaterThan(5);
    expect(report.tear_points).toBeGreaterThan(5);
  }, 300_000);
});

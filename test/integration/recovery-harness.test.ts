import { describe, expect, it } from 'vitest';
import { planLife, prng, runRecoveryHarness } from '../harness/recovery';

// A short run of the recovery harness in every test run; `npm run
// harness:recovery` runs the full 1,000 points.
describe('recovery harness', () => {
  it('plans the same lives from the same seed', () => {
    const plans = (seed: number) => {
      const next = prng(seed);
      let previous = null;
      const lives = [];
      for (let i = 0; i < 20; i++) lives.push((previous = planLife(next, '/run', previous)));
      return lives;
    };
    expect(plans(1234)).toEqual(plans(1234));
    expect(plans(1234)).not.toEqual(plans(1235));
  });

  it('after tears and SIGKILLs at the kiosk, elsewhere, at the attendant station and in credit backs, every ledger agrees with the card to the cent and guesses nothing', async () => {
    const report = await runRecoveryHarness({ points: 60, seed: 20_260_101 });
    expect(report).toMatchObject({
      seed: 20_260_101,
      open_intents: 0,
      ledgers_verified: true,
      journal_balances_continuous: true,
      card_tx_ids_unique: true,
      card_commits_without_intent: [],
      committed_tx_ids_unique: true,
      double_reversals: [],
      errors: [],
      ok: true,
    });
    for (const ledger of Object.values(report.ledgers)) {
      expect(ledger).toMatchObject({ verified: true, open: 0, committed_not_on_card: [], aborted_but_on_card: [] });
      expect(ledger.uncertain_on_card + ledger.uncertain_not_on_card).toBe(ledger.uncertain);
    }
    expect(report.card_balance_minor).toBe(report.journal_balance_minor);
    expect(report.card_balance_minor).toBe(report.ledgers_balance_minor);
    expect(report.kill_points).toBeGreaterThan(5);
    expect(report.tear_points).toBeGreaterThan(5);
    expect(report.steps.elsewhere_payments).toBeGreaterThan(0);
    expect(report.steps.refused_payments).toBeGreaterThan(0);
    expect(report.steps.top_ups).toBeGreaterThan(0);
    expect(report.steps.voids).toBeGreaterThan(0);
  }, 120_000);
});

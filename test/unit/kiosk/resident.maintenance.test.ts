// A staff card at the resident kiosk opens the maintenance screen: nothing of
// the card but its masked serial is kept, no payment can start from there, and
// it ends when the card leaves, on exit or cancel, or after the timeout.
import { describe, expect, it } from 'vitest';
import type { ResidentContext } from '../../../src/kiosk/machines/resident';
import { TEST_TIMEOUTS, out } from './support/fixtures';
import { residentDriver } from './support/resident-model';

const ctx = (d: { snapshot: { context: unknown } }): ResidentContext => d.snapshot.context as ResidentContext;

/** A staff card answers each read until `resident` is set. */
function staffThenResident() {
  const reads = { next: out.readStaff as unknown };
  const d = residentDriver({ readCard: () => reads.next });
  return { d, residentNext: () => (reads.next = out.readOk) };
}

describe('resident machine: the maintenance screen', () => {
  it('a staff card tapped at the attract screen opens maintenance, keeping only its masked serial', async () => {
    const { d } = staffThenResident();
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.value).toEqual({ maintenance: 'active' });
    expect(d.snapshot.hasTag('maintenance')).toBe(true);
    expect(ctx(d).maintenance_staff).toBe('•••• 0417');
    expect(ctx(d).card).toBeNull();
    expect(JSON.stringify(ctx(d))).not.toContain('attendant');
  });

  it('a staff card tapped while waiting for a card opens it too', async () => {
    const { d } = staffThenResident();
    await d.settle();
    await d.act({ type: 'TOUCH' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.hasTag('maintenance')).toBe(true);
  });

  it('no payment can start from it: service, confirm and continue are ignored, nothing is asked of the ledger or the card', async () => {
    const { d } = staffThenResident();
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    for (const e of [{ type: 'CONTINUE' }, { type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'fine-77' }, { type: 'CONFIRM' }, { type: 'CARD_PRESENTED' }, { type: 'SHOW_HISTORY' }]) {
      await d.act(e);
      expect(d.snapshot.hasTag('maintenance')).toBe(true);
    }
    expect(d.snapshot.hasTag('money_path')).toBe(false);
    for (const actor of ['checkRisk', 'quote', 'allocateTxId', 'writeIntent', 'debitCard']) expect(d.callsTo(actor)).toEqual([]);
  });

  it.each([['EXIT_MAINTENANCE'], ['CANCEL'], ['CARD_REMOVED']])('%s goes back to attract and forgets the staff card', async (type) => {
    const { d } = staffThenResident();
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type });
    expect(d.value).toBe('idle');
    expect(ctx(d).maintenance_staff).toBeNull();
  });

  it('times out with a warning like every waiting screen, and a touch extends', async () => {
    const { d } = staffThenResident();
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    d.clock.advance(TEST_TIMEOUTS.idle_ms);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    await d.act({ type: 'TOUCH' });
    expect(d.value).toEqual({ maintenance: 'active' });
    d.clock.advance(TEST_TIMEOUTS.idle_ms);
    d.clock.advance(TEST_TIMEOUTS.warning_ms);
    expect(d.value).toBe('idle');
  });

  it('after maintenance a resident card still pays as before', async () => {
    const { d, residentNext } = staffThenResident();
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'EXIT_MAINTENANCE' });
    residentNext();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.value).toEqual({ session: { balanceShown: 'active' } });
    await d.act({ type: 'CONTINUE' });
    await d.act({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'fine-77' });
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('debitCard')).toHaveLength(1);
    expect(d.callsTo('recordCommitted')).toHaveLength(1);
  });
});

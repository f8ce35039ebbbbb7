// Persisted snapshots: a kiosk that dies mid-payment comes back on the
// recovery path, and never sends a debit twice.
import { describe, expect, it } from 'vitest';
import { residentMachine, type ResidentContext } from '../../../src/kiosk/machines/resident';
import { recoveryFromSnapshot, residentInputAfterRestart } from '../../../src/kiosk/machines/recovery';
import { Driver } from './support/driver';
import { EVIDENCE, TEST_TIMEOUTS, TX_ID, out } from './support/fixtures';
import { HAPPY, RESIDENT_ACTORS, WAIT, residentDriver, toConfirming } from './support/resident-model';

const ctx = (d: { snapshot: { context: unknown } }): ResidentContext => d.snapshot.context as ResidentContext;

/** What survives a crash: the persisted snapshot, through JSON, as it would on disk. */
function crash(d: Driver<typeof residentMachine>): unknown {
  const persisted: unknown = JSON.parse(JSON.stringify(d.actor.getPersistedSnapshot()));
  d.stop();
  return persisted;
}

function restart(persisted: unknown, overrides: Parameters<typeof residentDriver>[0] = {}): Driver<typeof residentMachine> {
  return residentDriver(overrides, residentInputAfterRestart(persisted, { timeouts: TEST_TIMEOUTS }));
}

async function snapshotDuringDebit(): Promise<unknown> {
  const d = residentDriver({ debitCard: WAIT });
  await toConfirming(d);
  await d.act({ type: 'CONFIRM' });
  expect(d.snapshot.matches({ payment: 'debiting' })).toBe(true);
  expect(d.callsTo('writeIntent')).toHaveLength(1);
  return crash(d);
}

describe('resident machine restored from a persisted snapshot', () => {
  it('taken after the intent and before the debit answered: restores into the uncertain path, no second debit', async () => {
    const persisted = await snapshotDuringDebit();
    const d = restart(persisted);
    await d.settle();

    expect(d.snapshot.matches({ payment: { uncertain: 'waitingForSameCard' } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.present_same_card', tx_id: TX_ID });
    expect(d.callsTo('debitCard')).toEqual([]);
    expect(d.callsTo('writeIntent')).toEqual([]);

    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.callsTo('settleUncertain')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID, amount_minor: 750 } });
    expect(d.callsTo('recordUncertain')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID }, cause: 'kiosk_restarted' });
    expect(d.callsTo('recordCommitted')).toEqual([]); // the settlement wrote its own entry
    expect(d.callsTo('fulfil')).toHaveLength(1);
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
    expect(d.callsTo('debitCard')).toEqual([]);
  });

  it('…which is why the snapshot is not restored as-is: xstate would start the pending debit again', async () => {
    const persisted = await snapshotDuringDebit();
    const naive = new Driver(residentMachine, { actorNames: RESIDENT_ACTORS, snapshot: persisted, responders: HAPPY });
    await naive.settle();
    expect(naive.callsTo('debitCard')).toHaveLength(1);
    naive.stop();
  });

  it('the same card settles a restored payment that never reached the card as not committed', async () => {
    const persisted = await snapshotDuringDebit();
    const d = restart(persisted, { settleUncertain: () => out.settleNotCommitted });
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.callsTo('recordAborted')).toEqual([]); // the settled entry (not committed) closes it
    expect(d.snapshot.matches({ payment: 'aborted' })).toBe(true);
    expect(d.callsTo('fulfil')).toEqual([]);
  });

  it('taken while the intent was being written: also settled by the card (the debit may have started since)', async () => {
    const d0 = residentDriver({ writeIntent: WAIT });
    await toConfirming(d0);
    await d0.act({ type: 'CONFIRM' });
    const persisted = crash(d0);
    expect(recoveryFromSnapshot(persisted)?.stage).toBe('intent_pending');
    const d = restart(persisted);
    await d.settle();
    expect(d.snapshot.matches({ payment: 'uncertain' })).toBe(true);
    expect(d.callsTo('debitCard')).toEqual([]);
  });

  it('taken after the card committed: writes the committed entry (idempotent by tx id) and serves the resident', async () => {
    const d0 = residentDriver({ recordCommitted: WAIT });
    await toConfirming(d0);
    await d0.act({ type: 'CONFIRM' });
    const persisted = crash(d0);
    const d = restart(persisted);
    await d.settle();
    expect(d.callsTo('debitCard')).toEqual([]);
    expect(d.callsTo('recordCommitted')[0]?.input).toMatchObject({ tx: { tx_id: TX_ID }, evidence: EVIDENCE });
    expect(d.callsTo('fulfil')).toHaveLength(1);
    expect(d.snapshot.matches({ payment: 'done' })).toBe(true);
  });

  it('taken before any money moved, or after the payment finished: a fresh start at attract', async () => {
    const before = residentDriver();
    await toConfirming(before);
    expect(recoveryFromSnapshot(crash(before))).toBeNull();

    const after = residentDriver();
    await toConfirming(after);
    await after.act({ type: 'CONFIRM' });
    expect(after.snapshot.matches({ payment: 'done' })).toBe(true);
    const persisted = crash(after);
    expect(recoveryFromSnapshot(persisted)).toBeNull();
    const d = restart(persisted);
    await d.settle();
    expect(d.value).toBe('idle');
  });

  it('a crash while booting after a crash hands the first recovery on', async () => {
    const first = await snapshotDuringDebit();
    const booting = restart(first, { selfTest: WAIT });
    await booting.settle();
    expect(booting.value).toBe('boot');
    const second = crash(booting);
    expect(recoveryFromSnapshot(second)?.tx.tx_id).toBe(TX_ID);
    expect(recoveryFromSnapshot(second)?.stage).toBe('debit_in_flight');
  });

  it('ignores something that is not a resident snapshot', () => {
    expect(recoveryFromSnapshot(null)).toBeNull();
    expect(recoveryFromSnapshot({ context: { payment: { stage: 'debit_in_flight' } } })).toBeNull();
  });
});

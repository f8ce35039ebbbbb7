// The attendant station, one behaviour per test: PIN lockout, shift, top-up
// with the credit key, supervisor void, blind close, timeouts.
import { describe, expect, it } from 'vitest';
import { attendantMachine, type AttendantContext } from '../../../src/kiosk/machines/attendant';
import { waitingStatesWithoutTimeout } from './support/driver';
import { CARD, EVIDENCE, out } from './support/fixtures';
import {
  ATTENDANT,
  ATTENDANT_TIMEOUTS,
  FLOAT_MINOR,
  SHIFT_ID,
  SUPERVISOR,
  TOP_UP_MINOR,
  TOP_UP_TX,
  a,
  attendantDriver,
  signedInWithShift,
  topUp,
} from './support/attendant-model';

const ctx = (d: { snapshot: { context: unknown } }): AttendantContext => d.snapshot.context as AttendantContext;
const names = (d: { calls: { name: string }[] }): string[] => d.calls.map((c) => c.name);

describe('attendant: sign-in', () => {
  it('locks the station after N wrong PINs for the configured time, then lets staff try again', async () => {
    const d = attendantDriver({ verifyPin: () => a.pinRejected }, { timeouts: ATTENDANT_TIMEOUTS, limits: { max_pin_attempts: 3 } });
    await d.act({ type: 'CARD_PRESENTED' });
    for (let i = 1; i <= 2; i++) {
      await d.act({ type: 'PIN_ENTERED', pin: '0000' });
      expect(d.snapshot.matches({ signedOut: 'enteringPin' })).toBe(true);
      expect(ctx(d).notice?.key).toBe('pin.wrong');
      expect(ctx(d).pin_attempts).toBe(i);
    }
    await d.act({ type: 'PIN_ENTERED', pin: '0000' });
    expect(d.snapshot.matches({ signedOut: 'lockedOut' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('pin.locked_out');
    expect(ctx(d).staff).toBeNull();

    await d.act({ type: 'CARD_PRESENTED' }); // ignored while locked
    expect(d.snapshot.matches({ signedOut: 'lockedOut' })).toBe(true);
    d.clock.advance(ATTENDANT_TIMEOUTS.lockout_ms - 1);
    expect(d.snapshot.matches({ signedOut: 'lockedOut' })).toBe(true);
    d.clock.advance(1);
    expect(d.snapshot.matches({ signedOut: 'waitingForStaffCard' })).toBe(true);
    expect(ctx(d).pin_attempts).toBe(0);
  });

  it('sends the PIN to the verifier only; it is never kept in the machine context', async () => {
    const d = attendantDriver();
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'PIN_ENTERED', pin: '2468' });
    expect(d.callsTo('verifyPin')[0]?.input).toEqual({ staff_ref: ATTENDANT.staff_ref, pin: '2468' });
    expect(JSON.stringify(d.snapshot.context)).not.toContain('2468');
    expect(d.snapshot.matches({ signedIn: 'shiftClosed' })).toBe(true);
  });

  it('refuses a card that is not a staff card', async () => {
    const d = attendantDriver({ readStaffCard: () => a.notStaff });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ signedOut: 'staffCardRefused' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('staff.card_refused');
  });

  it("does not let another attendant into someone else's open shift", async () => {
    const staff = [a.staffAttendant, a.staffSupervisor];
    const d = attendantDriver({ readStaffCard: () => staff.shift() });
    await signedInWithShift(d);
    await d.act({ type: 'SIGN_OUT' });
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'PIN_ENTERED', pin: '1357' });
    expect(d.snapshot.matches({ signedIn: 'shiftBusy' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('shift.other_attendant_open');
  });
});

describe('attendant: shift and top-up', () => {
  it('opens a shift with the declared float and refuses a float that is not whole minor units', async () => {
    const d = attendantDriver();
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'PIN_ENTERED', pin: '2468' });
    await d.act({ type: 'OPEN_SHIFT', opening_float_minor: 12.5 });
    expect(ctx(d).notice?.key).toBe('shift.float_invalid');
    expect(d.callsTo('openShift')).toEqual([]);
    await d.act({ type: 'OPEN_SHIFT', opening_float_minor: FLOAT_MINOR });
    expect(d.callsTo('openShift')[0]?.input).toEqual({ staff_ref: ATTENDANT.staff_ref, opening_float_minor: FLOAT_MINOR });
    expect(ctx(d).shift).toEqual({ shift_id: SHIFT_ID, staff_ref: ATTENDANT.staff_ref, opening_float_minor: FLOAT_MINOR });
    expect(d.snapshot.matches({ signedIn: 'menu' })).toBe(true);
  });

  it('tops up with the credit key: intent first, then creditCard, never debitCard', async () => {
    const d = attendantDriver();
    await signedInWithShift(d);
    await topUp(d);
    expect(d.callsTo('readCard')[0]?.input).toEqual({ purpose: 'top_up' });
    expect(d.log.indexOf('writeIntent:answered')).toBeLessThan(d.log.indexOf('creditCard:called'));
    expect(names(d)).not.toContain('debitCard');
    expect(d.callsTo('creditCard')[0]?.input).toMatchObject({
      tx: {
        tx_id: TOP_UP_TX,
        kind: 'top_up',
        direction: 'credit',
        amount_minor: TOP_UP_MINOR,
        balance_before_minor: CARD.balance_minor,
        expected_balance_after_minor: CARD.balance_minor + TOP_UP_MINOR,
        shift_id: SHIFT_ID,
        staff_ref: ATTENDANT.staff_ref,
      },
    });
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({ outcome: 'top_up', amount_minor: TOP_UP_MINOR });
    expect(ctx(d).last_top_up?.tx_id).toBe(TOP_UP_TX);
  });

  it.each([
    ['above the per-top-up maximum', 20_001],
    ['past the purse limit', 48_001],
    ['zero', 0],
  ])('refuses an amount %s before any intent', async (_, amount_minor) => {
    const d = attendantDriver();
    await signedInWithShift(d);
    await d.act({ type: 'TOP_UP' });
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'AMOUNT_ENTERED', amount_minor });
    expect(d.snapshot.matches({ signedIn: { topUp: 'enteringAmount' } })).toBe(true);
    expect(ctx(d).notice?.key).toBe('topup.amount_invalid');
    expect(names(d)).not.toContain('writeIntent');
  });

  it('refuses to top up a hotlisted card', async () => {
    const d = attendantDriver({ readCard: () => a.hotlistedCard });
    await signedInWithShift(d);
    await d.act({ type: 'TOP_UP' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ signedIn: { topUp: 'cardRefused' } })).toBe(true);
  });

  it('a credit with an unknown outcome waits for the same card, which settles it', async () => {
    const d = attendantDriver({ creditCard: () => a.uncertain });
    await signedInWithShift(d);
    await topUp(d);
    expect(d.snapshot.matches({ signedIn: { cardTxn: { uncertain: 'waitingForSameCard' } } })).toBe(true);
    expect(ctx(d).notice).toEqual({ key: 'payment.uncertain.present_same_card', tx_id: TOP_UP_TX });
    expect(d.callsTo('recordUncertain')[0]?.input).toMatchObject({ tx: { tx_id: TOP_UP_TX }, cause: 'card_removed' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.callsTo('recordCommitted')).toEqual([]); // the settlement wrote its own `settled` entry
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({ outcome: 'top_up', balance_after_minor: EVIDENCE.balance_after_minor });
    expect(ctx(d).last_top_up?.tx_id).toBe(TOP_UP_TX);
  });

  it('a committed top-up whose entry cannot be written is retried before anything else, never printed as done', async () => {
    const answers = [out.ledgerDown, out.ledgerOk];
    const d = attendantDriver({ recordCommitted: () => answers.shift() });
    await signedInWithShift(d);
    await topUp(d);
    expect(d.snapshot.matches({ signedIn: { cardTxn: 'recordFailed' } })).toBe(true);
    expect(d.callsTo('printReceipt')).toEqual([]);
    await d.act({ type: 'ACK' });
    expect(d.callsTo('recordCommitted')).toHaveLength(2);
    expect(d.callsTo('printReceipt')).toHaveLength(1);
  });
});

describe('attendant: supervisor void', () => {
  async function voidFlow(d: ReturnType<typeof attendantDriver>): Promise<void> {
    await d.act({ type: 'VOID_LAST' });
    await d.act({ type: 'CARD_PRESENTED' }); // supervisor card
    await d.act({ type: 'PIN_ENTERED', pin: '9999' });
    await d.act({ type: 'CARD_PRESENTED' }); // the resident's card
  }

  it('voids the last top-up with a reversing debit authorised by a supervisor card and PIN', async () => {
    const staff = [a.staffAttendant, a.staffSupervisor];
    const d = attendantDriver({ readStaffCard: () => staff.shift(), readCard: (i: { purpose: string }) => (i.purpose === 'void' ? a.toppedUpCard : a.card) });
    await signedInWithShift(d);
    await topUp(d);
    await d.act({ type: 'ACK' });
    await voidFlow(d);
    expect(d.callsTo('verifyPin')[1]?.input).toEqual({ staff_ref: SUPERVISOR.staff_ref, pin: '9999' });
    expect(d.callsTo('debitCard')[0]?.input).toMatchObject({
      tx: { kind: 'void', direction: 'debit', amount_minor: TOP_UP_MINOR, reverses_tx_id: TOP_UP_TX, authorised_by: SUPERVISOR.staff_ref },
    });
    expect(d.callsTo('printReceipt')[1]?.input).toMatchObject({ outcome: 'void' });
    expect(ctx(d).last_top_up).toBeNull();
    await d.act({ type: 'ACK' });
    await d.act({ type: 'VOID_LAST' }); // nothing left to void
    expect(d.snapshot.matches({ signedIn: 'menu' })).toBe(true);
  });

  it('a void whose card outcome is unknown or whose entry fails leaves nothing to void a second time', async () => {
    for (const overrides of [{ debitCard: () => a.uncertain }, { recordCommitted: (i: { tx: { kind: string } }) => (i.tx.kind === 'void' ? out.ledgerDown : out.ledgerOk) }]) {
      const staff = [a.staffAttendant, a.staffSupervisor];
      const d = attendantDriver({ ...overrides, readStaffCard: () => staff.shift(), readCard: (i: { purpose: string }) => (i.purpose === 'void' ? a.toppedUpCard : a.card) });
      await signedInWithShift(d);
      await topUp(d);
      await d.act({ type: 'ACK' });
      await voidFlow(d);
      // The void intent is durable: from here the top-up is being voided, whatever the card says.
      expect(ctx(d).last_top_up).toBeNull();
      await d.act({ type: 'CANCEL' });
      await d.act({ type: 'ACK' });
      await d.act({ type: 'VOID_LAST' });
      expect(d.callsTo('writeIntent').filter((c) => (c.input as { tx: { kind: string } }).tx.kind === 'void')).toHaveLength(1);
    }
  });

  it('refuses a void authorised by a card that is not a supervisor', async () => {
    const d = attendantDriver();
    await signedInWithShift(d);
    await topUp(d);
    await d.act({ type: 'ACK' });
    await d.act({ type: 'VOID_LAST' });
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ signedIn: { void: 'voidRefused' } })).toBe(true);
    expect(ctx(d).notice?.key).toBe('void.not_supervisor');
  });

  it('refuses a different card and keeps waiting; refuses a card whose top-up was already spent', async () => {
    const staff = [a.staffAttendant, a.staffSupervisor];
    const cards = [a.card, a.otherCard, a.spentCard];
    const d = attendantDriver({ readStaffCard: () => staff.shift(), readCard: () => cards.shift() });
    await signedInWithShift(d);
    await topUp(d);
    await d.act({ type: 'ACK' });
    await voidFlow(d);
    expect(d.snapshot.matches({ signedIn: { void: 'waitingForCard' } })).toBe(true);
    expect(ctx(d).notice?.key).toBe('void.different_card');
    await d.act({ type: 'CARD_PRESENTED' });
    expect(d.snapshot.matches({ signedIn: { void: 'voidRefused' } })).toBe(true);
    expect(ctx(d).notice?.key).toBe('void.balance_too_low');
    expect(names(d)).not.toContain('debitCard');
  });

  it('cannot void once the window has elapsed', async () => {
    const d = attendantDriver({}, { timeouts: { ...ATTENDANT_TIMEOUTS, void_window_ms: 5_000 } });
    await signedInWithShift(d);
    await topUp(d);
    await d.act({ type: 'ACK' });
    d.clock.advance(5_000);
    expect(ctx(d).last_top_up).toBeNull();
    await d.act({ type: 'VOID_LAST' });
    expect(d.snapshot.matches({ signedIn: 'menu' })).toBe(true);
  });
});

describe('attendant: blind close', () => {
  it('takes the count without showing the expected cash, then shows over/short', async () => {
    const d = attendantDriver();
    await signedInWithShift(d);
    await topUp(d);
    await d.act({ type: 'ACK' });
    await d.act({ type: 'CLOSE_SHIFT' });
    expect(d.snapshot.matches({ signedIn: 'countingCash' })).toBe(true);
    expect(ctx(d).close).toBeNull();
    // Nothing the screen could show holds the expected cash (float 5000 + top-up 1000 = 6000).
    expect(JSON.stringify(d.snapshot.context)).not.toMatch(/expected_minor|over_short|\b6000\b/);

    await d.act({ type: 'CASH_COUNTED', counted_minor: 5_900 });
    expect(d.callsTo('closeShift')[0]?.input).toEqual({ shift_id: SHIFT_ID, staff_ref: ATTENDANT.staff_ref, counted_minor: 5_900 });
    expect(d.snapshot.matches({ signedIn: 'shiftSummary' })).toBe(true);
    expect(ctx(d).close).toEqual({ shift_id: SHIFT_ID, expected_minor: 6_000, counted_minor: 5_900, over_short_minor: -100 });
    expect(ctx(d).shift).toBeNull();
    expect(ctx(d).last_top_up).toBeNull();
    await d.act({ type: 'ACK' });
    expect(d.snapshot.matches({ signedOut: 'waitingForStaffCard' })).toBe(true);
  });

  it('keeps the count screen when the ledger cannot close the shift', async () => {
    const d = attendantDriver({ closeShift: () => out.ledgerDown });
    await signedInWithShift(d);
    await d.act({ type: 'CLOSE_SHIFT' });
    await d.act({ type: 'CASH_COUNTED', counted_minor: FLOAT_MINOR });
    expect(d.snapshot.matches({ signedIn: 'countingCash' })).toBe(true);
    expect(ctx(d).notice?.key).toBe('shift.close_failed');
  });
});

describe('attendant: timeouts', () => {
  it('has no waiting state without a timeout, except the staff-card attract screen', () => {
    expect(waitingStatesWithoutTimeout(attendantMachine, ['attendant.signedOut.waitingForStaffCard'])).toEqual([]);
  });

  it('an idle station warns, then signs the attendant out; the shift stays open for their return', async () => {
    const d = attendantDriver();
    await signedInWithShift(d);
    d.clock.advance(ATTENDANT_TIMEOUTS.idle_ms);
    expect(d.snapshot.hasTag('timeout_warning')).toBe(true);
    d.clock.advance(ATTENDANT_TIMEOUTS.warning_ms);
    expect(d.snapshot.matches({ signedOut: 'waitingForStaffCard' })).toBe(true);
    expect(ctx(d).staff).toBeNull();
    expect(ctx(d).shift?.shift_id).toBe(SHIFT_ID);
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'PIN_ENTERED', pin: '2468' });
    expect(d.snapshot.matches({ signedIn: 'menu' })).toBe(true);
  });
});

// The attendant station's contract: commands from outside are checked (a PIN
// only as digits, amounts only as whole minor units) and the view shows
// screens, masked serials and amounts, never a PIN or a staff/card reference.
import { describe, expect, it } from 'vitest';
import { attendantViewOf } from '../../../src/kiosk/api/attendant-view';
import { checkAttendantCommand } from '../../../src/shared/attendant-api';
import { checkMaintenanceCommand } from '../../../src/shared/maintenance-api';
import { checkSpeakRequest, MAX_SPOKEN_CHARS } from '../../../src/shared/speech-api';
import type { AttendantStation } from '../../../src/kiosk/runtime/attendant-station';
import type { SnapshotFrom } from 'xstate';
import { ATTENDANT, attendantDriver, signedInWithShift, TOP_UP_MINOR, TOP_UP_TX } from '../kiosk/support/attendant-model';
import { CARD } from '../kiosk/support/fixtures';

const view = (d: { snapshot: unknown }) => attendantViewOf(d.snapshot as SnapshotFrom<AttendantStation>, 'en');

describe('checkAttendantCommand', () => {
  it('accepts every command the station UI sends', () => {
    for (const type of ['TOUCH', 'CANCEL', 'BACK', 'ACK', 'CONFIRM', 'SIGN_OUT', 'TOP_UP', 'VOID_LAST', 'CLOSE_SHIFT']) {
      expect(checkAttendantCommand({ type })).toEqual({ ok: true, command: { type } });
    }
    expect(checkAttendantCommand({ type: 'PIN_ENTERED', pin: '2468' })).toEqual({ ok: true, command: { type: 'PIN_ENTERED', pin: '2468' } });
    expect(checkAttendantCommand({ type: 'OPEN_SHIFT', opening_float_minor: 5_000, extra: 1 })).toEqual({ ok: true, command: { type: 'OPEN_SHIFT', opening_float_minor: 5_000 } });
    expect(checkAttendantCommand({ type: 'AMOUNT_ENTERED', amount_minor: 1_000 })).toEqual({ ok: true, command: { type: 'AMOUNT_ENTERED', amount_minor: 1_000 } });
    expect(checkAttendantCommand({ type: 'CASH_COUNTED', counted_minor: 0 })).toEqual({ ok: true, command: { type: 'CASH_COUNTED', counted_minor: 0 } });
    expect(checkAttendantCommand({ type: 'SET_LANGUAGE', language: 'pt' })).toEqual({ ok: true, command: { type: 'SET_LANGUAGE', language: 'pt' } });
  });

  it('refuses a PIN that is not 4-8 digits, without echoing it', () => {
    for (const pin of ['123', '123456789', '12a4', ' 1234', 1234, null]) {
      const r = checkAttendantCommand({ type: 'PIN_ENTERED', pin });
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r)).not.toContain(String(pin).trim() || 'x');
    }
  });

  it('refuses amounts that are not whole, non-negative, bounded minor units', () => {
    for (const amount of [-1, 1.5, '100', Number.NaN, 1e12, null]) {
      expect(checkAttendantCommand({ type: 'AMOUNT_ENTERED', amount_minor: amount }).ok).toBe(false);
      expect(checkAttendantCommand({ type: 'OPEN_SHIFT', opening_float_minor: amount }).ok).toBe(false);
      expect(checkAttendantCommand({ type: 'CASH_COUNTED', counted_minor: amount }).ok).toBe(false);
    }
  });

  it('refuses device events, unknown types and non-objects', () => {
    for (const input of [{ type: 'CARD_PRESENTED' }, { type: 'VOID_WINDOW_ELAPSED' }, { type: 'SET_LANGUAGE', language: 'fr' }, [], 'TOUCH', null, {}]) {
      expect(checkAttendantCommand(input).ok).toBe(false);
    }
  });
});

describe('attendantViewOf', () => {
  it('never carries the PIN, a staff reference or a card reference', async () => {
    const d = attendantDriver();
    await d.act({ type: 'CARD_PRESENTED' });
    expect(view(d).screen).toBe('signedOut.enteringPin');
    await d.act({ type: 'PIN_ENTERED', pin: '2468' });
    await d.act({ type: 'OPEN_SHIFT', opening_float_minor: 5_000 });
    await d.act({ type: 'TOP_UP' });
    await d.act({ type: 'CARD_PRESENTED' });
    const v = view(d);
    expect(v.screen).toBe('signedIn.topUp.enteringAmount');
    expect(v.staff).toEqual({ role: 'attendant', masked_serial: ATTENDANT.masked_serial });
    expect(v.card).toEqual({ masked_serial: CARD.masked_serial, balance_minor: CARD.balance_minor });
    const json = JSON.stringify(v);
    expect(json).not.toContain('2468');
    expect(json).not.toContain(ATTENDANT.staff_ref);
    expect(json).not.toContain(CARD.card_ref);
  });

  it('shows the transaction, then offers the void, and the over/short only after the blind count', async () => {
    const d = attendantDriver();
    await signedInWithShift(d);
    expect(view(d)).toMatchObject({ screen: 'signedIn.menu', shift_open: true, void_available: false, close: null });
    await d.act({ type: 'TOP_UP' });
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'AMOUNT_ENTERED', amount_minor: TOP_UP_MINOR });
    expect(view(d)).toMatchObject({ screen: 'signedIn.topUp.confirming', amount_minor: TOP_UP_MINOR });
    await d.act({ type: 'CONFIRM' });
    expect(view(d)).toMatchObject({ screen: 'signedIn.cardTxn.done', txn: { tx_id: TOP_UP_TX, kind: 'top_up', amount_minor: TOP_UP_MINOR, stage: 'settled' } });
    await d.act({ type: 'ACK' });
    expect(view(d)).toMatchObject({ screen: 'signedIn.menu', void_available: true });
    await d.act({ type: 'CLOSE_SHIFT' });
    expect(view(d)).toMatchObject({ screen: 'signedIn.countingCash', close: null });
    await d.act({ type: 'CASH_COUNTED', counted_minor: 6_000 });
    const v = view(d);
    expect(v.screen).toBe('signedIn.shiftSummary');
    expect(v.close).not.toBeNull();
  });
});

describe('maintenance and speech requests', () => {
  it('accepts only the maintenance commands', () => {
    expect(checkMaintenanceCommand({ type: 'RUN_SELF_TEST' })).toEqual({ ok: true, command: { type: 'RUN_SELF_TEST' } });
    expect(checkMaintenanceCommand({ type: 'DELETE_LEDGER' }).ok).toBe(false);
    expect(checkMaintenanceCommand(null).ok).toBe(false);
  });

  it('accepts a sentence in one of the three languages and refuses control characters, overlong text and other languages', () => {
    expect(checkSpeakRequest({ text: ' Hola ', language: 'es' })).toEqual({ ok: true, request: { text: 'Hola', language: 'es' } });
    expect(checkSpeakRequest({ text: 'a\u0007b', language: 'en' }).ok).toBe(false);
    expect(checkSpeakRequest({ text: 'x'.repeat(MAX_SPOKEN_CHARS + 1), language: 'en' }).ok).toBe(false);
    expect(checkSpeakRequest({ text: '', language: 'en' }).ok).toBe(false);
    expect(checkSpeakRequest({ text: 'Bonjour', language: 'fr' }).ok).toBe(false);
  });
});

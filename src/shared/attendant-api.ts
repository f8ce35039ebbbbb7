// The typed contract between the attendant station's core and its UI, like
// kiosk-api.ts is for the resident kiosk. The view carries screens, message
// keys, amounts and masked serials only: no staff or card references, and
// never a PIN (a PIN goes in one command, to the verifier, and never comes back).
import { LANGUAGES, type Language } from './kiosk-api';

export interface AttendantView {
  /** The machine's state path, e.g. "signedIn.topUp.enteringAmount" (timed sub-states folded away). */
  screen: string;
  timeout_warning: boolean;
  notice: { key: string; tx_id: string | null } | null;
  language: Language;
  staff: { role: 'attendant' | 'supervisor'; masked_serial: string } | null;
  /** Whether this station has a shift open (of the signed-in attendant or, on `shiftBusy`, another's). */
  shift_open: boolean;
  /** The card on the reader for a top-up or a void. */
  card: { masked_serial: string; balance_minor: number } | null;
  /** The top-up amount typed in, once accepted. */
  amount_minor: number | null;
  limits: { max_top_up_minor: number; purse_max_minor: number };
  txn: { tx_id: string; kind: 'top_up' | 'void'; amount_minor: number; stage: string } | null;
  /** A supervisor may void the last top-up now. */
  void_available: boolean;
  /** Blind close: present only after the count is in. */
  close: { expected_minor: number; counted_minor: number; over_short_minor: number } | null;
}

export type AttendantCommand =
  | { type: 'TOUCH' }
  | { type: 'CANCEL' }
  | { type: 'BACK' }
  | { type: 'ACK' }
  | { type: 'CONFIRM' }
  | { type: 'SIGN_OUT' }
  | { type: 'TOP_UP' }
  | { type: 'VOID_LAST' }
  | { type: 'CLOSE_SHIFT' }
  | { type: 'PIN_ENTERED'; pin: string }
  | { type: 'OPEN_SHIFT'; opening_float_minor: number }
  | { type: 'AMOUNT_ENTERED'; amount_minor: number }
  | { type: 'CASH_COUNTED'; counted_minor: number }
  | { type: 'REPLACE_CARD' }
  | { type: 'CODE_ENTERED'; code: string }
  | { type: 'SET_LANGUAGE'; language: Language };

export type AttendantCommandCheck = { ok: true; command: AttendantCommand } | { ok: false; error: string };

const SIMPLE = new Set(['TOUCH', 'CANCEL', 'BACK', 'ACK', 'CONFIRM', 'SIGN_OUT', 'TOP_UP', 'VOID_LAST', 'CLOSE_SHIFT', 'REPLACE_CARD']);
/** A lost card's replacement code as typed: letters and digits, a dash or space between the halves allowed. */
export const REPLACEMENT_CODE = /^[A-Za-z0-9]{4}[ -]?[A-Za-z0-9]{4}$/;
/** A staff PIN: digits only, 4 to 8 of them. */
export const STAFF_PIN = /^[0-9]{4,8}$/;
/** No drawer or top-up is anywhere near this: 1 000 000.00 in minor units. */
export const MAX_ENTERED_MINOR = 100_000_000;

const AMOUNT_FIELD = { OPEN_SHIFT: 'opening_float_minor', AMOUNT_ENTERED: 'amount_minor', CASH_COUNTED: 'counted_minor' } as const;

/** Checks a command that arrived from outside the core (IPC, HTTP); never throws, never echoes a PIN. */
export function checkAttendantCommand(input: unknown): AttendantCommandCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'a command is a JSON object with a "type"' };
  const c = input as Record<string, unknown>;
  if (typeof c.type !== 'string') return { ok: false, error: 'a command needs a "type"' };
  if (SIMPLE.has(c.type)) return { ok: true, command: { type: c.type } as AttendantCommand };
  if (c.type === 'PIN_ENTERED') {
    if (typeof c.pin !== 'string' || !STAFF_PIN.test(c.pin)) return { ok: false, error: '"pin" must be 4 to 8 digits' };
    return { ok: true, command: { type: 'PIN_ENTERED', pin: c.pin } };
  }
  if (c.type in AMOUNT_FIELD) {
    const type = c.type as keyof typeof AMOUNT_FIELD;
    const field = AMOUNT_FIELD[type];
    const amount = c[field];
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0 || amount > MAX_ENTERED_MINOR) {
      return { ok: false, error: `"${field}" must be a whole number of minor units from 0 to ${MAX_ENTERED_MINOR}` };
    }
    return { ok: true, command: { type, [field]: amount } as AttendantCommand };
  }
  if (c.type === 'CODE_ENTERED') {
    if (typeof c.code !== 'string' || !REPLACEMENT_CODE.test(c.code)) return { ok: false, error: '"code" must be the 8 letters and digits of a replacement code' };
    return { ok: true, command: { type: 'CODE_ENTERED', code: c.code } };
  }
  if (c.type === 'SET_LANGUAGE') {
    if (!LANGUAGES.includes(c.language as Language)) return { ok: false, error: `"language" must be one of ${LANGUAGES.join(', ')}` };
    return { ok: true, command: { type: 'SET_LANGUAGE', language: c.language as Language } };
  }
  return { ok: false, error: `unknown command "${String(c.type).slice(0, 40)}"` };
}

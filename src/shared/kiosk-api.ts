// The typed contract between the kiosk core and any UI (the Electron renderer
// through IPC, or a browser through the local web shell). The UI sees screens,
// message keys and amounts — never card UIDs, never personal data — and sends
// commands, which are validated here because they come from outside the core.
import type { MaintenanceView } from './maintenance-api';

export type Language = 'es' | 'en' | 'pt';
export const LANGUAGES: readonly Language[] = ['es', 'en', 'pt'];
export const SERVICE_KINDS = ['library_fine', 'parking', 'citation'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export interface KioskView {
  /** The machine's state path, e.g. "session.balanceShown" or "payment.uncertain.waitingForSameCard". */
  screen: string;
  /** True while a timeout warning is showing (touch to stay). */
  timeout_warning: boolean;
  notice: { key: string; tx_id: string | null } | null;
  language: Language;
  card: { masked_serial: string; balance_minor: number; expires_on: string; recent: { tx_tag: string; direction: 'debit' | 'credit'; amount_minor: number; balance_after_minor: number }[] } | null;
  /**
   * `options` (with `multiple`) while the resident chooses what to pay; `screen_params`
   * are for this screen only (e.g. the patron's name as the ILS gave it): never stored or printed.
   */
  quote: {
    kind: ServiceKind;
    amount_minor: number;
    description_key: string;
    options: { id: string; amount_minor: number; label_key: string; label_params: Record<string, string | number>; preselected: boolean }[] | null;
    multiple: boolean;
    screen_params: Record<string, string | number>;
  } | null;
  payment: { tx_id: string; amount_minor: number; stage: string } | null;
  receipt_available: boolean | null;
  /**
   * While a staff card has the maintenance screen open (`screen` "maintenance"): its figures
   * (counts and ages only), null before the first ones arrive and on every other screen.
   */
  maintenance: MaintenanceView | null;
}

export type KioskCommand =
  | { type: 'TOUCH' }
  | { type: 'CANCEL' }
  | { type: 'BACK' }
  | { type: 'CONTINUE' }
  | { type: 'SHOW_HISTORY' }
  | { type: 'SELECT_SERVICE'; kind: ServiceKind; reference: string }
  /** The patron PIN the library asked for; it goes to the service and is never shown back. */
  | { type: 'SUBMIT_PIN'; pin: string }
  | { type: 'CHOOSE'; option_ids: string[] }
  | { type: 'CONFIRM' }
  | { type: 'ACK' }
  | { type: 'FINISH' }
  | { type: 'SET_LANGUAGE'; language: Language };

export type CommandCheck = { ok: true; command: KioskCommand } | { ok: false; error: string };

const SIMPLE = new Set(['TOUCH', 'CANCEL', 'BACK', 'CONTINUE', 'SHOW_HISTORY', 'CONFIRM', 'ACK', 'FINISH']);
/** Printable, no control characters, short: a fine id, a plate, a space number or a citation number. */
const REFERENCE = /^[\p{L}\p{N} ._:/-]{1,40}$/u;
const PIN = /^[A-Za-z0-9]{1,12}$/;
/** An option id as services write them ("fee-0", "d60"): never free text. */
const OPTION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$/;
const MAX_OPTIONS = 50;

/** Checks a command that arrived from outside the core (IPC, HTTP); never throws. */
export function checkCommand(input: unknown): CommandCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'a command is a JSON object with a "type"' };
  const c = input as Record<string, unknown>;
  if (typeof c.type !== 'string') return { ok: false, error: 'a command needs a "type"' };
  if (SIMPLE.has(c.type)) return { ok: true, command: { type: c.type } as KioskCommand };
  if (c.type === 'SELECT_SERVICE') {
    if (!SERVICE_KINDS.includes(c.kind as ServiceKind)) return { ok: false, error: `"kind" must be one of ${SERVICE_KINDS.join(', ')}` };
    if (typeof c.reference !== 'string' || !REFERENCE.test(c.reference.trim())) return { ok: false, error: '"reference" must be 1-40 letters, digits, spaces or ._:/-' };
    return { ok: true, command: { type: 'SELECT_SERVICE', kind: c.kind as ServiceKind, reference: c.reference.trim() } };
  }
  if (c.type === 'SUBMIT_PIN') {
    // the value is never echoed in the error: it is a secret
    if (typeof c.pin !== 'string' || !PIN.test(c.pin)) return { ok: false, error: '"pin" must be 1-12 letters or digits' };
    return { ok: true, command: { type: 'SUBMIT_PIN', pin: c.pin } };
  }
  if (c.type === 'CHOOSE') {
    const ids = c.option_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_OPTIONS || !ids.every((id) => typeof id === 'string' && OPTION_ID.test(id))) {
      return { ok: false, error: `"option_ids" must be a list of 1-${MAX_OPTIONS} option ids (letters, digits, ._:-)` };
    }
    return { ok: true, command: { type: 'CHOOSE', option_ids: [...(ids as string[])] } };
  }
  if (c.type === 'SET_LANGUAGE') {
    if (!LANGUAGES.includes(c.language as Language)) return { ok: false, error: `"language" must be one of ${LANGUAGES.join(', ')}` };
    return { ok: true, command: { type: 'SET_LANGUAGE', language: c.language as Language } };
  }
  return { ok: false, error: `unknown command "${String(c.type).slice(0, 40)}"` };
}

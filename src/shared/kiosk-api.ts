// The typed contract between the kiosk core and any UI (the Electron renderer
// through IPC, or a browser through the local web shell). The UI sees screens,
// message keys and amounts — never card UIDs, never personal data — and sends
// commands, which are validated here because they come from outside the core.

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
  quote: { kind: ServiceKind; amount_minor: number; description_key: string } | null;
  payment: { tx_id: string; amount_minor: number; stage: string } | null;
  receipt_available: boolean | null;
}

export type KioskCommand =
  | { type: 'TOUCH' }
  | { type: 'CANCEL' }
  | { type: 'BACK' }
  | { type: 'CONTINUE' }
  | { type: 'SHOW_HISTORY' }
  | { type: 'SELECT_SERVICE'; kind: ServiceKind; reference: string }
  | { type: 'CONFIRM' }
  | { type: 'ACK' }
  | { type: 'FINISH' }
  | { type: 'SET_LANGUAGE'; language: Language };

export type CommandCheck = { ok: true; command: KioskCommand } | { ok: false; error: string };

const SIMPLE = new Set(['TOUCH', 'CANCEL', 'BACK', 'CONTINUE', 'SHOW_HISTORY', 'CONFIRM', 'ACK', 'FINISH']);
/** Printable, no control characters, short: a fine id, a plate, a space number or a citation number. */
const REFERENCE = /^[\p{L}\p{N} ._:/-]{1,40}$/u;

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
  if (c.type === 'SET_LANGUAGE') {
    if (!LANGUAGES.includes(c.language as Language)) return { ok: false, error: `"language" must be one of ${LANGUAGES.join(', ')}` };
    return { ok: true, command: { type: 'SET_LANGUAGE', language: c.language as Language } };
  }
  return { ok: false, error: `unknown command "${String(c.type).slice(0, 40)}"` };
}

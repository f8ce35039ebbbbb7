// The SIP2 messages Civicard speaks, as data: each message's fixed fields (name
// and width, in order) and its variable fields (two-letter tag → name). One
// generic encoder and decoder work from this table; the typed builders and
// readers below give the client and the simulator named values. Pure.

export interface FixedSpec {
  readonly name: string;
  readonly width: number;
}

export interface FieldSpec {
  readonly name: string;
  readonly repeatable?: true;
}

export interface MessageSpec {
  readonly name: string;
  readonly fixed: readonly FixedSpec[];
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const f = (name: string, width: number): FixedSpec => ({ name, width });
const DATE = f('transaction_date', 18);
const SCREEN = { AF: { name: 'screen_message', repeatable: true }, AG: { name: 'print_line', repeatable: true } } as const;

export const MESSAGES = {
  '93': {
    name: 'Login',
    fixed: [f('uid_algorithm', 1), f('pwd_algorithm', 1)],
    fields: { CN: { name: 'login_user_id' }, CO: { name: 'login_password' }, CP: { name: 'location_code' } },
  },
  '94': { name: 'Login Response', fixed: [f('ok', 1)], fields: {} },
  '99': { name: 'SC Status', fixed: [f('status_code', 1), f('max_print_width', 3), f('protocol_version', 4)], fields: {} },
  '98': {
    name: 'ACS Status',
    fixed: [
      f('online_status', 1),
      f('checkin_ok', 1),
      f('checkout_ok', 1),
      f('acs_renewal_policy', 1),
      f('status_update_ok', 1),
      f('offline_ok', 1),
      f('timeout_period', 3),
      f('retries_allowed', 3),
      f('date_time_sync', 18),
      f('protocol_version', 4),
    ],
    fields: { AO: { name: 'institution_id' }, AM: { name: 'library_name' }, BX: { name: 'supported_messages' }, AN: { name: 'terminal_location' }, ...SCREEN },
  },
  '63': {
    name: 'Patron Information',
    fixed: [f('language', 3), DATE, f('summary', 10)],
    fields: {
      AO: { name: 'institution_id' },
      AA: { name: 'patron_identifier' },
      AC: { name: 'terminal_password' },
      AD: { name: 'patron_password' },
      BP: { name: 'start_item' },
      BQ: { name: 'end_item' },
    },
  },
  '64': {
    name: 'Patron Information Response',
    fixed: [
      f('patron_status', 14),
      f('language', 3),
      DATE,
      f('hold_items_count', 4),
      f('overdue_items_count', 4),
      f('charged_items_count', 4),
      f('fine_items_count', 4),
      f('recall_items_count', 4),
      f('unavailable_holds_count', 4),
    ],
    fields: {
      AO: { name: 'institution_id' },
      AA: { name: 'patron_identifier' },
      AE: { name: 'personal_name' },
      BZ: { name: 'hold_items_limit' },
      CA: { name: 'overdue_items_limit' },
      CB: { name: 'charged_items_limit' },
      BL: { name: 'valid_patron' },
      CQ: { name: 'valid_patron_password' },
      BH: { name: 'currency_type' },
      BV: { name: 'fee_amount' },
      CC: { name: 'fee_limit' },
      AS: { name: 'hold_items', repeatable: true },
      AT: { name: 'overdue_items', repeatable: true },
      AU: { name: 'charged_items', repeatable: true },
      AV: { name: 'fine_items', repeatable: true },
      BU: { name: 'recall_items', repeatable: true },
      CD: { name: 'unavailable_hold_items', repeatable: true },
      BD: { name: 'home_address' },
      BE: { name: 'email_address' },
      BF: { name: 'home_phone_number' },
      ...SCREEN,
    },
  },
  '37': {
    name: 'Fee Paid',
    fixed: [DATE, f('fee_type', 2), f('payment_type', 2), f('currency_type', 3)],
    fields: {
      BV: { name: 'fee_amount' },
      AO: { name: 'institution_id' },
      AA: { name: 'patron_identifier' },
      AC: { name: 'terminal_password' },
      AD: { name: 'patron_password' },
      CG: { name: 'fee_identifier' },
      BK: { name: 'transaction_id' },
    },
  },
  '38': {
    name: 'Fee Paid Response',
    fixed: [f('payment_accepted', 1), DATE],
    fields: { AO: { name: 'institution_id' }, AA: { name: 'patron_identifier' }, BK: { name: 'transaction_id' }, ...SCREEN },
  },
  '35': {
    name: 'End Patron Session',
    fixed: [DATE],
    fields: { AO: { name: 'institution_id' }, AA: { name: 'patron_identifier' }, AC: { name: 'terminal_password' }, AD: { name: 'patron_password' } },
  },
  '36': {
    name: 'End Session Response',
    fixed: [f('end_session', 1), DATE],
    fields: { AO: { name: 'institution_id' }, AA: { name: 'patron_identifier' }, ...SCREEN },
  },
  '97': { name: 'Request ACS Resend', fixed: [], fields: {} },
  '96': { name: 'Request SC Resend', fixed: [], fields: {} },
} as const satisfies Record<string, MessageSpec>;

export type MessageCode = keyof typeof MESSAGES;

export function isMessageCode(code: string): code is MessageCode {
  return Object.hasOwn(MESSAGES, code);
}

export interface SipField {
  readonly tag: string;
  readonly value: string;
}

/** A message as it travels: fixed fields by name, variable fields in wire order (unknown tags kept). */
export interface SipMessage {
  readonly code: MessageCode;
  readonly fixed: Readonly<Record<string, string>>;
  readonly fields: readonly SipField[];
}

export type DecodeError =
  | { kind: 'unknown_message' }
  | { kind: 'short_fixed_part'; message: string; field: string }
  | { kind: 'malformed_field'; message: string; position: number };

export type DecodeResult = { ok: true; message: SipMessage } | { ok: false; error: DecodeError };

export class SipMessageError extends Error {
  override name = 'SipMessageError';
}

const TAG = /^[A-Z0-9]{2}$/;
const FORBIDDEN = /[|\r\n]/;

/** Message → payload text (no AY/AZ, no terminator). Throws on a value the wire cannot carry. */
export function encodeMessage(message: SipMessage): string {
  const spec: MessageSpec = MESSAGES[message.code];
  let out: string = message.code;
  for (const { name, width } of spec.fixed) {
    const value = message.fixed[name];
    if (value === undefined || value.length !== width) throw new SipMessageError(`${spec.name}: fixed field ${name} must be ${width} characters`);
    if (/[\r\n]/.test(value)) throw new SipMessageError(`${spec.name}: fixed field ${name} holds a line end`);
    out += value;
  }
  for (const { tag, value } of message.fields) {
    if (!TAG.test(tag)) throw new SipMessageError(`${spec.name}: field tag must be two capital letters or digits`);
    if (FORBIDDEN.test(value)) throw new SipMessageError(`${spec.name}: field ${tag} holds "|" or a line end`);
    out += `${tag}${value}|`;
  }
  return out;
}

/** Payload text → message, or a typed error naming the field (never its value). */
export function decodeMessage(payload: string): DecodeResult {
  const code = payload.slice(0, 2);
  if (!isMessageCode(code)) return { ok: false, error: { kind: 'unknown_message' } };
  const spec: MessageSpec = MESSAGES[code];
  const fixed: Record<string, string> = {};
  let at = 2;
  for (const { name, width } of spec.fixed) {
    if (payload.length < at + width) return { ok: false, error: { kind: 'short_fixed_part', message: spec.name, field: name } };
    fixed[name] = payload.slice(at, at + width);
    at += width;
  }
  const fields: SipField[] = [];
  const rest = payload.slice(at);
  let position = at;
  for (const segment of rest.split('|')) {
    if (segment.length === 1) return { ok: false, error: { kind: 'malformed_field', message: spec.name, position } };
    if (segment.length >= 2) fields.push({ tag: segment.slice(0, 2), value: segment.slice(2) });
    position += segment.length + 1;
  }
  return { ok: true, message: { code, fixed, fields } };
}

export function describeDecodeError(error: DecodeError): string {
  switch (error.kind) {
    case 'unknown_message':
      return 'unknown SIP2 message code';
    case 'short_fixed_part':
      return `${error.message}: message ends inside fixed field ${error.field}`;
    case 'malformed_field':
      return `${error.message}: malformed variable field at character ${error.position}`;
  }
}

/** The first value of `tag`, or undefined. */
export function fieldValue(message: SipMessage, tag: string): string | undefined {
  return message.fields.find((x) => x.tag === tag)?.value;
}

/** Every value of a repeatable `tag`, in wire order. */
export function fieldValues(message: SipMessage, tag: string): string[] {
  return message.fields.filter((x) => x.tag === tag).map((x) => x.value);
}

/** Builds a message from named fixed values and tagged fields; undefined fields are left out. */
export function sipMessage(code: MessageCode, fixed: Record<string, string>, fields: [string, string | undefined][] = []): SipMessage {
  return { code, fixed, fields: fields.filter((x): x is [string, string] => x[1] !== undefined).map(([tag, value]) => ({ tag, value })) };
}

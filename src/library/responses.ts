import { fieldValue, fieldValues, sipMessage, type SipMessage } from './messages';
import { flag, optionalFlag, SipFieldError } from './fields';

// What the ILS (the ACS) answers: typed builders for the simulator, typed
// readers for the client. The readers keep only what a kiosk needs: a patron's
// address, e-mail and phone are never read out of a 64; the name only for the
// resident's own screen during the session (never stored, logged or printed).

export function loginResponse(ok: boolean): SipMessage {
  return sipMessage('94', { ok: ok ? '1' : '0' });
}

export function readLoginResponse(m: SipMessage): { ok: boolean } {
  return { ok: flag(m.fixed.ok, 'login ok') };
}

/** BX: the sixteen message families of SIP2 2.00, in the specification's order. */
export const SUPPORTED_MESSAGES = [
  'patron_status',
  'checkout',
  'checkin',
  'block_patron',
  'status',
  'resend',
  'login',
  'patron_information',
  'end_patron_session',
  'fee_paid',
  'item_information',
  'item_status_update',
  'patron_enable',
  'hold',
  'renew',
  'renew_all',
] as const;
export type SupportedMessage = (typeof SUPPORTED_MESSAGES)[number];

export interface AcsStatus {
  online: boolean;
  protocol_version: string;
  institution_id: string;
  library_name?: string;
  /** Null when the ILS did not say (no BX). */
  supports_fee_paid: boolean | null;
  timeout_period: string;
  retries_allowed: string;
}

export function acsStatusResponse(r: { date: string; institution_id: string; library_name?: string; supports: readonly SupportedMessage[]; online?: boolean; terminal_location?: string }): SipMessage {
  const bx = SUPPORTED_MESSAGES.map((x) => (r.supports.includes(x) ? 'Y' : 'N')).join('');
  return sipMessage(
    '98',
    {
      online_status: r.online === false ? 'N' : 'Y',
      checkin_ok: 'N',
      checkout_ok: 'N',
      acs_renewal_policy: 'N',
      status_update_ok: 'N',
      offline_ok: 'N',
      timeout_period: '030',
      retries_allowed: '003',
      date_time_sync: r.date,
      protocol_version: '2.00',
    },
    [
      ['AO', r.institution_id],
      ['AM', r.library_name],
      ['BX', bx],
      ['AN', r.terminal_location],
    ],
  );
}

export function readAcsStatus(m: SipMessage): AcsStatus {
  const bx = fieldValue(m, 'BX');
  const feePaid = bx?.charAt(SUPPORTED_MESSAGES.indexOf('fee_paid'));
  return {
    online: flag(m.fixed.online_status, 'on-line status'),
    protocol_version: m.fixed.protocol_version!,
    institution_id: fieldValue(m, 'AO') ?? '',
    library_name: fieldValue(m, 'AM'),
    supports_fee_paid: feePaid === undefined || feePaid === '' ? null : feePaid === 'Y',
    timeout_period: m.fixed.timeout_period!,
    retries_allowed: m.fixed.retries_allowed!,
  };
}

export interface PatronInformationResponse {
  date: string;
  institution_id: string;
  patron_identifier: string;
  personal_name: string;
  valid_patron: boolean;
  valid_patron_password?: boolean;
  language?: string;
  currency_type?: string;
  fee_amount?: string;
  fee_limit?: string;
  fine_items: readonly string[];
  home_address?: string;
  screen_messages?: readonly string[];
}

const count = (n: number) => {
  if (!Number.isInteger(n) || n < 0 || n > 9999) throw new SipFieldError('an item count must be 0-9999');
  return String(n).padStart(4, '0');
};

export function patronInformationResponse(r: PatronInformationResponse): SipMessage {
  const status = r.valid_patron ? ' '.repeat(14) : 'YYYY' + ' '.repeat(10);
  return sipMessage(
    '64',
    {
      patron_status: status,
      language: r.language ?? '000',
      transaction_date: r.date,
      hold_items_count: count(0),
      overdue_items_count: count(0),
      charged_items_count: count(0),
      fine_items_count: count(r.fine_items.length),
      recall_items_count: count(0),
      unavailable_holds_count: count(0),
    },
    [
      ['AO', r.institution_id],
      ['AA', r.patron_identifier],
      ['AE', r.personal_name],
      ['BL', r.valid_patron ? 'Y' : 'N'],
      ['CQ', r.valid_patron_password === undefined ? undefined : r.valid_patron_password ? 'Y' : 'N'],
      ['BH', r.currency_type],
      ['BV', r.fee_amount],
      ['CC', r.fee_limit],
      ...r.fine_items.map((x): [string, string] => ['AV', x]),
      ['BD', r.home_address],
      ...(r.screen_messages ?? []).map((x): [string, string] => ['AF', x]),
    ],
  );
}

/** A 64 as the kiosk sees it: validity, money and the fine items' text. */
export interface PatronFinesView {
  /** BL; an ILS that leaves it out answers for a patron it found. */
  valid_patron: boolean;
  /** CQ; null when no PIN was asked for or the ILS did not say. */
  valid_patron_password: boolean | null;
  currency_type: string | null;
  /** BV as text, null when absent. */
  fee_amount: string | null;
  fine_items: string[];
  /** The fine items count of the fixed part, null when it was blank. */
  fine_items_count: number | null;
  /** AE, for the resident's screen only; null when absent or blank. */
  personal_name: string | null;
}

export function readPatronFines(m: SipMessage): PatronFinesView {
  const countText = m.fixed.fine_items_count ?? '';
  const bl = optionalFlag(fieldValue(m, 'BL'), 'valid patron (BL)');
  return {
    valid_patron: bl ?? !(m.fixed.patron_status ?? '').startsWith('YYYY'),
    valid_patron_password: optionalFlag(fieldValue(m, 'CQ'), 'valid patron password (CQ)'),
    currency_type: fieldValue(m, 'BH')?.trim() || null,
    fee_amount: fieldValue(m, 'BV')?.trim() || null,
    fine_items: fieldValues(m, 'AV'),
    fine_items_count: /^\d{4}$/.test(countText) ? Number(countText) : null,
    personal_name: fieldValue(m, 'AE')?.trim() || null,
  };
}

export function feePaidResponse(r: { accepted: boolean; date: string; institution_id: string; patron_identifier: string; transaction_id?: string; screen_message?: string }): SipMessage {
  return sipMessage('38', { payment_accepted: r.accepted ? 'Y' : 'N', transaction_date: r.date }, [
    ['AO', r.institution_id],
    ['AA', r.patron_identifier],
    ['BK', r.transaction_id],
    ['AF', r.screen_message],
  ]);
}

export function readFeePaidResponse(m: SipMessage): { accepted: boolean; transaction_id: string | null; screen_messages: string[] } {
  return {
    accepted: flag(m.fixed.payment_accepted, 'payment accepted'),
    transaction_id: fieldValue(m, 'BK') ?? null,
    screen_messages: fieldValues(m, 'AF'),
  };
}

export function endSessionResponse(r: { ended: boolean; date: string; institution_id: string; patron_identifier: string }): SipMessage {
  return sipMessage('36', { end_session: r.ended ? 'Y' : 'N', transaction_date: r.date }, [
    ['AO', r.institution_id],
    ['AA', r.patron_identifier],
  ]);
}

export function readEndSessionResponse(m: SipMessage): { ended: boolean } {
  return { ended: flag(m.fixed.end_session, 'end session') };
}

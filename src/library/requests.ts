import { fieldValue, sipMessage, type SipMessage } from './messages';
import { required, SipFieldError } from './fields';

// What the kiosk (the SC) sends: typed builders for the client, typed readers
// for the simulator. Field values are checked by the encoder (no "|").

export interface LoginRequest {
  user_id: string;
  password: string;
  location_code?: string;
}

export function loginRequest(r: LoginRequest): SipMessage {
  return sipMessage('93', { uid_algorithm: '0', pwd_algorithm: '0' }, [
    ['CN', r.user_id],
    ['CO', r.password],
    ['CP', r.location_code],
  ]);
}

export function readLoginRequest(m: SipMessage): LoginRequest {
  return { user_id: required(m, 'CN', 'login user id'), password: required(m, 'CO', 'login password'), location_code: fieldValue(m, 'CP') };
}

export function scStatusRequest(r: { status_code?: '0' | '1' | '2'; max_print_width?: number; protocol_version?: string } = {}): SipMessage {
  const width = r.max_print_width ?? 40;
  if (!Number.isInteger(width) || width < 0 || width > 999) throw new SipFieldError('max print width must be 0-999');
  return sipMessage('99', { status_code: r.status_code ?? '0', max_print_width: String(width).padStart(3, '0'), protocol_version: r.protocol_version ?? '2.00' });
}

export interface PatronInformationRequest {
  transaction_date: string;
  institution_id: string;
  patron_identifier: string;
  language?: string;
  terminal_password?: string;
  patron_password?: string;
  /** Which item list to detail; Civicard asks for fine items (position 4 of the summary). */
  summary?: 'fine_items' | 'none';
  start_item?: number;
  end_item?: number;
}

const SUMMARY_FINE_ITEMS = '   Y      ';
const SUMMARY_NONE = '          ';

export function patronInformationRequest(r: PatronInformationRequest): SipMessage {
  return sipMessage(
    '63',
    { language: r.language ?? '000', transaction_date: r.transaction_date, summary: r.summary === 'none' ? SUMMARY_NONE : SUMMARY_FINE_ITEMS },
    [
      ['AO', r.institution_id],
      ['AA', r.patron_identifier],
      ['AC', r.terminal_password ?? ''],
      ['AD', r.patron_password],
      ['BP', r.start_item?.toString()],
      ['BQ', r.end_item?.toString()],
    ],
  );
}

export function readPatronInformationRequest(m: SipMessage) {
  return {
    institution_id: fieldValue(m, 'AO') ?? '',
    patron_identifier: required(m, 'AA', 'patron identifier'),
    patron_password: fieldValue(m, 'AD'),
    wants_fine_items: (m.fixed.summary ?? '').charAt(3) === 'Y',
  };
}

export interface FeePaidRequest {
  transaction_date: string;
  institution_id: string;
  patron_identifier: string;
  /** Decimal text, "3.50". */
  fee_amount: string;
  currency_type: string;
  transaction_id: string;
  fee_identifier?: string;
  /** SIP2 fee type: 01 other/unknown, 04 overdue … */
  fee_type?: string;
  /** SIP2 payment type: 00 cash, 01 VISA, 02 credit card. */
  payment_type?: string;
  terminal_password?: string;
  patron_password?: string;
}

export function feePaidRequest(r: FeePaidRequest): SipMessage {
  return sipMessage(
    '37',
    { transaction_date: r.transaction_date, fee_type: r.fee_type ?? '01', payment_type: r.payment_type ?? '00', currency_type: r.currency_type },
    [
      ['BV', r.fee_amount],
      ['AO', r.institution_id],
      ['AA', r.patron_identifier],
      ['AC', r.terminal_password],
      ['AD', r.patron_password],
      ['CG', r.fee_identifier],
      ['BK', r.transaction_id],
    ],
  );
}

export function readFeePaidRequest(m: SipMessage): FeePaidRequest {
  return {
    transaction_date: m.fixed.transaction_date!,
    fee_type: m.fixed.fee_type,
    payment_type: m.fixed.payment_type,
    currency_type: m.fixed.currency_type!,
    fee_amount: required(m, 'BV', 'fee amount'),
    institution_id: fieldValue(m, 'AO') ?? '',
    patron_identifier: required(m, 'AA', 'patron identifier'),
    patron_password: fieldValue(m, 'AD'),
    fee_identifier: fieldValue(m, 'CG') || undefined,
    transaction_id: fieldValue(m, 'BK') ?? '',
  };
}

export function endPatronSessionRequest(r: { transaction_date: string; institution_id: string; patron_identifier: string; terminal_password?: string; patron_password?: string }): SipMessage {
  return sipMessage('35', { transaction_date: r.transaction_date }, [
    ['AO', r.institution_id],
    ['AA', r.patron_identifier],
    ['AC', r.terminal_password],
    ['AD', r.patron_password],
  ]);
}

export const requestAcsResend = (): SipMessage => sipMessage('97', {});

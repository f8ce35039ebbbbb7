// Message keys the UI translates. A machine never carries display text, only a
// key and, where the resident needs it to get help, the transaction id.
import type { TxId } from './contracts';

export const MESSAGE_KEYS = [
  'card.removed',
  'card.unreadable',
  'card.not_a_civicard',
  'card.history_unavailable',
  'risk.hotlisted',
  'risk.blocked',
  'risk.expired',
  'risk.hotlist_stale',
  'risk.offline_tx_limit',
  'risk.unsynced_cap',
  'risk.daily_limit',
  'risk.unavailable',
  'quote.nothing_due',
  'quote.not_found',
  'quote.service_unavailable',
  'quote.pin_required',
  'quote.pin_wrong',
  'quote.beyond_max_stay',
  'quote.no_return',
  'quote.no_parking_now',
  'quote.already_paid',
  'quote.choice_invalid',
  'payment.insufficient_funds',
  'payment.not_taken',
  'payment.uncertain.present_same_card',
  'payment.uncertain.different_card',
  'payment.uncertain.try_again',
  'payment.uncertain.unresolved',
  'service.refused.credited_back',
  'service.refused.refund_recorded',
  'service.refused.contact_staff',
  'receipt.unavailable',
  'kiosk.out_of_service',
  'kiosk.ledger_unavailable',
  'kiosk.ledger_fault',
  'reader.lost',
  'staff.card_refused',
  'pin.wrong',
  'pin.locked_out',
  'pin.unavailable',
  'shift.open_failed',
  'shift.other_attendant_open',
  'shift.close_failed',
  'shift.float_invalid',
  'shift.count_invalid',
  'topup.card_refused',
  'topup.amount_invalid',
  'void.not_supervisor',
  'void.different_card',
  'void.balance_too_low',
  'replacement.offline',
  'replacement.unknown_code',
  'replacement.already_used',
  'replacement.refused',
  'replacement.same_card',
  'replacement.over_limit',
] as const;

export type MessageKey = (typeof MESSAGE_KEYS)[number];

export interface Notice {
  readonly key: MessageKey;
  /** Shown on screen when the resident may need it to get help or a receipt. */
  readonly tx_id: TxId | null;
}

export const notice = (key: MessageKey, tx_id: TxId | null = null): Notice => ({ key, tx_id });

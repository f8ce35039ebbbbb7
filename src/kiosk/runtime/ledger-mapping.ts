import type { AbortReason, CardEvidence, CardWriteUncertainty, PaymentTx, TxId, TxKind } from '../machines/contracts';
import {
  REFUND_REASONS,
  type AbortReasonCode,
  type CreditService,
  type DebitService,
  type IntentInput,
  type IntentPayload,
  type PayloadInput,
  type RefundReason,
  type UncertainCause,
} from '../../ledger';

// Between the kiosk machines' PaymentTx and the ledger's payloads. The type
// checks below fail to compile if the machines grow a transaction kind, abort
// reason or uncertainty the ledger has no code for.

const _kinds: readonly (DebitService | CreditService)[] = [] as readonly TxKind[];
const _aborts: readonly AbortReasonCode[] = [] as readonly AbortReason[];
const _uncertain: readonly UncertainCause[] = [] as readonly CardWriteUncertainty[];
void [_kinds, _aborts, _uncertain];

export function intentOf(tx: PaymentTx): IntentInput {
  const fields = {
    tx_id: tx.tx_id,
    card_ref: tx.card_ref,
    amount_minor: tx.amount_minor,
    balance_before_minor: tx.balance_before_minor,
    expected_balance_after_minor: tx.expected_balance_after_minor,
    tmac_counter_before: tx.tmac_counter_before,
    service_ref: tx.quote_ref,
    reverses_tx_id: tx.reverses_tx_id,
    shift_id: tx.shift_id,
  };
  // The service is checked against the direction's list when the entry is validated.
  return tx.direction === 'debit' ? { kind: 'intent', service: tx.kind as DebitService, ...fields } : { kind: 'credit_intent', service: tx.kind as CreditService, ...fields };
}

export function commitOf(tx: PaymentTx, evidence: CardEvidence): PayloadInput {
  return {
    kind: tx.direction === 'debit' ? 'committed' : 'credit_committed',
    tx_id: tx.tx_id,
    balance_after_minor: evidence.balance_after_minor,
    tmac_counter: evidence.tmac_counter,
    tmac_value: evidence.tmac_value,
  };
}

/** A service's refusal reason as one of the ledger's codes; anything else is `service_refused` (no free text is kept). */
export function refundReasonOf(reason: string): RefundReason {
  return (REFUND_REASONS as readonly string[]).includes(reason) ? (reason as RefundReason) : 'service_refused';
}

/** The transaction an open intent describes, for recovery. Receipt and staff fields are not in the ledger. */
export function txOf(i: IntentPayload): PaymentTx {
  return {
    tx_id: i.tx_id as TxId,
    kind: i.service,
    direction: i.kind === 'intent' ? 'debit' : 'credit',
    card_ref: i.card_ref,
    masked_serial: '',
    amount_minor: i.amount_minor,
    balance_before_minor: i.balance_before_minor,
    expected_balance_after_minor: i.expected_balance_after_minor,
    tmac_counter_before: i.tmac_counter_before,
    quote_ref: i.service_ref,
    reverses_tx_id: i.reverses_tx_id,
    shift_id: i.shift_id,
    staff_ref: null,
    authorised_by: null,
  };
}

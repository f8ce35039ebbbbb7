// One interface for every service a resident can pay at the kiosk (library
// fines, parking, citations). The resident machine reaches services only
// through the `quote`, `fulfil` and `refundOrCreditBack` actors built from
// these (see actors.ts).
import type {
  FulfilInput,
  FulfilResult,
  PayableServiceKind,
  QuoteInput,
  QuoteResult,
  RefundInput,
  Result,
} from '../machines/contracts';

/** `undone: false` = the service had nothing to undo (it never accepted the payment). */
export type ServiceRefundResult = Result<{ readonly undone: boolean }, 'service_unavailable'>;

export interface KioskService {
  readonly kind: PayableServiceKind;
  /** What is due for this reference, or why nothing can be paid. No side effects. */
  quote(input: QuoteInput): Promise<QuoteResult>;
  /**
   * Deliver what was paid (SIP2 Fee Paid, a parking session…), online or
   * queued under the same tx_id. Idempotent by tx_id. Expected refusals are
   * `{ status: 'refused' }`, never a throw.
   */
  fulfil(input: FulfilInput): Promise<FulfilResult>;
  /** Undo the service side of a payment that is being given back. Idempotent by tx_id. */
  refund(input: RefundInput): Promise<ServiceRefundResult>;
}

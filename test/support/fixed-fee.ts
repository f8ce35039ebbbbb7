// FixedFeeService: a stand-in with a fixed fee, for tests only (the product
// sells the real services, or their bundled simulators: src/kiosk/demo/sim-services.ts).
// It charges the same amount for any non-empty reference and remembers what it
// fulfilled, so fulfil and refund are idempotent by tx_id like the real ones must be.
import { err, ok, type FulfilInput, type FulfilResult, type PayableServiceKind, type QuoteInput, type QuoteResult, type RefundInput } from '../../src/kiosk/machines/contracts';
import { newTxId } from '../../src/shared/ids';
import type { KioskService, ServiceRefundResult } from '../../src/kiosk/services/types';

export class FixedFeeService implements KioskService {
  private readonly fulfilled = new Set<string>();

  constructor(
    readonly kind: PayableServiceKind,
    readonly fee_minor: number,
  ) {
    if (!Number.isSafeInteger(fee_minor) || fee_minor <= 0) {
      throw new RangeError(`FixedFeeService(${kind}): fee_minor must be a positive integer, got ${fee_minor}`);
    }
  }

  /**
   * An opaque quote id: the reference the resident typed (a plate, a space, a
   * fine or citation number) must not travel into the ledger, which keeps
   * everything for good (DESIGN §8).
   */
  private quoteRef(id: string): string {
    return `fixed:${this.kind}:${id}`;
  }

  async quote(input: QuoteInput): Promise<QuoteResult> {
    if (input.kind !== this.kind || input.reference.trim() === '') return err('not_found');
    return ok({
      quote_ref: this.quoteRef(newTxId()),
      kind: this.kind,
      amount_minor: this.fee_minor,
      description_key: `fixed_fee.${this.kind}`,
    });
  }

  async fulfil({ tx, quote }: FulfilInput): Promise<FulfilResult> {
    if (quote.kind !== this.kind || tx.quote_ref !== quote.quote_ref || !quote.quote_ref.startsWith(this.quoteRef(''))) {
      return { status: 'refused', reason: 'unknown_quote' };
    }
    if (tx.amount_minor !== this.fee_minor || quote.amount_minor !== this.fee_minor) {
      return { status: 'refused', reason: 'amount_mismatch' };
    }
    this.fulfilled.add(tx.tx_id);
    return { status: 'fulfilled', service_ref: `fixed:${tx.tx_id}` };
  }

  async refund({ tx }: RefundInput): Promise<ServiceRefundResult> {
    return ok({ undone: this.fulfilled.delete(tx.tx_id) });
  }
}

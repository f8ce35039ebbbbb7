// A parking service that refuses the payments it is told to, after the card
// has paid — as a SIP2 "payment accepted = N" does — so the kiosk must credit
// the money back onto the card (or record a refund).
import type { FulfilInput, FulfilResult } from '../../src/kiosk/machines/contracts';
import { FixedFeeService } from '../support/fixed-fee';

export class RefusingService extends FixedFeeService {
  /** Refuse every payment fulfilled from now on until set back. */
  refuseNext = false;
  refused = 0;

  override async fulfil(input: FulfilInput): Promise<FulfilResult> {
    if (!this.refuseNext) return super.fulfil(input);
    this.refused++;
    return { status: 'refused', reason: `payment_accepted_N` };
  }
}

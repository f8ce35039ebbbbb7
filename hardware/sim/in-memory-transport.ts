import type { ApduTransport } from '../../src/card/transport';
import { TransportError } from '../../src/card/transport';
import type { ApduHandler } from './apdu-handler';
import type { TearPlan } from './vpcd';

// A card on the desk instead of on a reader: APDUs go straight to a simulator.
// For unit tests of the protocol above the reader; integration tests go through
// pcscd + vpcd instead. Tearing works as on a real field: 'before' loses the
// APDU, 'after' executes it and loses the answer; both power the card off.

export class InMemoryCardTransport implements ApduTransport {
  private inField = true;
  private tear: TearPlan | null = null;
  private sinceArm = 0;
  apdus = 0;

  constructor(private readonly card: ApduHandler) {
    card.powerOn();
  }

  tearAt(plan: TearPlan | null): void {
    this.tear = plan;
    this.sinceArm = 0;
  }

  /** The card comes back into the field (powered on, nothing selected). */
  reinsert(): void {
    this.card.powerOn();
    this.inField = true;
  }

  async transmit(apdu: Buffer): Promise<Buffer> {
    if (!this.inField) throw new TransportError('card removed');
    this.apdus++;
    this.sinceArm++;
    const tearNow = this.tear !== null && this.sinceArm === this.tear.apdu;
    if (tearNow && this.tear!.when === 'before') return this.tearField();
    const answer = this.card.transmit(apdu);
    if (tearNow) return this.tearField();
    return answer;
  }

  private tearField(): never {
    this.tear = null;
    this.inField = false;
    this.card.powerOff();
    throw new TransportError('card removed');
  }
}

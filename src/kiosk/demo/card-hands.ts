import type { ApduHandler } from '../../../hardware/sim/apdu-handler';
import { FakeCardReader } from '../../../hardware/pcsc/fake-reader';
import { VirtualCardInserter, VPCD_DEFAULT_PORT, type TearPlan } from '../../../hardware/sim/vpcd';
import type { CardHand } from './resident-visit';

// Where the demo's simulated cards are tapped: through pcscd + vpcd when it is
// available (the same path a real reader takes), else on an in-memory reader.

export interface CardCounter {
  readonly kind: 'pcscd' | 'in-memory';
  /** The hand that taps `card`; one card on the reader at a time. */
  hand(card: ApduHandler): CardHand;
  /** The next time a card commits (on the reader now or tapped later), the field is torn right after the card ran the commit: the kiosk never hears the answer. */
  tearAfterNextCommit(): void;
}

const INS_WRITE_RECORD = 0x8b;

/** One per counter, shared by its cards: armed before a tap or while a card is on the reader alike. */
interface TearArm {
  armed: boolean;
}

/**
 * Arms a tear for the APDU after the next WriteRecord — the CommitTransaction of
 * a payment — so the demo's "card pulled at the worst moment" lands exactly there.
 */
class CommitTearCard implements ApduHandler {
  constructor(
    private readonly card: ApduHandler,
    private readonly arm: TearArm,
    private readonly tear: (plan: TearPlan) => void,
  ) {}
  get atr() {
    return this.card.atr;
  }
  powerOn() {
    this.card.powerOn();
  }
  powerOff() {
    this.card.powerOff();
  }
  transmit(apdu: Buffer): Buffer {
    if (this.arm.armed && apdu[1] === INS_WRITE_RECORD) {
      this.arm.armed = false;
      this.tear({ apdu: 1, when: 'after' });
    }
    return this.card.transmit(apdu);
  }
}

export function inMemoryCounter(reader: FakeCardReader): CardCounter {
  const wrapped = new Map<ApduHandler, CommitTearCard>();
  const arm: TearArm = { armed: false };
  return {
    kind: 'in-memory',
    hand: (card) => {
      const w = wrapped.get(card) ?? new CommitTearCard(card, arm, (plan) => reader.tearAt(plan));
      wrapped.set(card, w);
      return {
        present: async () => reader.insertCard(w),
        withdraw: async () => reader.removeCard(),
        isPresent: () => reader.status().status === 'card_present',
      };
    },
    tearAfterNextCommit: () => (arm.armed = true),
  };
}

export function vpcdCounter(port = VPCD_DEFAULT_PORT): CardCounter {
  const hands = new Map<ApduHandler, VirtualCardInserter>();
  const arm: TearArm = { armed: false };
  return {
    kind: 'pcscd',
    hand: (card) => {
      let inserter = hands.get(card);
      if (!inserter) {
        const made: VirtualCardInserter = new VirtualCardInserter({ port, handler: new CommitTearCard(card, arm, (plan) => made.tearAt(plan)) });
        hands.set(card, (inserter = made));
      }
      const on = inserter;
      return {
        present: async () => on.insert(),
        withdraw: async () => on.remove(),
        isPresent: () => on.presence !== 'removed',
      };
    },
    tearAfterNextCommit: () => (arm.armed = true),
  };
}

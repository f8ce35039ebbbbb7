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
  /** The next time a card commits, the field is torn right after the card ran the commit: the kiosk never hears the answer. */
  tearAfterNextCommit(): void;
}

const INS_WRITE_RECORD = 0x8b;

/**
 * Arms a tear for the APDU after the next WriteRecord — the CommitTransaction of
 * a payment — so the demo's "card pulled at the worst moment" lands exactly there.
 */
class CommitTearCard implements ApduHandler {
  armed = false;
  constructor(
    private readonly card: ApduHandler,
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
    if (this.armed && apdu[1] === INS_WRITE_RECORD) {
      this.armed = false;
      this.tear({ apdu: 1, when: 'after' });
    }
    return this.card.transmit(apdu);
  }
}

export function inMemoryCounter(reader: FakeCardReader): CardCounter {
  const wrapped = new Map<ApduHandler, CommitTearCard>();
  let armNext = false;
  return {
    kind: 'in-memory',
    hand: (card) => {
      const w = wrapped.get(card) ?? new CommitTearCard(card, (plan) => reader.tearAt(plan));
      wrapped.set(card, w);
      return {
        present: async () => {
          if (armNext) w.armed = true;
          armNext = false;
          reader.insertCard(w);
        },
        withdraw: async () => reader.removeCard(),
        isPresent: () => reader.status().status === 'card_present',
      };
    },
    tearAfterNextCommit: () => (armNext = true),
  };
}

export function vpcdCounter(port = VPCD_DEFAULT_PORT): CardCounter {
  const hands = new Map<ApduHandler, { inserter: VirtualCardInserter; card: CommitTearCard }>();
  let armNext = false;
  return {
    kind: 'pcscd',
    hand: (card) => {
      let entry = hands.get(card);
      if (!entry) {
        let inserter: VirtualCardInserter | null = null;
        const wrapped = new CommitTearCard(card, (plan) => inserter?.tearAt(plan));
        inserter = new VirtualCardInserter({ port, handler: wrapped });
        entry = { inserter, card: wrapped };
        hands.set(card, entry);
      }
      const { inserter, card: wrapped } = entry;
      return {
        present: async () => {
          if (armNext) wrapped.armed = true;
          armNext = false;
          await inserter.insert();
        },
        withdraw: async () => inserter.remove(),
        isPresent: () => inserter.presence !== 'removed',
      };
    },
    tearAfterNextCommit: () => (armNext = true),
  };
}

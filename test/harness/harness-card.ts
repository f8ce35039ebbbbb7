// The resident's card as the recovery harness handles it: one simulated card
// carried from station to station, with a kill switch at one APDU of one step
// and a field tear at a planned APDU of a step. APDUs are counted per step and
// only for this card (staff cards on the same reader do not count).
import { writeSync } from 'node:fs';
import type { FakeCardReader } from '../../hardware/pcsc/fake-reader';
import type { ApduHandler } from '../../hardware/sim/apdu-handler';
import type { DesfireSim } from '../../hardware/sim/desfire';
import type { CardHand } from '../../src/kiosk/demo/resident-visit';
import type { KillPlan, TearPlan } from './recovery-plan';

export const say = (line: string) => writeSync(1, `${line}\n`);
export const die = (why: string): never => {
  say(`KILLED ${why}`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};

export class HarnessCard implements ApduHandler {
  step = -1;
  apdus = 0;
  private tear: TearPlan | null = null;
  private reader: FakeCardReader | null = null;

  constructor(
    private readonly card: DesfireSim,
    private readonly kill: KillPlan,
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

  beginStep(step: number, tear: TearPlan | null): void {
    this.step = step;
    this.apdus = 0;
    this.tear = tear;
  }

  /** The hand that puts this card on `reader` and takes it away. */
  handOn(reader: FakeCardReader): CardHand {
    return {
      present: async () => {
        this.reader = reader;
        this.armTearIfNext();
        reader.insertCard(this);
      },
      withdraw: async () => {
        if (reader.status().status === 'card_present') reader.removeCard();
      },
      isPresent: () => reader.status().status === 'card_present',
    };
  }

  transmit(apdu: Buffer): Buffer {
    this.apdus++;
    const k = this.kill;
    const armed = k.at === 'apdu' && k.step === this.step && k.apdu === this.apdus;
    if (armed && k.when === 'before') die(`apdu ${this.apdus} before`);
    const answer = this.card.transmit(apdu);
    if (armed) die(`apdu ${this.apdus} after`);
    this.armTearIfNext();
    return answer;
  }

  /** The reader tears at its next exchange when that is the planned APDU. */
  private armTearIfNext(): void {
    if (!this.tear || !this.reader || this.apdus + 1 !== this.tear.apdu) return;
    this.reader.tearAt({ apdu: 1, when: this.tear.when });
    this.tear = null;
  }
}

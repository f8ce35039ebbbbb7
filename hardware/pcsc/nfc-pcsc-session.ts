import type { Reader as NfcReader } from 'nfc-pcsc';
import { CardRemovedError, SessionClosedError, type CardSession, type ReaderError } from './types';

// One exclusive hold on a card through nfc-pcsc: APDUs one at a time, and once
// the card, the reader or pcscd is gone every later transmit fails the same way.

export interface Slot {
  readonly name: string;
  readonly nfc: NfcReader;
  readonly generation: number;
  atr: Buffer | null;
  /** Reserved by this app: a session is open or being opened. */
  claimed: boolean;
  session: NfcPcscSession | null;
}

/** What a session needs from the reader driver that opened it. */
export interface SessionOwner {
  endSession(slot: Slot, session: NfcPcscSession): Promise<void>;
  explainTransmitFailure(slot: Slot, failure: unknown, apdu: Buffer): Promise<ReaderError>;
}

export class NfcPcscSession implements CardSession {
  readonly atr: Buffer;
  private queue: Promise<unknown> = Promise.resolve();
  /** Once set, the session is over and every transmit rejects with this. */
  private over: ReaderError | null = null;
  private released = false;

  constructor(
    private readonly owner: SessionOwner,
    private readonly slot: Slot,
    atr: Buffer,
    private readonly maxResponseBytes: number,
  ) {
    this.atr = atr;
  }

  get reader(): string {
    return this.slot.name;
  }

  transmit(apdu: Buffer): Promise<Buffer> {
    const result = this.queue.then(() => this.transmitNow(apdu));
    this.queue = result.catch(() => {});
    return result;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.over ??= new SessionClosedError(this.slot.name, 'release() was called');
    await this.queue;
    await this.owner.endSession(this.slot, this);
  }

  /** The card left while no command was running. */
  cardLeft(): void {
    this.over ??= new CardRemovedError(this.slot.name, 'it was taken away between commands', false);
  }

  readerLost(reason: ReaderError): void {
    // pcscd going away explains a card "removal" it reported while shutting down
    if (!this.over || (reason.kind === 'pcscd_unavailable' && this.over.kind === 'card_removed')) this.over = reason;
    this.slot.session = null;
    this.slot.claimed = false;
    this.slot.nfc.connection = null;
  }

  private async transmitNow(apdu: Buffer): Promise<Buffer> {
    if (this.over) throw this.over;
    let response: Buffer;
    try {
      response = await this.slot.nfc.transmit(apdu, this.maxResponseBytes);
    } catch (err) {
      throw this.fail(await this.owner.explainTransmitFailure(this.slot, err, apdu));
    }
    if (response.length < 2) {
      const failure = new Error(`the reader returned ${response.length} bytes and no status word`);
      throw this.fail(await this.owner.explainTransmitFailure(this.slot, failure, apdu));
    }
    return response;
  }

  private fail(error: ReaderError): ReaderError {
    if (!this.over || this.over.kind === 'card_removed') this.over = error;
    return error;
  }
}

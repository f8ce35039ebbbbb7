// The contactless card reader, behind one small interface (as serialport's
// BindingInterface and vxsuite's card_reader.ts do). Implementations:
//   nfc-pcsc-reader.ts  the real driver: nfc-pcsc -> pcscd -> reader -> card
//   fake-reader.ts      in memory, over an ApduHandler, for unit tests
//
// A card is used through a CardSession: waitForCard() hands one out once a card
// is present and connected exclusively; nobody else can talk to the card until
// release(). Every failure is one of the typed errors below, all ReaderErrors;
// check the specific ones first.

import type { EventEmitter } from 'node:events';

export type ReaderStatus =
  | { status: 'no_reader' }
  | { status: 'no_card'; reader: string }
  | { status: 'card_present'; reader: string; atr: Buffer };

export interface CardSession {
  readonly reader: string;
  readonly atr: Buffer;
  /**
   * Sends one C-APDU and resolves with the whole R-APDU (data then SW1 SW2).
   * Status words are not interpreted here. Calls are queued: one APDU at a time.
   * Rejects with CardRemovedError when the card left during or before the
   * command (the command may or may not have run), ReaderError otherwise.
   */
  transmit(apdu: Buffer): Promise<Buffer>;
  /**
   * Ends the exclusive hold. The real driver resets the card (its volatile
   * state, such as an authentication, ends) unless configured otherwise.
   * Idempotent; never rejects.
   */
  release(): Promise<void>;
}

export interface CardArrival {
  reader: string;
  atr: Buffer;
}

export type CardReaderEvents = {
  'reader-attached': [reader: string];
  'reader-detached': [reader: string];
  'card-arrived': [CardArrival];
  'card-removed': [{ reader: string }];
  /**
   * Something went wrong that no call is waiting to hear about (pcscd went away,
   * a reader thread failed). The reader recovers by itself; this is for logs and
   * health displays. Emitted only when someone listens, so it never crashes.
   */
  error: [ReaderError];
};

export interface WaitForCardOptions {
  /** Only this reader; by default, the first reader with a card that is free. */
  reader?: string;
  timeout_ms: number;
  signal?: AbortSignal;
}

export interface CardReader extends Pick<EventEmitter<CardReaderEvents>, 'on' | 'once' | 'off'> {
  /** Attached reader names, in the order they appeared. */
  readers(): string[];
  /** Now, without I/O. With no name: the first reader with a card, else the first reader. */
  status(reader?: string): ReaderStatus;
  /**
   * Resolves with an exclusive session once a card is present and connectable.
   * Rejects after timeout_ms with NoReaderError (no reader at all), CardInUseError
   * (a card is there but held by someone else) or NoCardError; with the signal's
   * reason when aborted.
   */
  waitForCard(opts: WaitForCardOptions): Promise<CardSession>;
  /** Releases sessions, stops watching readers, frees pcsc resources. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Errors. `kind` is a stable discriminant for logs and IPC; messages are meant
// for the engineer standing at the kiosk.

export type ReaderErrorKind = 'reader' | 'no_reader' | 'no_card' | 'card_removed' | 'card_in_use' | 'pcscd_unavailable' | 'session_closed';

export interface ReaderErrorOptions {
  reader?: string;
  cause?: unknown;
}

export class ReaderError extends Error {
  readonly kind: ReaderErrorKind = 'reader';
  readonly reader: string | undefined;

  constructor(message: string, options: ReaderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReaderError';
    this.reader = options.reader;
  }
}

export class NoReaderError extends ReaderError {
  override readonly kind = 'no_reader';
  constructor(detail = '', options: ReaderErrorOptions = {}) {
    super(
      `no card reader found${detail ? ` ${detail}` : ''}: is pcscd running (systemctl status pcscd) and the reader plugged in (lsusb)?`,
      options,
    );
    this.name = 'NoReaderError';
  }
}

export class NoCardError extends ReaderError {
  override readonly kind = 'no_card';
  constructor(reader: string | undefined, waited_ms: number, options: ReaderErrorOptions = {}) {
    super(`no card was presented${reader ? ` on "${reader}"` : ''} within ${waited_ms} ms`, { ...options, reader });
    this.name = 'NoCardError';
  }
}

export class CardRemovedError extends ReaderError {
  override readonly kind = 'card_removed';
  /**
   * False only when the command was never handed to the reader (the card had
   * already gone). When true, the card may have run it: find out before retrying.
   */
  readonly command_may_have_run: boolean;

  constructor(reader: string, detail: string, command_may_have_run: boolean, options: ReaderErrorOptions = {}) {
    super(
      command_may_have_run
        ? `the card left "${reader}" during a command (${detail}): the command may or may not have taken effect ` +
            'on the card, so ask for the card again and check its state before retrying'
        : `the card left "${reader}" before the command was sent (${detail}): the command did not reach the card; ` +
            'ask for the card again',
      { ...options, reader },
    );
    this.name = 'CardRemovedError';
    this.command_may_have_run = command_may_have_run;
  }
}

export class CardInUseError extends ReaderError {
  override readonly kind = 'card_in_use';
  constructor(reader: string, options: ReaderErrorOptions = {}) {
    super(
      `the card on "${reader}" is held exclusively by another session or program (PC/SC sharing violation): ` +
        'release the other session, or close the other program (pcsc_scan, a browser smart-card extension, opensc tools)',
      { ...options, reader },
    );
    this.name = 'CardInUseError';
  }
}

export class PcscdUnavailableError extends ReaderError {
  override readonly kind = 'pcscd_unavailable';
  constructor(detail: string, options: ReaderErrorOptions = {}) {
    super(
      `lost contact with pcscd (${detail}); reconnecting by itself. If this persists: systemctl status pcscd, journalctl -u pcscd`,
      options,
    );
    this.name = 'PcscdUnavailableError';
  }
}

export class SessionClosedError extends ReaderError {
  override readonly kind = 'session_closed';
  constructor(reader: string, why: string) {
    super(`the card session on "${reader}" is over (${why}); call waitForCard() for a new one`, { reader });
    this.name = 'SessionClosedError';
  }
}

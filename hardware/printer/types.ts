// The receipt printer, behind one small interface (as serialport's
// BindingInterface and hardware/pcsc/types.ts do). Implementations:
//   escpos-printer.ts   the real driver: ESC/POS bytes over a PrinterTransport
//     serial-transport.ts  a serial port (or a pty) opened by path, with status
//     lp-transport.ts      /dev/usb/lp*: plain file writes, no status
//   hardware/sim/printer  a virtual ESC/POS printer on a socat pty (and in memory)
//
// A receipt is a ReceiptDocument (what to print, already in the resident's
// language); the driver turns it into bytes for one code page. Every print has a
// job id: printing a job id that already printed is a no-op (`already_printed`),
// so a retry never produces a second receipt.

/** Paper, cover and link state. `unknown`: this connection cannot ask (e.g. /dev/usb/lp*). */
export type PrinterStatus =
  | { readonly status: 'ready' }
  | { readonly status: 'paper_near_end' }
  | { readonly status: 'paper_out' }
  | { readonly status: 'cover_open' }
  | { readonly status: 'offline'; readonly reason: 'not_answering' | 'error' | 'offline' }
  | { readonly status: 'unknown'; readonly reason: string };

export type PrinterStatusName = PrinterStatus['status'];

// ---------------------------------------------------------------- documents

export type Align = 'left' | 'center' | 'right';

export type ReceiptBlock =
  /** One paragraph; wrapped at the paper width. `large` is double width and height. */
  | { readonly kind: 'text'; readonly text: string; readonly align?: Align; readonly bold?: boolean; readonly size?: 'normal' | 'large' }
  /** A label on the left and a value on the right of the same line. */
  | { readonly kind: 'pair'; readonly label: string; readonly value: string; readonly bold?: boolean }
  /** A horizontal line across the paper. */
  | { readonly kind: 'rule' }
  /** A QR code (model 2) holding `data` (ASCII only). */
  | { readonly kind: 'qr'; readonly data: string; readonly align?: Align }
  | { readonly kind: 'feed'; readonly lines: number };

export interface ReceiptDocument {
  readonly blocks: readonly ReceiptBlock[];
  /** A copy printed again on request: printed with a large `duplicate_label` banner. */
  readonly duplicate?: boolean;
  /** The banner word in the receipt's language; "DUPLICATE" when absent. */
  readonly duplicate_label?: string;
}

export interface PrintOptions {
  /** Unique per receipt (e.g. the transaction id); a reprint request needs its own. */
  readonly jobId: string;
  /** Print the DUPLICATE banner (a reprint). */
  readonly duplicate?: boolean;
}

export type PrintResult =
  | {
      readonly status: 'printed';
      readonly job_id: string;
      /** Status read after printing (`ready`, `paper_near_end`, or `unknown` without a status channel). */
      readonly after: PrinterStatus;
    }
  | { readonly status: 'already_printed'; readonly job_id: string };

export interface ReceiptPrinter {
  /** Asks the printer now. Never rejects for printer conditions: they are statuses. */
  status(): Promise<PrinterStatus>;
  /**
   * Prints one receipt and cuts the paper. Resolves `already_printed` without
   * printing when `jobId` already printed successfully. Rejects with
   * PrinterNotReadyError before sending anything when paper is out, the cover
   * is open or the printer is offline; with PrintFailedError when the printer
   * reports such a condition after the job was sent (the receipt may be partial,
   * the job is not recorded, a retry prints it again).
   */
  print(doc: ReceiptDocument, opts: PrintOptions): Promise<PrintResult>;
  /** Frees the port. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- journal

/** Remembers which jobs printed, and the last receipt (for "reprint last receipt"). */
export interface PrintJournal {
  has(jobId: string): Promise<boolean>;
  /** Called once the printer confirmed the job. */
  record(jobId: string, doc: ReceiptDocument): Promise<void>;
  /** The last recorded receipt, or null. */
  last(): Promise<{ readonly job_id: string; readonly doc: ReceiptDocument } | null>;
}

// ---------------------------------------------------------------- transports

/**
 * Bytes to and from a printer (the BindingInterface of this driver). Bytes the
 * printer sends are queued until read; a reader takes the first queued byte it
 * accepts and leaves the others, because answers to different questions (DLE
 * EOT, GS r) are told apart by their fixed bits, not by order.
 */
export interface PrinterTransport {
  /** For messages: the device path. */
  readonly description: string;
  /** False when the printer's answers cannot be read (no status). */
  readonly canRead: boolean;
  /** Resolves once the bytes have been handed to the device (drained). */
  write(bytes: Uint8Array): Promise<void>;
  /** Removes and resolves the first received byte that `accept`s, waiting up to `timeout_ms`; null on timeout. */
  read(accept: (byte: number) => boolean, timeout_ms: number): Promise<number | null>;
  /** Drops queued received bytes (those that `accept`, or all). */
  discard(accept?: (byte: number) => boolean): void;
  /** Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- errors
// `kind` is a stable discriminant for logs and IPC; messages are plain, for the
// person standing at the kiosk with the printer cover in hand.

export type PrinterErrorKind = 'printer' | 'not_ready' | 'print_failed' | 'not_answering' | 'closed';

const PLAIN: Record<PrinterStatusName, string> = {
  ready: 'printer ready',
  paper_near_end: 'printer paper is nearly out',
  paper_out: 'printer out of paper',
  cover_open: 'printer cover is open',
  offline: 'printer offline',
  unknown: 'printer status unknown',
};

/** One line for a person: "printer out of paper", "printer not answering". */
export function describeStatus(s: PrinterStatus): string {
  if (s.status === 'offline' && s.reason === 'not_answering') return 'printer not answering';
  if (s.status === 'offline' && s.reason === 'error') return 'printer offline (it reports an error: check for a paper jam or cutter problem)';
  return PLAIN[s.status];
}

export class PrinterError extends Error {
  readonly kind: PrinterErrorKind = 'printer';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrinterError';
  }
}

/** Refused before anything was sent: nothing printed. */
export class PrinterNotReadyError extends PrinterError {
  override readonly kind = 'not_ready';
  constructor(
    readonly printer_status: PrinterStatus,
    readonly job_id: string,
  ) {
    super(`${describeStatus(printer_status)}: receipt ${job_id} was not printed`);
    this.name = 'PrinterNotReadyError';
  }
}

/** Sent, but the printer reported a problem afterwards: the receipt may be missing or partial. */
export class PrintFailedError extends PrinterError {
  override readonly kind = 'print_failed';
  constructor(
    readonly printer_status: PrinterStatus,
    readonly job_id: string,
  ) {
    super(`${describeStatus(printer_status)} while printing receipt ${job_id}: it may be missing or partial; printing again will print it in full`);
    this.name = 'PrintFailedError';
  }
}

/** The port could not be opened or written. */
export class PrinterNotAnsweringError extends PrinterError {
  override readonly kind = 'not_answering';
  constructor(detail: string, options?: { cause?: unknown }) {
    super(`printer not answering (${detail})`, options);
    this.name = 'PrinterNotAnsweringError';
  }
}

export class PrinterClosedError extends PrinterError {
  override readonly kind = 'closed';
  constructor() {
    super('printer connection is closed');
    this.name = 'PrinterClosedError';
  }
}

// The ESC/POS receipt printer driver, over any PrinterTransport.
//
// A print job, one at a time:
//   1. a job id the journal already holds: `already_printed`, nothing sent;
//   2. status (DLE EOT 1, 2, 4): paper out, cover open or offline refuses the
//      job (PrinterNotReadyError) before a byte of it is sent;
//   3. the receipt's bytes, then GS r 1, which the printer answers only once it
//      has printed everything before it. While waiting, status is polled: paper
//      running out or the cover opening mid-job fails the job at once
//      (PrintFailedError) and it is not recorded, so a retry prints it in full;
//   4. status again; the job is recorded in the journal only now.
// Without a status channel (/dev/usb/lp*) steps 2 and 4 report `unknown` and
// the job is sent and recorded on the word of the write alone.

import { encodeReceipt, dleEot, GS_R_PAPER, type EscPosOptions } from './escpos';
import { MemoryPrintJournal } from './journal';
import { isStatusByte, paperFromGsR, statusFromBytes } from './status';
import {
  PrintFailedError,
  PrinterClosedError,
  PrinterNotReadyError,
  type PrintJournal,
  type PrintOptions,
  type PrintResult,
  type PrinterStatus,
  type PrinterTransport,
  type ReceiptDocument,
  type ReceiptPrinter,
} from './types';

export interface EscPosPrinterOptions extends EscPosOptions {
  /** Printed job ids and the last receipt. Default: in memory. */
  readonly journal?: PrintJournal;
  /** How long to wait for each DLE EOT answer. Default 500 ms. */
  readonly status_timeout_ms?: number;
  /** How long a job may take to print (until GS r 1 is answered). Default 15 s. */
  readonly job_timeout_ms?: number;
  /** How often status is polled while a job prints. Default 250 ms. */
  readonly poll_interval_ms?: number;
}

const isGsRAnswer = (b: number) => paperFromGsR(b) !== null;

/** Conditions under which nothing is sent, and a sent job counts as failed. */
export function blocksPrinting(s: PrinterStatus): boolean {
  return s.status === 'paper_out' || s.status === 'cover_open' || s.status === 'offline';
}

export class EscPosPrinter implements ReceiptPrinter {
  private readonly journal: PrintJournal;
  private readonly status_timeout_ms: number;
  private readonly job_timeout_ms: number;
  private readonly poll_interval_ms: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly transport: PrinterTransport,
    private readonly options: EscPosPrinterOptions = {},
  ) {
    this.journal = options.journal ?? new MemoryPrintJournal();
    this.status_timeout_ms = options.status_timeout_ms ?? 500;
    this.job_timeout_ms = options.job_timeout_ms ?? 15_000;
    this.poll_interval_ms = options.poll_interval_ms ?? 250;
  }

  get description(): string {
    return this.transport.description;
  }

  status(): Promise<PrinterStatus> {
    return this.serial(() => this.readStatus());
  }

  print(doc: ReceiptDocument, opts: PrintOptions): Promise<PrintResult> {
    if (opts.jobId.length === 0) return Promise.reject(new Error('print needs a non-empty jobId'));
    return this.serial(() => this.runJob(doc, opts));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.transport.close();
  }

  /** One conversation with the printer at a time: answers are not tagged. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new PrinterClosedError());
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readStatus(): Promise<PrinterStatus> {
    if (!this.transport.canRead) return { status: 'unknown', reason: `status cannot be read over ${this.transport.description}` };
    const ask = async (n: 1 | 2 | 4): Promise<number | null> => {
      this.transport.discard(isStatusByte); // a late answer to an earlier question
      try {
        await this.transport.write(dleEot(n));
      } catch {
        return null; // the port is gone: that is "not answering", not a crash
      }
      return this.transport.read(isStatusByte, this.status_timeout_ms);
    };
    const printer = await ask(1);
    if (printer === null) return { status: 'offline', reason: 'not_answering' };
    const offline_cause = await ask(2);
    const paper = await ask(4);
    return statusFromBytes({ printer, offline_cause, paper });
  }

  private async runJob(doc: ReceiptDocument, opts: PrintOptions): Promise<PrintResult> {
    const job_id = opts.jobId;
    if (await this.journal.has(job_id)) return { status: 'already_printed', job_id };

    const before = await this.readStatus();
    if (blocksPrinting(before)) throw new PrinterNotReadyError(before, job_id);

    const duplicate = opts.duplicate === true || doc.duplicate === true;
    const bytes = encodeReceipt(doc, this.options, duplicate);
    if (!this.transport.canRead) {
      await this.transport.write(bytes);
      await this.journal.record(job_id, { ...doc, duplicate });
      return { status: 'printed', job_id, after: before };
    }

    this.transport.discard();
    await this.transport.write(bytes);
    await this.transport.write(GS_R_PAPER);
    const after = await this.awaitJobEnd();
    if (blocksPrinting(after)) throw new PrintFailedError(after, job_id);
    await this.journal.record(job_id, { ...doc, duplicate });
    return { status: 'printed', job_id, after };
  }

  /**
   * Waits for the GS r 1 answer (the job has printed), polling status meanwhile.
   * Returns the status after the job; a blocking status as soon as one shows.
   * When GS r is never answered but the printer stays ready (a model without
   * GS r), the job counts as printed once job_timeout_ms has passed.
   */
  private async awaitJobEnd(): Promise<PrinterStatus> {
    const deadline = Date.now() + this.job_timeout_ms;
    for (;;) {
      const wait_ms = Math.max(0, Math.min(this.poll_interval_ms, deadline - Date.now()));
      const answer = await this.transport.read(isGsRAnswer, wait_ms);
      const now = await this.readStatus();
      if (answer !== null || blocksPrinting(now) || Date.now() >= deadline) return now;
    }
  }
}

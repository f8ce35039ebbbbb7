// Printing receipts from the kiosk: an original once per transaction, a marked
// DUPLICATE on request, and the printer's state in the machines' terms
// (contracts.ts PrinterFault).

import {
  PrintFailedError,
  PrinterError,
  PrinterNotReadyError,
  type PrintJournal,
  type PrintResult,
  type PrinterStatus,
  type ReceiptPrinter,
} from '../../../hardware/printer/types';
import type { PrinterFault, PrinterStatusResult, Result } from '../machines/contracts';
import { buildReceiptDocument } from './build';
import type { ReceiptModel } from './model';

/** Prints the receipt for one transaction; its job id is the transaction id, so a retry prints nothing more. */
export function printReceipt(printer: ReceiptPrinter, model: ReceiptModel): Promise<PrintResult> {
  return printer.print(buildReceiptDocument(model), { jobId: model.tx_id, duplicate: model.duplicate });
}

export type ReprintResult = PrintResult | { readonly status: 'nothing_to_reprint' };

/**
 * Prints the last receipt again, marked DUPLICATE in large letters.
 * `request_id` identifies this reprint request (one per button press), so
 * retrying the same request does not print a third copy.
 */
export async function reprintLastReceipt(printer: ReceiptPrinter, journal: PrintJournal, request_id: string): Promise<ReprintResult> {
  const last = await journal.last();
  if (last === null) return { status: 'nothing_to_reprint' };
  return printer.print({ ...last.doc, duplicate: true }, { jobId: `reprint:${request_id}`, duplicate: true });
}

/** A printer status as the machines see it: can a receipt be printed now? */
export function printerStatusResult(s: PrinterStatus): PrinterStatusResult {
  switch (s.status) {
    case 'ready':
    case 'paper_near_end':
    case 'unknown': // a printer that cannot report status is tried, not written off
      return { ok: true, value: null };
    case 'paper_out':
      return { ok: false, error: 'out_of_paper' };
    case 'cover_open':
      return { ok: false, error: 'cover_open' };
    case 'offline':
      return { ok: false, error: s.reason === 'error' ? 'jam' : 'offline' };
  }
}

/** A print attempt as the machines see it (expected failures are values). */
export async function printResultFor(attempt: Promise<PrintResult>): Promise<Result<null, PrinterFault>> {
  try {
    await attempt;
    return { ok: true, value: null };
  } catch (e) {
    if (e instanceof PrinterNotReadyError || e instanceof PrintFailedError) {
      const r = printerStatusResult(e.printer_status);
      return r.ok ? { ok: false, error: 'offline' } : r;
    }
    if (e instanceof PrinterError) return { ok: false, error: 'offline' };
    throw e;
  }
}

// Reading the printer's real-time status bytes (ESC/POS DLE EOT n): pure.
//
// Every DLE EOT answer is one byte with bits 1 and 4 set and bits 0 and 7 clear
// (0b0xx1xx10), which is how it is told apart from stray bytes.
//   n = 1  printer:        bit 3 offline
//   n = 2  offline cause:  bit 2 cover open, bit 5 stopped at paper end, bit 6 error
//   n = 4  paper sensor:   bits 2-3 paper near end, bits 5-6 paper not present
// The printer answers DLE EOT even while offline, so a cover or paper problem
// is reported rather than looking like silence. No answer at all is `offline`
// with reason `not_answering`.

import type { PrinterStatus } from './types';

export interface StatusBytes {
  /** Answer to DLE EOT 1; null when none came. */
  readonly printer: number | null;
  /** Answer to DLE EOT 2. */
  readonly offline_cause: number | null;
  /** Answer to DLE EOT 4. */
  readonly paper: number | null;
}

export const STATUS = {
  printer_offline: 0x08,
  cause_cover_open: 0x04,
  cause_paper_end_stop: 0x20,
  cause_error: 0x40,
  paper_near_end: 0x0c,
  paper_not_present: 0x60,
} as const;

/** Fixed bits of every DLE EOT answer: 0b0xx1xx10. */
export function isStatusByte(b: number): boolean {
  return Number.isInteger(b) && b >= 0 && b <= 0xff && (b & 0x93) === 0x12;
}

/** Folds the three answers into one status, the most urgent condition first. */
export function statusFromBytes(s: StatusBytes): PrinterStatus {
  const { printer, offline_cause: cause, paper } = s;
  if (printer === null || cause === null || paper === null) return { status: 'offline', reason: 'not_answering' };
  if (!isStatusByte(printer) || !isStatusByte(cause) || !isStatusByte(paper)) return { status: 'offline', reason: 'not_answering' };

  if (cause & STATUS.cause_cover_open) return { status: 'cover_open' };
  if (cause & STATUS.cause_paper_end_stop || (paper & STATUS.paper_not_present) === STATUS.paper_not_present) return { status: 'paper_out' };
  if (cause & STATUS.cause_error) return { status: 'offline', reason: 'error' };
  if (printer & STATUS.printer_offline) return { status: 'offline', reason: 'offline' };
  if ((paper & STATUS.paper_near_end) === STATUS.paper_near_end) return { status: 'paper_near_end' };
  return { status: 'ready' };
}

/**
 * Answer to GS r 1 (paper sensor, sent in line with the job): bits 0-1 near end,
 * bits 2-3 paper end; bits 4 and 7 clear. Null when `b` is not such a byte.
 */
export function paperFromGsR(b: number): 'ok' | 'near_end' | 'out' | null {
  if (!Number.isInteger(b) || b < 0 || b > 0xff || (b & 0x90) !== 0) return null;
  if ((b & 0x0c) === 0x0c) return 'out';
  if ((b & 0x03) === 0x03) return 'near_end';
  return 'ok';
}

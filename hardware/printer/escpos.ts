// ESC/POS bytes for a ReceiptDocument: pure, no I/O.
//
// Built with @point-of-sale/receipt-printer-encoder (NielsLeenheer's encoder,
// maintained under at-point-of-sale): it owns code-page tables, word wrapping
// and the GS ( k QR sequence. This module fixes the choices a kiosk needs:
//   - one code page, chosen explicitly and sent with ESC t n ahead of the text.
//     CP858 (CP850 with the euro sign) prints every Spanish and Portuguese
//     letter (á é í ó ú ñ ü ¿ ¡ ç ã õ â ê ô à) and €; CP850 and CP860
//     (Portuguese) have all the letters but not €. `n` depends on the printer
//     family (Epson: CP850 = 2, CP860 = 3, CP858 = 19), so the mapping is an
//     option;
//   - text is NFC-normalised (a decomposed "á" would print as "a?"), Unicode
//     spaces become plain spaces and control characters are removed, so no text
//     can smuggle an ESC/POS command onto the printer; dashes and curly quotes
//     become their ASCII look-alikes; any other character the code page lacks
//     prints as "?";
//   - the receipt ends with a feed and a partial cut (GS V 1).

import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import { encodeWithLookups } from './codepage-tables';
import type { ReceiptBlock, ReceiptDocument } from './types';

encodeWithLookups();

export type EscPosCodepage = 'cp437' | 'cp850' | 'cp858' | 'cp860';
export type CodepageMappingName = 'epson' | 'star' | 'bixolon' | 'citizen' | 'xprinter' | 'pos-8360' | 'sunmi';
export type PaperColumns = 32 | 35 | 42 | 44 | 48;

export interface EscPosOptions {
  /** Default cp858. */
  readonly codepage?: EscPosCodepage;
  /** Which ESC t number selects each code page on this printer. Default 'epson'. */
  readonly codepageMapping?: CodepageMappingName | Readonly<Record<string, number>>;
  /** Characters per line in the normal font. Default 42 (80 mm paper). */
  readonly columns?: PaperColumns;
  /** Lines fed before the cut so the last line clears the cutter. Default 4. */
  readonly feed_before_cut_lines?: number;
  /** QR module size in dots (1..16). Default 6. */
  readonly qr_module_size?: number;
}

export const DEFAULT_ESCPOS: Required<EscPosOptions> = {
  codepage: 'cp858',
  codepageMapping: 'epson',
  columns: 42,
  feed_before_cut_lines: 4,
  qr_module_size: 6,
};

// ---------------------------------------------------------------- commands

export const ESC = 0x1b;
export const GS = 0x1d;
export const DLE = 0x10;
export const EOT = 0x04;

/** DLE EOT n, real-time status: 1 printer, 2 offline cause, 3 error cause, 4 roll paper sensor. */
export const dleEot = (n: 1 | 2 | 3 | 4): Uint8Array => Uint8Array.of(DLE, EOT, n);
/**
 * GS r 1, transmit paper sensor status. Not real time: the printer answers only
 * after it has processed (printed) everything before it, so its answer marks
 * the end of a job.
 */
export const GS_R_PAPER = Uint8Array.of(GS, 0x72, 0x01);
/** GS V 1: partial cut at the current position. */
export const PARTIAL_CUT = Uint8Array.of(GS, 0x56, 0x01);

/** What may reach the printer as text: composed, printable, single spaces. */
export function printableText(text: string): string {
  return (
    text
      .normalize('NFC')
      .replace(/[\r\n\t]/g, ' ')
      .replace(/\p{Zs}/gu, ' ')
      // C0 and C1 controls and DEL: ESC, GS, DLE... would be printer commands.
      .replace(/\p{Cc}/gu, '')
      // Zero-width and bidi format characters have no glyph in any code page.
      .replace(/\p{Cf}/gu, '')
      // Typographic punctuation that DOS code pages lack: print the ASCII look-alike, not "?".
      .replace(/[\u2010-\u2015\u2212]/g, '-')
      .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
      .replace(/[\u201c-\u201f\u2033]/g, '"')
      .replace(/\u2026/g, '...')
      // The encoder writes ¶ and § as 0x14 and 0x15 (their CP437 glyphs in the
      // control range), which an ESC/POS printer takes as control codes.
      .replace(/[\u00a7\u00b6]/g, '?')
  );
}

const QR_DATA = /^[\x20-\x7e]{1,512}$/;

/** The bytes for one receipt, from ESC @ to the cut. */
export function encodeReceipt(doc: ReceiptDocument, options: EscPosOptions = {}, duplicate = false): Uint8Array {
  const o = { ...DEFAULT_ESCPOS, ...options };
  const columns = o.columns;
  const e = new ReceiptPrinterEncoder({
    language: 'esc-pos',
    columns,
    codepageMapping: o.codepageMapping as Record<string, number>,
    newline: '\n',
  });
  e.initialize().codepage(o.codepage);

  const banner = duplicate || doc.duplicate === true;
  const label = printableText(doc.duplicate_label ?? 'DUPLICATE');
  if (banner) bannerLines(e, label, columns);
  for (const block of doc.blocks) encodeBlock(e, block, o, columns);
  if (banner) bannerLines(e, label, columns);

  e.newline(o.feed_before_cut_lines).raw(PARTIAL_CUT);
  return e.encode();
}

function bannerLines(e: ReceiptPrinterEncoder, label: string, columns: number): void {
  e.align('center').size(2, 2).bold(true).text(label).bold(false).size(1, 1).newline().align('left');
  e.line('='.repeat(columns));
}

function encodeBlock(e: ReceiptPrinterEncoder, block: ReceiptBlock, o: Required<EscPosOptions>, columns: number): void {
  switch (block.kind) {
    case 'text': {
      const large = block.size === 'large';
      e.align(block.align ?? 'left');
      if (large) e.size(2, 2);
      if (block.bold) e.bold(true);
      e.text(printableText(block.text));
      if (block.bold) e.bold(false);
      if (large) e.size(1, 1);
      e.newline().align('left');
      return;
    }
    case 'pair': {
      const lines = pairLines(printableText(block.label), printableText(block.value), columns);
      for (const line of lines) {
        if (block.bold) e.bold(true);
        e.text(line);
        if (block.bold) e.bold(false);
        e.newline();
      }
      return;
    }
    case 'rule':
      e.line('-'.repeat(columns));
      return;
    case 'qr': {
      if (!QR_DATA.test(block.data)) throw new Error(`QR data must be 1..512 printable ASCII characters, got ${JSON.stringify(block.data)}`);
      e.align(block.align ?? 'center');
      e.qrcode(block.data, { model: 2, size: o.qr_module_size, errorlevel: 'm' });
      e.align('left');
      return;
    }
    case 'feed':
      if (!Number.isInteger(block.lines) || block.lines < 0 || block.lines > 20) throw new Error(`feed must be 0..20 lines, got ${block.lines}`);
      if (block.lines > 0) e.newline(block.lines);
      return;
  }
}

/** "Label      value" on one line when it fits; else the label, then the value flush right. */
export function pairLines(label: string, value: string, columns: number): string[] {
  const gap = columns - label.length - value.length;
  if (gap >= 1) return [label + ' '.repeat(gap) + value];
  return [label, value.length >= columns ? value : ' '.repeat(columns - value.length) + value];
}


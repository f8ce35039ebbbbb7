import { describe, expect, it } from 'vitest';
import { encodeReceipt, pairLines, printableText, dleEot, GS_R_PAPER } from '../../../hardware/printer/escpos';
import type { ReceiptDocument } from '../../../hardware/printer/types';

// Byte-exact, as NielsLeenheer/ReceiptPrinterEncoder's own tests are: every
// expectation is the whole byte array the printer receives.

const INIT = [0x1b, 0x40, 0x1c, 0x2e, 0x1b, 0x4d, 0x00]; // ESC @, FS . (no Kanji), ESC M 0 (font A)
const CUT = [0x0a, 0x0a, 0x0a, 0x0a, 0x1d, 0x56, 0x01]; // 4 line feeds, GS V 1 partial cut
const LF = 0x0a;
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
const bytes = (doc: ReceiptDocument, opts = {}, duplicate = false) => [...encodeReceipt(doc, { columns: 32, ...opts }, duplicate)];
const line = (text: string): ReceiptDocument => ({ blocks: [{ kind: 'text', text }] });

describe('code pages: Spanish and Portuguese letters', () => {
  it('selects CP858 with ESC t 19 (Epson) and encodes every Spanish letter and €', () => {
    expect(bytes(line('áéíóú ñÑ ü ¿¡ €'))).toEqual([
      ...INIT,
      0x1b, 0x74, 19,
      0xa0, 0x82, 0xa1, 0xa2, 0xa3, 0x20, 0xa4, 0xa5, 0x20, 0x81, 0x20, 0xa8, 0xad, 0x20, 0xd5,
      LF,
      ...CUT,
    ]);
  });

  it('encodes every Portuguese letter in CP858', () => {
    expect(bytes(line('ç ã õ â ê ô à Ç Ã Õ'))).toEqual([
      ...INIT,
      0x1b, 0x74, 19,
      0x87, 0x20, 0xc6, 0x20, 0xe4, 0x20, 0x83, 0x20, 0x88, 0x20, 0x93, 0x20, 0x85, 0x20, 0x80, 0x20, 0xc7, 0x20, 0xe5,
      LF,
      ...CUT,
    ]);
  });

  it('CP860 (ESC t 3): Portuguese letters at their CP860 places; € is not in it and prints "?"', () => {
    expect(bytes(line('ã õ ç Ã Õ Ê €'), { codepage: 'cp860' })).toEqual([
      ...INIT,
      0x1b, 0x74, 3,
      0x84, 0x20, 0x94, 0x20, 0x87, 0x20, 0x8e, 0x20, 0x99, 0x20, 0x89, 0x20, 0x3f,
      LF,
      ...CUT,
    ]);
  });

  it('CP850 (ESC t 2), and a printer family with other numbers via a mapping', () => {
    expect(bytes(line('ñ'), { codepage: 'cp850' })).toEqual([...INIT, 0x1b, 0x74, 2, 0xa4, LF, ...CUT]);
    expect(bytes(line('ñ'), { codepageMapping: { cp858: 0x42 } })).toEqual([...INIT, 0x1b, 0x74, 0x42, 0xa4, LF, ...CUT]);
  });

  it('refuses a code page the printer mapping does not have, instead of printing garbage', () => {
    expect(() => bytes(line('x'), { codepageMapping: { cp850: 2 } })).toThrow(/not supported/);
  });

  it('prints decomposed accents (NFD input) as the composed letter', () => {
    expect(bytes(line('a\u0301n\u0303'))).toEqual([...INIT, 0x1b, 0x74, 19, 0xa0, 0xa4, LF, ...CUT]);
  });

  it('prints a character outside the code page as "?"', () => {
    expect(bytes(line('中'))).toEqual([...INIT, 0x1b, 0x74, 19, 0x3f, LF, ...CUT]);
  });
});

describe('text that cannot become a command', () => {
  it('removes control characters, so ESC/GS/DLE in text never reach the printer', () => {
    expect(printableText('A\x1bB\x1dV\x10\x04\x01C\u0085')).toBe('ABVC');
    expect(bytes(line('A\x1b@B'))).toEqual([...INIT, 0x1b, 0x74, 19, ...ascii('A@B'), LF, ...CUT]);
  });

  it('never sends a byte below 0x20 for text, not even for ¶ and § (CP437 glyphs of DC4 and NAK)', () => {
    const text = bytes(line('¶ § ¬ ñ')).slice(INIT.length + 3, -CUT.length - 1);
    expect(text).toEqual([0x3f, 0x20, 0x3f, 0x20, 0xaa, 0x20, 0xa4]);
  });

  it('turns Unicode spaces, tabs and newlines into plain spaces and drops zero-width characters', () => {
    expect(printableText('1\u00a02\u202f3\t4\n5\u200b6')).toBe('1 2 3 4 56');
  });

  it('prints dashes and curly quotes as their ASCII look-alikes', () => {
    expect(printableText('Sala “Norte” — 1…')).toBe('Sala "Norte" - 1...');
  });
});

describe('layout commands', () => {
  it('bold is ESC E 1 ... ESC E 0 around the text', () => {
    expect(bytes({ blocks: [{ kind: 'text', text: 'Hi', bold: true }] })).toEqual([
      ...INIT, 0x1b, 0x45, 0x01, 0x1b, 0x74, 19, ...ascii('Hi'), 0x1b, 0x45, 0x00, LF, ...CUT,
    ]);
  });

  it('centred and right-aligned text is padded to the paper width', () => {
    // The code page is selected before the first text, padding included.
    expect(bytes({ blocks: [{ kind: 'text', text: 'AB', align: 'center' }] })).toEqual([...INIT, 0x1b, 0x74, 19, ...ascii(' '.repeat(15)), ...ascii('AB'), LF, ...CUT]);
    expect(bytes({ blocks: [{ kind: 'text', text: 'AB', align: 'right' }] })).toEqual([...INIT, 0x1b, 0x74, 19, ...ascii(' '.repeat(30)), ...ascii('AB'), LF, ...CUT]);
  });

  it('large text is GS ! 0x11 (double width and height), then GS ! 0', () => {
    expect(bytes({ blocks: [{ kind: 'text', text: 'AB', size: 'large' }] })).toEqual([...INIT, 0x1d, 0x21, 0x11, 0x1b, 0x74, 19, ...ascii('AB'), 0x1d, 0x21, 0x00, LF, ...CUT]);
  });

  it('a label/value pair fills one line, or takes two when it does not fit', () => {
    expect(pairLines('Saldo', '$7.50', 20)).toEqual(['Saldo          $7.50']);
    expect(pairLines('Un nombre de servicio largo', '$7.50', 20)).toEqual(['Un nombre de servicio largo', '               $7.50']);
    expect(bytes({ blocks: [{ kind: 'pair', label: 'Saldo', value: '7,50 €' }] })).toEqual([
      ...INIT, 0x1b, 0x74, 19, ...ascii('Saldo'), ...ascii(' '.repeat(21)), ...ascii('7,50 '), 0xd5, LF, ...CUT,
    ]);
  });

  it('a rule is a line of "-" as wide as the paper', () => {
    expect(bytes({ blocks: [{ kind: 'rule' }] })).toEqual([...INIT, 0x1b, 0x74, 19, ...ascii('-'.repeat(32)), LF, ...CUT]);
  });
});

describe('QR code of the transaction id', () => {
  it('is GS ( k model 2, module size 6, error level M, store, print; centred with ESC a 1', () => {
    const tx = '01JPB3XK7Q';
    expect(bytes({ blocks: [{ kind: 'qr', data: tx }] })).toEqual([
      ...INIT,
      0x1b, 0x61, 0x01, // ESC a 1: centre
      0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // fn 65: model 2
      0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06, // fn 67: module size 6 dots
      0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31, // fn 69: error correction M
      0x1d, 0x28, 0x6b, 3 + tx.length, 0x00, 0x31, 0x50, 0x30, ...ascii(tx), // fn 80: store data
      0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30, // fn 81: print
      LF,
      0x1b, 0x61, 0x00, // ESC a 0
      ...CUT,
    ]);
  });

  it('takes printable ASCII only', () => {
    expect(() => bytes({ blocks: [{ kind: 'qr', data: 'tx\u00e1' }] })).toThrow(/printable ASCII/);
    expect(() => bytes({ blocks: [{ kind: 'qr', data: '' }] })).toThrow(/printable ASCII/);
  });
});

describe('DUPLICATE banner', () => {
  it('prints the label large, bold and centred above and below the receipt, with a "=" rule', () => {
    const banner = [...ascii(' '.repeat(7)), 0x1d, 0x21, 0x11, 0x1b, 0x45, 0x01, 0x1b, 0x74, 19, ...ascii('DUPLICADO'), 0x1b, 0x45, 0x00, 0x1d, 0x21, 0x00, LF, ...ascii('='.repeat(32)), LF];
    const bannerAgain = [...ascii(' '.repeat(7)), 0x1d, 0x21, 0x11, 0x1b, 0x45, 0x01, ...ascii('DUPLICADO'), 0x1b, 0x45, 0x00, 0x1d, 0x21, 0x00, LF, ...ascii('='.repeat(32)), LF];
    const doc: ReceiptDocument = { blocks: [{ kind: 'text', text: 'x' }], duplicate_label: 'DUPLICADO' };
    expect(bytes(doc, {}, true)).toEqual([...INIT, ...banner, ...ascii('x'), LF, ...bannerAgain, ...CUT]);
    expect(bytes({ ...doc, duplicate: true })).toEqual(bytes(doc, {}, true));
  });

  it('is "DUPLICATE" when the document has no label', () => {
    expect(Buffer.from(bytes({ blocks: [] }, {}, true)).toString('latin1')).toContain('DUPLICATE');
  });
});

describe('status commands', () => {
  it('DLE EOT n and GS r 1', () => {
    expect([...dleEot(1)]).toEqual([0x10, 0x04, 0x01]);
    expect([...dleEot(2)]).toEqual([0x10, 0x04, 0x02]);
    expect([...dleEot(4)]).toEqual([0x10, 0x04, 0x04]);
    expect([...GS_R_PAPER]).toEqual([0x1d, 0x72, 0x01]);
  });
});

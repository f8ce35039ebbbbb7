import CodepageEncoder, { type Codepage } from '@point-of-sale/codepage-encoder';
import { describe, expect, it } from 'vitest';
import '../../../hardware/printer/escpos';

// escpos.ts replaces the code-page encoder's encode() with lookups built once
// per code page (hardware/printer/codepage-tables.ts). These compare it with
// the library's own algorithm, written out here: first matching byte, else "?".

function libraryEncode(input: string, codepage: Codepage): Uint8Array {
  const { codepoints } = CodepageEncoder.getEncoding(codepage);
  const output = new Uint8Array(input.length);
  for (let c = 0; c < input.length; c++) {
    const position = codepoints.findIndex((i) => i === input.codePointAt(c));
    output[c] = position !== -1 ? position : 0x3f;
  }
  return output;
}

const EVERY_CHARACTER = String.fromCodePoint(...Array.from({ length: 0x3000 }, (_, i) => i).filter((cp) => cp < 0xd800 || cp > 0xdfff)) + '😀 €¶§ ñ';

describe('code-page encoding with lookups', () => {
  it.each(['cp858', 'cp850', 'cp860', 'cp437', 'ascii'] as const)('gives %s the bytes the library would', (codepage) => {
    expect(CodepageEncoder.encode(EVERY_CHARACTER, codepage)).toEqual(libraryEncode(EVERY_CHARACTER, codepage));
  });

  it('leaves the tables as they were (later code pages still build on them)', () => {
    expect(CodepageEncoder.encode('Año €', 'cp858')).toEqual(Uint8Array.of(0x41, 0xa4, 0x6f, 0x20, 0xd5));
    expect(CodepageEncoder.getEncoding('cp858')).not.toBe(CodepageEncoder.getEncoding('cp858'));
  });
});

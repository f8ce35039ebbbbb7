// The code-page encoder under @point-of-sale/receipt-printer-encoder encodes
// each run of text by asking getEncoding() for its table, which answers with a
// structuredClone of the whole table, then searching that table once per
// character: three quarters of a receipt's encoding time (0.9 → 0.2 ms a
// receipt, bench:kiosk). encode() is replaced by the same mapping from a
// lookup built once per code page: for each character, the first byte whose
// code point it is, else "?" (0x3f), one byte per UTF-16 unit, exactly as the
// original does. getEncoding() itself is left alone (the library builds
// tables that extend others by altering the copy it gets).
//
// The encoder is the module receipt-printer-encoder imports (same package,
// same module instance), a dependency of that package.

import CodepageEncoder, { type Codepage } from '@point-of-sale/codepage-encoder';

const QUESTION_MARK = 0x3f;

/** Code point → the first byte that prints it, for one code page. */
export function byteLookup(codepage: Codepage): ReadonlyMap<number, number> {
  const lookup = new Map<number, number>();
  CodepageEncoder.getEncoding(codepage).codepoints.forEach((codepoint, byte) => {
    if (!lookup.has(codepoint)) lookup.set(codepoint, byte);
  });
  return lookup;
}

let installed = false;

export function encodeWithLookups(): void {
  if (installed) return;
  installed = true;
  const lookups = new Map<Codepage, ReadonlyMap<number, number>>();
  CodepageEncoder.encode = (input: string, codepage: Codepage): Uint8Array => {
    let lookup = lookups.get(codepage);
    if (lookup === undefined) {
      lookup = byteLookup(codepage);
      lookups.set(codepage, lookup);
    }
    const output = new Uint8Array(input.length);
    for (let c = 0; c < input.length; c++) output[c] = lookup.get(input.codePointAt(c)!) ?? QUESTION_MARK;
    return output;
  };
}

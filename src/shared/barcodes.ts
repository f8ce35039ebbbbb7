// What a scanned barcode means at the kiosk. Three printed formats are accepted:
//   - library fine notice: Code 128 text `LF<fee id>`, fee id 1-20 of A-Z 0-9 -
//     (the fee id is the SIP2 `CG` fee identifier; no patron data on the notice);
//   - library card: the 14-digit patron barcode libraries print in Codabar,
//     leading 2 (a leading 3 is an item); its number is what the ILS knows the
//     patron by, so it goes to the library service as typed on the keypad;
//   - parking citation: Code 128 or Interleaved 2 of 5, 10 digits, the last a
//     Luhn check digit over the first nine.
// Anything else is refused with a reason; no input, however odd, throws.

export type ScannedCode =
  | { kind: 'library_fine'; fee_id: string }
  | { kind: 'library_card'; card_number: string }
  | { kind: 'parking_citation'; citation_number: string }
  | { kind: 'unknown'; reason: 'empty' | 'too_long' | 'control_characters' | 'bad_check_digit' | 'not_a_known_format' };

const MAX_SCAN_CHARS = 64;

export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

export function parseScannedCode(raw: string): ScannedCode {
  if (typeof raw !== 'string' || raw.length === 0) return { kind: 'unknown', reason: 'empty' };
  if (raw.length > MAX_SCAN_CHARS) return { kind: 'unknown', reason: 'too_long' };
  const text = raw.replace(/[\r\n]+$/, '');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) return { kind: 'unknown', reason: 'control_characters' };
  if (text.length === 0) return { kind: 'unknown', reason: 'empty' };
  const fine = /^LF([A-Z0-9-]{1,20})$/.exec(text);
  if (fine) return { kind: 'library_fine', fee_id: fine[1]! };
  if (/^2\d{13}$/.test(text)) return { kind: 'library_card', card_number: text };
  if (/^\d{10}$/.test(text)) {
    if (luhnCheckDigit(text.slice(0, 9)) !== Number(text[9])) return { kind: 'unknown', reason: 'bad_check_digit' };
    return { kind: 'parking_citation', citation_number: text };
  }
  return { kind: 'unknown', reason: 'not_a_known_format' };
}

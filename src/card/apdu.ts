// ISO/IEC 7816-4 wrapping of native DESFire commands: CLA 90, INS = command code,
// P1 P2 = 00 00, Lc + data when there is data, Le = 00. Answers end in SW1 SW2
// where SW1 = 91 and SW2 is the DESFire status code.

export const CLA_DESFIRE = 0x90;
export const SW1_DESFIRE = 0x91;

export function wrapNative(code: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  if (data.length > 255) throw new RangeError(`short APDU data is at most 255 bytes, got ${data.length}`);
  if (data.length === 0) return Buffer.from([CLA_DESFIRE, code, 0x00, 0x00, 0x00]);
  return Buffer.concat([Buffer.from([CLA_DESFIRE, code, 0x00, 0x00, data.length]), data, Buffer.from([0x00])]);
}

export interface NativeCommand {
  code: number;
  data: Buffer;
}

/** Parses a wrapped native command; null when it is not CLA 90 or the lengths disagree. */
export function unwrapNative(apdu: Uint8Array): NativeCommand | null {
  if (apdu.length < 4 || apdu[0] !== CLA_DESFIRE) return null;
  const code = apdu[1]!;
  if (apdu.length === 4 || apdu.length === 5) return { code, data: Buffer.alloc(0) };
  const lc = apdu[4]!;
  if (apdu.length !== 5 + lc && apdu.length !== 6 + lc) return null;
  return { code, data: Buffer.from(apdu.subarray(5, 5 + lc)) };
}

export interface NativeResponse {
  status: number; // SW2 when SW1 = 91
  data: Buffer;
}

export function wrapResponse(status: number, data: Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.concat([data, Buffer.from([SW1_DESFIRE, status])]);
}

/** Splits an answer into data and status; ISO status words other than 91xx are returned as `iso`. */
export function parseResponse(rapdu: Uint8Array): NativeResponse | { iso: number; data: Buffer } {
  if (rapdu.length < 2) return { iso: 0x0000, data: Buffer.alloc(0) };
  const sw1 = rapdu[rapdu.length - 2]!;
  const sw2 = rapdu[rapdu.length - 1]!;
  const data = Buffer.from(rapdu.subarray(0, rapdu.length - 2));
  if (sw1 === SW1_DESFIRE) return { status: sw2, data };
  return { iso: (sw1 << 8) | sw2, data };
}

// SIP2 error detection: the checksum is the two's complement of the 16-bit sum
// of every byte of the message up to and including "AZ", written as four
// upper-case hex digits. Pure: bytes in, text out.

/** Checksum of `bytes`, which must end with the "AZ" tag itself. */
export function sipChecksum(bytes: Uint8Array): string {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xffff;
  return ((-sum) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
}

/** True when `checksum` (four hex digits, either case) is right for `bytes`. */
export function checksumMatches(bytes: Uint8Array, checksum: string): boolean {
  return /^[0-9A-Fa-f]{4}$/.test(checksum) && sipChecksum(bytes) === checksum.toUpperCase();
}

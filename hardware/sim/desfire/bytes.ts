import { crc32 } from 'node:zlib';

// Little-endian field codecs of the DESFire command set, and the ChangeKey CRC.

export function readLe24(b: Uint8Array, offset: number): number {
  return b[offset]! | (b[offset + 1]! << 8) | (b[offset + 2]! << 16);
}

export function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function i32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

/**
 * JAMCRC: CRC-32 (IEEE 802.3) with init FFFFFFFF and no final XOR, which is
 * what DESFire puts after a ChangeKey cryptogram. zlib's crc32 does the final
 * XOR, so complement it back. Deliberately not the host's implementation, so
 * the two check each other.
 */
export function jamCrc32(data: Uint8Array): number {
  return ~crc32(data) >>> 0;
}

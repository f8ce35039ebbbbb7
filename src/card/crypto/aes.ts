import { createCipheriv, createDecipheriv, type Cipher } from 'node:crypto';

// AES-128 block operations without padding. DESFire pads itself (ISO/IEC 9797-1
// method 2), so Node's PKCS#7 auto-padding must stay off everywhere.

export const BLOCK_BYTES = 16;
const ZERO_IV = Buffer.alloc(BLOCK_BYTES);

function assertKey(key: Uint8Array): void {
  if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
}

function assertBlocks(data: Uint8Array): void {
  if (data.length % BLOCK_BYTES !== 0) {
    throw new RangeError(`AES input must be a multiple of 16 bytes, got ${data.length}`);
  }
}

/**
 * ECB keeps no state from one block to the next, so one cipher per key serves
 * every block: CMAC and the IV computation call this for each block of each
 * message, and making a cipher cost more than the block. Bounded: a station
 * uses a handful of session keys at a time.
 */
const ecbCiphers = new Map<string, Cipher>();
const ECB_CIPHERS_MAX = 64;

export function aesEcbEncryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  assertKey(key);
  if (block.length !== BLOCK_BYTES) throw new RangeError('AES block must be 16 bytes');
  const id = Buffer.from(key).toString('hex');
  let cipher = ecbCiphers.get(id);
  if (cipher === undefined) {
    if (ecbCiphers.size >= ECB_CIPHERS_MAX) ecbCiphers.clear();
    cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    ecbCiphers.set(id, cipher);
  }
  return cipher.update(block);
}

export function aesCbcEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  assertKey(key);
  assertBlocks(data);
  const cipher = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

export function aesCbcDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV): Buffer {
  assertKey(key);
  assertBlocks(data);
  const decipher = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

/** ISO/IEC 9797-1 padding method 2: 0x80 then zeros, always adding at least one byte. */
export function padIso9797M2(data: Uint8Array): Buffer {
  const padded_bytes = (Math.floor(data.length / BLOCK_BYTES) + 1) * BLOCK_BYTES;
  const out = Buffer.alloc(padded_bytes);
  Buffer.from(data).copy(out);
  out[data.length] = 0x80;
  return out;
}

/** Removes method-2 padding; returns null when the padding is malformed. */
export function unpadIso9797M2(data: Uint8Array): Buffer | null {
  for (let i = data.length - 1; i >= 0 && i >= data.length - BLOCK_BYTES; i--) {
    if (data[i] === 0x80) return Buffer.from(data.subarray(0, i));
    if (data[i] !== 0x00) return null;
  }
  return null;
}

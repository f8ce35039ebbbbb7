import { aesEcbEncryptBlock, BLOCK_BYTES } from './aes';

// AES-CMAC (RFC 4493 / NIST SP 800-38B). Node 20 has no CMAC, so this is ours,
// held to the RFC's known answers by the self-test.

const RB = 0x87;

function shiftLeftOne(block: Uint8Array): Buffer {
  const out = Buffer.alloc(BLOCK_BYTES);
  for (let i = 0; i < BLOCK_BYTES; i++) {
    out[i] = ((block[i]! << 1) & 0xff) | (i + 1 < BLOCK_BYTES ? block[i + 1]! >> 7 : 0);
  }
  if (block[0]! & 0x80) out[BLOCK_BYTES - 1]! ^= RB;
  return out;
}

export function cmacSubkeys(key: Uint8Array): { k1: Buffer; k2: Buffer } {
  const l = aesEcbEncryptBlock(key, Buffer.alloc(BLOCK_BYTES));
  const k1 = shiftLeftOne(l);
  const k2 = shiftLeftOne(k1);
  return { k1, k2 };
}

/**
 * CBC-MAC over `blocks` (a whole number of blocks), XOR-ing `lastKey` into the
 * last block first. Shared by plain CMAC and AN10922 diversification, which pads
 * to 32 bytes instead of to the next block.
 */
export function cbcMacWithFinalKey(key: Uint8Array, blocks: Uint8Array, lastKey: Uint8Array): Buffer {
  let x: Buffer = Buffer.alloc(BLOCK_BYTES);
  const count = blocks.length / BLOCK_BYTES;
  for (let b = 0; b < count; b++) {
    const y = Buffer.alloc(BLOCK_BYTES);
    for (let i = 0; i < BLOCK_BYTES; i++) {
      let v = blocks[b * BLOCK_BYTES + i]! ^ x[i]!;
      if (b === count - 1) v ^= lastKey[i]!;
      y[i] = v;
    }
    x = aesEcbEncryptBlock(key, y);
  }
  return x;
}

export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const { k1, k2 } = cmacSubkeys(key);
  const complete = message.length > 0 && message.length % BLOCK_BYTES === 0;
  if (complete) return cbcMacWithFinalKey(key, message, k1);
  const padded = Buffer.alloc((Math.floor(message.length / BLOCK_BYTES) + 1) * BLOCK_BYTES);
  Buffer.from(message).copy(padded);
  padded[message.length] = 0x80;
  return cbcMacWithFinalKey(key, padded, k2);
}

/** DESFire EV2 truncated MAC: the 8 bytes at odd indexes of the CMAC. */
export function truncateMac(fullMac: Uint8Array): Buffer {
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) out[i] = fullMac[2 * i + 1]!;
  return out;
}

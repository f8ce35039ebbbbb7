import { cbcMacWithFinalKey, cmacSubkeys } from './cmac';

// NXP AN10922 §2.2 AES-128 key diversification: CMAC(K, 0x01 ‖ M), where the
// input is padded (0x80 00…) to 32 bytes when shorter and then uses subkey K2.

const DIV_CONSTANT_AES128 = 0x01;
const DIV_INPUT_BYTES = 32;

export function diversifyAes128(masterKey: Uint8Array, m: Uint8Array): Buffer {
  if (m.length < 1 || m.length > 31) {
    throw new RangeError(`diversification input must be 1..31 bytes, got ${m.length}`);
  }
  const { k1, k2 } = cmacSubkeys(masterKey);
  const d = Buffer.alloc(DIV_INPUT_BYTES);
  d[0] = DIV_CONSTANT_AES128;
  Buffer.from(m).copy(d, 1);
  const unpadded_bytes = 1 + m.length;
  if (unpadded_bytes === DIV_INPUT_BYTES) return cbcMacWithFinalKey(masterKey, d, k1);
  d[unpadded_bytes] = 0x80;
  return cbcMacWithFinalKey(masterKey, d, k2);
}

/** M = UID ‖ AID (3 bytes, as sent on the wire) ‖ system identifier. */
export function diversificationInput(uid: Uint8Array, aid: Uint8Array, systemId: Uint8Array): Buffer {
  return Buffer.concat([uid, aid, systemId]);
}

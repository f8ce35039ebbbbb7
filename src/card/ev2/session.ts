import { aesCbcDecrypt, aesCbcEncrypt, aesEcbEncryptBlock, padIso9797M2, unpadIso9797M2 } from '../crypto/aes';
import { aesCmac, truncateMac } from '../crypto/cmac';

// EV2 secure messaging primitives (AN12196 §4, MF2DL(H)x0 §9). Pure functions,
// used by the reader side (src/card) and by the card simulator (hardware/sim) alike;
// the known-answer vectors hold both to the published bytes.

export interface SessionKeys {
  encKey: Buffer; // SesAuthENCKey
  macKey: Buffer; // SesAuthMACKey
}

/** SV1/SV2 per AN12196 §4.5: label ‖ 00 01 00 80 ‖ RndA[15..14] ‖ (RndA[13..8] ⊕ RndB[15..10]) ‖ RndB[9..0] ‖ RndA[7..0]. */
function sessionVector(label: [number, number], rndA: Uint8Array, rndB: Uint8Array): Buffer {
  const sv = Buffer.alloc(32);
  sv[0] = label[0];
  sv[1] = label[1];
  sv.set([0x00, 0x01, 0x00, 0x80], 2);
  sv.set(rndA.subarray(0, 2), 6);
  for (let i = 0; i < 6; i++) sv[8 + i] = rndA[2 + i]! ^ rndB[i]!;
  sv.set(rndB.subarray(6, 16), 14);
  sv.set(rndA.subarray(8, 16), 24);
  return sv;
}

export function deriveSessionKeys(key: Uint8Array, rndA: Uint8Array, rndB: Uint8Array): SessionKeys {
  if (rndA.length !== 16 || rndB.length !== 16) throw new RangeError('RndA and RndB must be 16 bytes');
  return {
    encKey: aesCmac(key, sessionVector([0xa5, 0x5a], rndA, rndB)),
    macKey: aesCmac(key, sessionVector([0x5a, 0xa5], rndA, rndB)),
  };
}

export type IvPrefix = 'cmd' | 'resp';

export function le16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n & 0xffff);
  return b;
}

/** IV = E(SesAuthENCKey, A55A|5AA5 ‖ TI ‖ CmdCtr(LE) ‖ 00×8). */
export function computeIv(encKey: Uint8Array, ti: Uint8Array, counter: number, prefix: IvPrefix): Buffer {
  const label = prefix === 'cmd' ? [0xa5, 0x5a] : [0x5a, 0xa5];
  const block = Buffer.concat([Buffer.from(label), ti, le16(counter), Buffer.alloc(8)]);
  return aesEcbEncryptBlock(encKey, block);
}

/**
 * MACt over Cmd|RC ‖ CmdCtr(LE) ‖ TI ‖ data. For a command, `data` is the header
 * followed by the (possibly encrypted) payload; for a response it is the
 * (possibly encrypted) response data, and `counter` is the already-incremented one.
 */
export function computeMac(macKey: Uint8Array, code: number, counter: number, ti: Uint8Array, data: Uint8Array): Buffer {
  const input = Buffer.concat([Buffer.from([code]), le16(counter), ti, data]);
  return truncateMac(aesCmac(macKey, input));
}

export function encryptPayload(keys: SessionKeys, ti: Uint8Array, counter: number, prefix: IvPrefix, plain: Uint8Array): Buffer {
  return aesCbcEncrypt(keys.encKey, padIso9797M2(plain), computeIv(keys.encKey, ti, counter, prefix));
}

/** Decrypts and strips padding; null when the ciphertext length or padding is wrong. */
export function decryptPayload(keys: SessionKeys, ti: Uint8Array, counter: number, prefix: IvPrefix, cipher: Uint8Array): Buffer | null {
  if (cipher.length === 0 || cipher.length % 16 !== 0) return null;
  return unpadIso9797M2(aesCbcDecrypt(keys.encKey, cipher, computeIv(keys.encKey, ti, counter, prefix)));
}

/** Constant-time comparison for MACs. */
export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export interface TransactionMacSessionKeys {
  macKey: Buffer; // SesTMMACKey
  encKey: Buffer; // SesTMENCKey
}

/**
 * Transaction MAC session keys (MF2DL(H)x0 §10.3.2.3):
 * SV = label ‖ 00 01 00 80 ‖ (TMC+1)(LE, 4) ‖ UID(7), label 5A for MAC and A5 for ENC.
 */
export function deriveTransactionMacKeys(appTmKey: Uint8Array, tmcBefore: number, uid: Uint8Array): TransactionMacSessionKeys {
  const sv = (label: number) => {
    const tmc = Buffer.alloc(4);
    tmc.writeUInt32LE((tmcBefore + 1) >>> 0);
    return Buffer.concat([Buffer.from([label, 0x00, 0x01, 0x00, 0x80]), tmc, uid]);
  };
  return { macKey: aesCmac(appTmKey, sv(0x5a)), encKey: aesCmac(appTmKey, sv(0xa5)) };
}

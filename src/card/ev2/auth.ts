import { aesCbcDecrypt, aesCbcEncrypt } from '../crypto/aes';
import { deriveSessionKeys, macEquals, type SessionKeys } from './session';

// Reader side of AuthenticateEV2First (cmd 71) and AuthenticateEV2NonFirst
// (cmd 77), split into pure steps so the known-answer vectors can drive them.
// Every cryptogram is AES-128-CBC with a zero IV under the (diversified) key.

export const CMD_AUTH_EV2_FIRST = 0x71;
export const CMD_AUTH_EV2_NON_FIRST = 0x77;
export const CMD_ADDITIONAL_FRAME = 0xaf;

export function rotateLeft(bytes: Uint8Array): Buffer {
  return Buffer.concat([bytes.subarray(1), bytes.subarray(0, 1)]);
}

export type AuthKind = 'first' | 'nonFirst';

/** Data field of the first command: KeyNo ‖ LenCap(0) for First, KeyNo for NonFirst. */
export function authStep1Data(kind: AuthKind, keyNo: number): Buffer {
  return kind === 'first' ? Buffer.from([keyNo, 0x00]) : Buffer.from([keyNo]);
}

/** Decrypts E(K, RndB) and builds E(K, RndA ‖ RndB'). */
export function authStep2(key: Uint8Array, encRndB: Uint8Array, rndA: Uint8Array): { rndB: Buffer; data: Buffer } {
  if (encRndB.length !== 16) throw new AuthProtocolError(`expected 16 bytes of E(RndB), got ${encRndB.length}`);
  const rndB = aesCbcDecrypt(key, encRndB);
  const data = aesCbcEncrypt(key, Buffer.concat([rndA, rotateLeft(rndB)]));
  return { rndB, data };
}

export interface AuthResult {
  keys: SessionKeys;
  /** Transaction identifier; NonFirst keeps the one from the last First. */
  ti: Buffer | null;
}

/** Checks RndA' in the card's final answer and derives the session keys. */
export function authStep3(kind: AuthKind, key: Uint8Array, answer: Uint8Array, rndA: Uint8Array, rndB: Uint8Array): AuthResult {
  const expected_bytes = kind === 'first' ? 32 : 16;
  if (answer.length !== expected_bytes) {
    throw new AuthProtocolError(`expected ${expected_bytes} bytes in the final answer, got ${answer.length}`);
  }
  const plain = aesCbcDecrypt(key, answer);
  const ti = kind === 'first' ? plain.subarray(0, 4) : null;
  const rndAPrime = kind === 'first' ? plain.subarray(4, 20) : plain.subarray(0, 16);
  if (!macEquals(rndAPrime, rotateLeft(rndA))) {
    throw new AuthProtocolError("card answered with the wrong RndA' (it does not hold this key)");
  }
  return { keys: deriveSessionKeys(key, rndA, rndB), ti: ti ? Buffer.from(ti) : null };
}

export class AuthProtocolError extends Error {
  override name = 'AuthProtocolError';
}

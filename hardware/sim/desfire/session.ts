import { aesCbcDecrypt, aesCbcEncrypt } from '../../../src/card/crypto/aes';
import { rotateLeft } from '../../../src/card/ev2/auth';
import type { CommMode } from '../../../src/card/ev2/messaging';
import { computeMac, decryptPayload, deriveSessionKeys, encryptPayload, macEquals, type SessionKeys } from '../../../src/card/ev2/session';
import { STATUS } from '../../../src/card/status';

// The card's side of EV2 authentication and secure messaging (AN12196 §4–5).
// The reader side lives in src/card/ev2; both build on the same primitives in
// src/card/ev2/session.ts, which the published vectors hold to the right bytes.

export interface CardSession {
  keys: SessionKeys;
  ti: Buffer;
  /** CmdCtr: command/response pairs since AuthenticateEV2First. */
  counter: number;
  keyNo: number;
}

export const MAC_BYTES = 8;

// ---- authentication ------------------------------------------------------

export type AuthKind = 'first' | 'nonFirst';

/** Between the card's E(K, RndB) and the reader's E(K, RndA ‖ RndB'). */
export interface PendingAuth {
  kind: AuthKind;
  keyNo: number;
  key: Buffer;
  rndB: Buffer;
  /** NonFirst keeps TI and CmdCtr of the session it replaces. */
  previous: CardSession | null;
}

export function beginAuth(kind: AuthKind, keyNo: number, key: Buffer, previous: CardSession | null, random: (n: number) => Buffer): { pending: PendingAuth; answer: Buffer } {
  const rndB = random(16);
  return { pending: { kind, keyNo, key, rndB, previous }, answer: aesCbcEncrypt(key, rndB) };
}

/** Checks RndB' and answers; a status code when the reader does not hold the key. */
export function finishAuth(pending: PendingAuth, data: Buffer, random: (n: number) => Buffer): { session: CardSession; answer: Buffer } | number {
  if (data.length !== 32) return STATUS.LENGTH_ERROR;
  const plain = aesCbcDecrypt(pending.key, data);
  const rndA = plain.subarray(0, 16);
  if (!macEquals(plain.subarray(16, 32), rotateLeft(pending.rndB))) return STATUS.AUTHENTICATION_ERROR;
  const keys = deriveSessionKeys(pending.key, rndA, pending.rndB);
  if (pending.kind === 'nonFirst' && pending.previous) {
    const { ti, counter } = pending.previous;
    return { session: { keys, ti, counter, keyNo: pending.keyNo }, answer: aesCbcEncrypt(pending.key, rotateLeft(rndA)) };
  }
  const ti = random(4);
  const pdCap2 = Buffer.alloc(6);
  const pcdCap2 = Buffer.alloc(6);
  const answer = aesCbcEncrypt(pending.key, Buffer.concat([ti, rotateLeft(rndA), pdCap2, pcdCap2]));
  return { session: { keys, ti, counter: 0, keyNo: pending.keyNo }, answer };
}

// ---- secure messaging ----------------------------------------------------

export interface OpenedCommand {
  header: Buffer;
  /** Plain payload (decrypted in Full mode). */
  payload: Buffer;
}

/**
 * Checks and opens a command's data field. Without a session, or in Plain
 * mode, the data is header ‖ payload as sent. Otherwise the last 8 bytes are
 * MACt over Cmd ‖ CmdCtr ‖ TI ‖ header ‖ payload-as-sent, verified before
 * anything else; a Full payload is then decrypted.
 */
export function openCommand(session: CardSession | null, mode: CommMode, code: number, data: Buffer, headerBytes: number): OpenedCommand | number {
  if (headerBytes < 0 || data.length < headerBytes) return STATUS.LENGTH_ERROR;
  const header = data.subarray(0, headerBytes);
  if (!session || mode === 'plain') return { header, payload: data.subarray(headerBytes) };
  if (data.length < headerBytes + MAC_BYTES) return STATUS.LENGTH_ERROR;
  const body = data.subarray(headerBytes, data.length - MAC_BYTES);
  const mac = data.subarray(data.length - MAC_BYTES);
  const expected = computeMac(session.keys.macKey, code, session.counter, session.ti, data.subarray(0, data.length - MAC_BYTES));
  if (!macEquals(mac, expected)) return STATUS.INTEGRITY_ERROR;
  if (mode === 'mac' || body.length === 0) return { header, payload: body };
  if (body.length % 16 !== 0) return STATUS.LENGTH_ERROR;
  const payload = decryptPayload(session.keys, session.ti, session.counter, 'cmd', body);
  if (!payload) return STATUS.INTEGRITY_ERROR;
  return { header, payload };
}

/**
 * Protects an OK answer. `session.counter` must already be the incremented
 * one (CmdCtr + 1). Full mode encrypts non-empty data first; MAC and Full then
 * append MACt over RC ‖ CmdCtr ‖ TI ‖ data-as-sent.
 */
export function sealResponse(session: CardSession | null, mode: CommMode, status: number, data: Buffer): Buffer {
  if (!session || mode === 'plain') return data;
  const body = mode === 'full' && data.length > 0 ? encryptPayload(session.keys, session.ti, session.counter, 'resp', data) : data;
  return Buffer.concat([body, computeMac(session.keys.macKey, status, session.counter, session.ti, body)]);
}

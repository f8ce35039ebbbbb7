import { SecureMessagingError } from '../status';
import { computeMac, decryptPayload, encryptPayload, macEquals, type SessionKeys } from './session';

// EV2 secure messaging for one command/response pair (AN12196 §4.6–4.8).
// CommMode.Plain sends the data as is; MAC appends MACt over the command;
// Full encrypts the data part (never the header) and then MACs.
// The response MAC is verified before a single byte of the answer is used.

export type CommMode = 'plain' | 'mac' | 'full';

export interface SecureSession {
  keys: SessionKeys;
  ti: Buffer;
  /** CmdCtr: number of command/response pairs since AuthenticateEV2First. */
  counter: number;
  keyNo: number;
}

/** The native data field (header ‖ protected payload ‖ MACt) for the command. */
export function protectCommand(
  session: SecureSession | null,
  mode: CommMode,
  code: number,
  header: Uint8Array,
  payload: Uint8Array,
): Buffer {
  if (!session || mode === 'plain') return Buffer.concat([header, payload]);
  const body = mode === 'full' && payload.length > 0
    ? encryptPayload(session.keys, session.ti, session.counter, 'cmd', payload)
    : Buffer.from(payload);
  const mac = computeMac(session.keys.macKey, code, session.counter, session.ti, Buffer.concat([header, body]));
  return Buffer.concat([header, body, mac]);
}

/**
 * Verifies and opens a response. `counter` is the response counter (CmdCtr + 1).
 * In an authenticated session every OK answer of a MAC or Full command carries
 * MACt; plain-mode answers carry none.
 */
export function openResponse(
  session: SecureSession | null,
  mode: CommMode,
  status: number,
  data: Uint8Array,
  counter: number,
): Buffer {
  if (!session || mode === 'plain') return Buffer.from(data);
  if (data.length < 8) throw new SecureMessagingError(`response too short for a MAC (${data.length} bytes)`);
  const body = data.subarray(0, data.length - 8);
  const mac = data.subarray(data.length - 8);
  const expected = computeMac(session.keys.macKey, status, counter, session.ti, body);
  if (!macEquals(mac, expected)) throw new SecureMessagingError('response MAC does not verify; answer discarded');
  if (mode === 'mac' || body.length === 0) return Buffer.from(body);
  const plain = decryptPayload(session.keys, session.ti, counter, 'resp', body);
  if (!plain) throw new SecureMessagingError('response ciphertext has a bad length or padding');
  return plain;
}

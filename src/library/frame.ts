import { checksumMatches, sipChecksum } from './checksum';

// One SIP2 message on the wire: the payload, then (with error detection on)
// "AY<sequence digit>AZ<checksum>", then CR or CRLF. Pure: the transport splits
// the byte stream into lines; this file turns one line into a payload or a
// typed error, and never throws on what arrives.

export type Terminator = '\r' | '\r\n';

export type ErrorDetection = false | { sequence: number | null };

export interface Frame {
  payload: string;
  /** The AY digit, or null when the message carried none. */
  sequence: number | null;
  checksum: 'valid' | 'absent';
}

export type FrameError =
  | { kind: 'empty' }
  | { kind: 'bad_checksum' }
  | { kind: 'bad_sequence' }
  | { kind: 'missing_checksum' };

export type FrameResult = { ok: true; frame: Frame } | { ok: false; error: FrameError };

const A = 0x41;
const Y = 0x59;
const Z = 0x5a;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const text = new TextDecoder('utf-8');

export class SipEncodeError extends Error {
  override name = 'SipEncodeError';
}

/** Payload → bytes to write. A sequence of null writes "AZ" without "AY" (how 97 and 96 carry a checksum). */
export function encodeFrame(payload: string, detection: ErrorDetection, terminator: Terminator = '\r'): Buffer {
  if (/[\r\n]/.test(payload)) throw new SipEncodeError('a SIP2 payload must not contain a line end');
  if (detection === false) return Buffer.from(payload + terminator, 'utf8');
  const { sequence } = detection;
  if (sequence !== null && !(Number.isInteger(sequence) && sequence >= 0 && sequence <= 9)) throw new SipEncodeError('sequence must be a digit 0-9');
  const head = Buffer.from(`${payload}${sequence === null ? '' : `AY${sequence}`}AZ`, 'utf8');
  return Buffer.concat([head, Buffer.from(sipChecksum(head) + terminator, 'ascii')]);
}

/** One line (terminator already removed or not) → its payload, its AY digit and whether its checksum was there. */
export function decodeFrame(line: Uint8Array, options: { requireChecksum?: boolean } = {}): FrameResult {
  let end = line.length;
  while (end > 0 && (line[end - 1] === 0x0d || line[end - 1] === 0x0a)) end--;
  let start = 0;
  while (start < end && line[start] === 0x0a) start++;
  const bytes = line.subarray(start, end);
  if (bytes.length === 0) return { ok: false, error: { kind: 'empty' } };

  const n = bytes.length;
  const hasChecksum = n >= 6 && bytes[n - 6] === A && bytes[n - 5] === Z;
  if (!hasChecksum) {
    if (options.requireChecksum === true) return { ok: false, error: { kind: 'missing_checksum' } };
    return { ok: true, frame: { payload: text.decode(bytes), sequence: null, checksum: 'absent' } };
  }
  const checksum = String.fromCharCode(...bytes.subarray(n - 4));
  if (!checksumMatches(bytes.subarray(0, n - 4), checksum)) return { ok: false, error: { kind: 'bad_checksum' } };
  let payloadEnd = n - 6;
  let sequence: number | null = null;
  if (payloadEnd >= 3 && bytes[payloadEnd - 3] === A && bytes[payloadEnd - 2] === Y) {
    const digit = bytes[payloadEnd - 1]!;
    if (digit < DIGIT_0 || digit > DIGIT_9) return { ok: false, error: { kind: 'bad_sequence' } };
    sequence = digit - DIGIT_0;
    payloadEnd -= 3;
  }
  return { ok: true, frame: { payload: text.decode(bytes.subarray(0, payloadEnd)), sequence, checksum: 'valid' } };
}

/**
 * Splits a byte stream into lines on CR, LF or CRLF, bounded: a line longer
 * than `maxLineBytes` is dropped and reported, never buffered without end.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overflowing = false;

  constructor(private readonly maxLineBytes = 64 * 1024) {}

  /** Feeds bytes; returns the complete lines (never empty ones) and how many over-long lines were dropped. */
  push(chunk: Buffer): { lines: Buffer[]; dropped: number } {
    const lines: Buffer[] = [];
    let dropped = 0;
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 0x0d && b !== 0x0a) continue;
      const line = this.take(chunk.subarray(from, i));
      if (line === 'dropped') dropped++;
      else if (line.length > 0) lines.push(line);
      from = i + 1;
    }
    this.keep(chunk.subarray(from));
    return { lines, dropped };
  }

  private take(tail: Buffer): Buffer | 'dropped' {
    this.keep(tail);
    const overflowed = this.overflowing;
    const line = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.overflowing = false;
    return overflowed ? 'dropped' : line;
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    if (this.overflowing || this.pendingBytes + part.length > this.maxLineBytes) {
      this.overflowing = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }
}

import { randomBytes } from 'node:crypto';

// Client-generated, time-ordered ids (UUIDv7, RFC 9562): the kiosk makes and
// persists the id before anything is submitted, and retries reuse it.
// Within one process ids are strictly increasing even within one millisecond.

let last_ms = 0;
let last_counter = 0;

export function uuidv7(now_ms: number = Date.now()): string {
  if (now_ms <= last_ms) {
    last_counter++;
    if (last_counter > 0xfff) {
      last_ms++;
      last_counter = 0;
    }
  } else {
    last_ms = now_ms;
    last_counter = randomBytes(2).readUInt16BE() & 0x3ff; // room to count up within the millisecond
  }
  const b = randomBytes(16);
  b.writeUIntBE(last_ms, 0, 6);
  b[6] = 0x70 | ((last_counter >> 8) & 0x0f);
  b[7] = last_counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A ledger transaction id: also written into the card's history record. */
export const newTxId = (): string => uuidv7();
export const newEntryId = (): string => uuidv7();

// PC/SC return codes that decide what a failure means, and how to find them in
// the errors @pokusew/pcsclite produces: "SCardTransmit error: Card was removed.(0x80100069)".
// nfc-pcsc wraps those in its own errors and keeps the original as `previous`.

export const SCARD = {
  E_CANCELLED: 0x80100002,
  E_SHARING_VIOLATION: 0x8010000b,
  E_NO_SMARTCARD: 0x8010000c,
  E_UNKNOWN_READER: 0x80100009,
  F_COMM_ERROR: 0x80100013, // "RPC transport error": the pcscd socket closed under us
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

/** The PC/SC code in an error from pcsclite or nfc-pcsc, or null when there is none. */
export function pcscCode(err: unknown): number | null {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth += 1) {
    const message = e instanceof Error ? e.message : String(e);
    const match = /\(0x([0-9a-f]{8})\)/i.exec(message);
    if (match) return Number.parseInt(match[1]!, 16);
    e = (e as { previous?: unknown; cause?: unknown }).previous ?? (e as { cause?: unknown }).cause;
  }
  return null;
}

/** The most specific message in an error chain (nfc-pcsc's own messages say little). */
export function innermostMessage(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4; depth += 1) {
    const next = (e as { previous?: unknown } | null)?.previous;
    if (!next) break;
    e = next;
  }
  return e instanceof Error ? e.message : String(e);
}

/** The pcscd connection itself failed: it stopped, crashed or restarted. */
export function isPcscdGone(code: number | null): boolean {
  return code === SCARD.F_COMM_ERROR || code === SCARD.E_NO_SERVICE || code === SCARD.E_SERVICE_STOPPED;
}

export function isCardGone(code: number | null): boolean {
  return code === SCARD.W_REMOVED_CARD || code === SCARD.E_NO_SMARTCARD;
}

export function isReaderGone(code: number | null): boolean {
  return code === SCARD.E_READER_UNAVAILABLE || code === SCARD.E_UNKNOWN_READER;
}

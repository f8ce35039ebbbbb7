// What the card protocol needs from a reader: one C-APDU in, one R-APDU out.
// hardware/pcsc's CardSession satisfies it; so does an in-memory simulator.
export interface ApduTransport {
  transmit(apdu: Buffer): Promise<Buffer>;
}

/** The transport failed (card left the field, reader gone): the card's answer is unknown. */
export class TransportError extends Error {
  override name = 'TransportError';
}

// The contract a simulated card implements. Whatever carries the bytes (the
// vpcd bridge into a real pcscd, or the in-memory fake reader) drives the card
// only through these four members, in this order of life:
//
//   powerOn()            the card enters the field / the reader powers it
//   transmit(apdu) ...   one C-APDU in, one R-APDU (data + SW1 SW2) out
//   powerOff()           the card leaves the field, is torn, or is reset
//
// A handler must be synchronous and must not throw for a malformed APDU: it
// answers with an ISO status word instead (6700, 6D00, ...), as a real card does.
// Volatile state (selected application, authentication) ends at powerOff();
// what the card committed before that stays.

export interface ApduHandler {
  /** Answer To Reset, sent to the reader whenever it asks (vpcd asks at every presence poll). */
  readonly atr: Buffer;
  powerOn(): void;
  powerOff(): void;
  transmit(apdu: Buffer): Buffer;
}

import { aesCmac, truncateMac } from '../../../src/card/crypto/cmac';
import { deriveTransactionMacKeys } from '../../../src/card/ev2/session';

// Transaction MAC, as Civicard defines its input.
//
// Civicard's TMI (Transaction MAC Input) is NOT the byte layout of NXP's
// datasheet. It is: for every Credit (0C), Debit (DC), LimitedCredit (1C) and
// WriteRecord (8B) of the committed transaction, in the order the card
// executed them, the entry
//
//     Cmd (1) ‖ command header (FileNo, or FileNo ‖ Offset(3) ‖ Length(3)) ‖ plain payload
//
// zero-padded to a multiple of 16 bytes, all entries concatenated. Then
//
//     SesTMMACKey = deriveTransactionMacKeys(AppTransactionMACKey, TMC before the commit, real UID).macKey
//     TMV         = MACt(SesTMMACKey, TMI)   (AES-CMAC truncated to its 8 odd-indexed bytes)
//     TMC        += 1
//
// The back office, which holds the AppTransactionMACKey, recomputes TMV from
// the ledger entry with these two functions.

const BLOCK_BYTES = 16;

export function buildTmiEntry(cmd: number, header: Uint8Array, payload: Uint8Array): Buffer {
  const unpadded_bytes = 1 + header.length + payload.length;
  const entry = Buffer.alloc(Math.ceil(unpadded_bytes / BLOCK_BYTES) * BLOCK_BYTES);
  entry[0] = cmd;
  entry.set(header, 1);
  entry.set(payload, 1 + header.length);
  return entry;
}

/** TMV (8 bytes) of a transaction committed when the counter stood at `tmcBefore`. */
export function computeTransactionMac(appTmKey: Uint8Array, tmcBefore: number, uid: Uint8Array, tmi: Uint8Array): Buffer {
  const { macKey } = deriveTransactionMacKeys(appTmKey, tmcBefore, uid);
  return truncateMac(aesCmac(macKey, tmi));
}

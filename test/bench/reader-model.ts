// What a card operation would cost on a real contactless reader, modelled from
// the APDUs it actually exchanged (counted in the run: when the protocol sends
// fewer APDUs, the model follows) and from published figures. Pure.
//
// Sources (constants below):
//  [14443-2] ISO/IEC 14443-2: carrier fc = 13.56 MHz; at 424 kbit/s one bit
//            (etu) lasts 32/fc = 2.36 µs.
//  [14443-3] ISO/IEC 14443-3 Type A frames: every byte is 8 data bits + 1 odd
//            parity bit (9 etu); a frame adds start and end of communication
//            (~2 etu) and CRC_A (2 bytes); the frame delay time between a
//            frame and its answer is at least (n·128 + 84)/fc with n = 9,
//            i.e. 1236/fc = 91 µs, once each way.
//  [14443-4] ISO/IEC 14443-4 I-block: a 1-byte PCB before the APDU (no CID, no NAD).
//  [EV2-DS]  NXP MIFARE DESFire EV2 (MF3D(H)x2) product short data sheet,
//            "Fast programming cycles (erase/write) 1 ms": counted once for
//            each command that writes EEPROM (Debit, Credit, LimitedCredit,
//            WriteRecord, WriteData, CommitTransaction).
//  [USB-FS]  The PC/SC reader is a USB full-speed CCID device (ACS ACR122U and
//            Identiv uTrust 3700 F data sheets: "USB 2.0 Full Speed"). USB 2.0
//            §5.3.3 / §8.4: full-speed frames are 1 ms, and a CCID exchange
//            is a PC_to_RDR_XfrBlock out and a RDR_to_PC_DataBlock in: 2 ms
//            of host ↔ reader time per APDU.
//  [PN532]   A published measurement for a slow path (PN532 over SPI with
//            libnfc, DESFire EV1, at the rate libnfc negotiated — 106 kbit/s by
//            default, per the answers): 5 short APDUs in 92.8 ms, i.e. 18.6 ms
//            per APDU end to end (Stack Overflow question 50622564, "What is
//            the actual reading speed of a NFC reader PN532"). Printed as the
//            slow-reader bound, not as a 424 kbit/s figure.
//  [AUTH]    The card's own AES work in AuthenticateEV2First/NonFirst (two
//            AES-128 decryptions and encryptions, session key derivation): no
//            public NXP document gives a figure that we found. ASSUMED 2 ms per
//            authentication; replace with a measurement on the kiosk's reader.

export const FC_HZ = 13_560_000; // [14443-2]
export const ETU_S = 32 / FC_HZ; // [14443-2] 424 kbit/s
export const ETU_PER_BYTE = 9; // [14443-3] 8 data bits + parity
export const ETU_PER_FRAME = 2; // [14443-3] SOC + EOC
export const CRC_BYTES = 2; // [14443-3] CRC_A
export const PCB_BYTES = 1; // [14443-4]
export const FDT_S = 1236 / FC_HZ; // [14443-3] n = 9
export const EEPROM_WRITE_MS = 1; // [EV2-DS]
export const HOST_PER_APDU_MS = 2; // [USB-FS]
export const SLOW_READER_PER_APDU_MS = 92.8 / 5; // [PN532]
export const CARD_AES_AUTH_MS = 2; // [AUTH] assumption

/** DESFire native INS codes (CLA 0x90): authentication starts and EEPROM-writing commands. */
const AUTH_START_INS = new Set([0x71, 0x77, 0xaa]); // AuthenticateEV2First, AuthenticateEV2NonFirst, AuthenticateAES
const EEPROM_WRITE_INS = new Set([0xdc, 0x0c, 0x1c, 0x8b, 0x3b, 0x3d, 0xc7]);

export interface Exchange {
  command: Buffer;
  response: Buffer;
}

export interface ModelledOperation {
  apdus: number;
  authentications: number;
  eeprom_writes: number;
  bytes_on_air: number;
  /** Over the air only: frames, bit times and frame delays. */
  air_ms: number;
  /** Air + card EEPROM and crypto time + USB/CCID per APDU: a good PC/SC reader. */
  reader_ms: number;
  /** The same APDUs at the published PN532 rate, plus the card's own time. */
  slow_reader_ms: number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function modelOperation(exchanges: readonly Exchange[]): ModelledOperation {
  let air_s = 0;
  let bytes = 0;
  let authentications = 0;
  let eeprom_writes = 0;
  for (const { command, response } of exchanges) {
    const ins = command[1];
    if (command[0] === 0x90 && ins !== undefined && AUTH_START_INS.has(ins)) authentications++;
    if (command[0] === 0x90 && ins !== undefined && EEPROM_WRITE_INS.has(ins)) eeprom_writes++;
    const frames = [command.length + PCB_BYTES + CRC_BYTES, response.length + PCB_BYTES + CRC_BYTES];
    for (const n of frames) {
      bytes += n;
      air_s += (n * ETU_PER_BYTE + ETU_PER_FRAME) * ETU_S + FDT_S;
    }
  }
  const card_ms = eeprom_writes * EEPROM_WRITE_MS + authentications * CARD_AES_AUTH_MS;
  const air_ms = air_s * 1000;
  return {
    apdus: exchanges.length,
    authentications,
    eeprom_writes,
    bytes_on_air: bytes,
    air_ms: round(air_ms),
    reader_ms: round(air_ms + card_ms + exchanges.length * HOST_PER_APDU_MS),
    slow_reader_ms: round(card_ms + exchanges.length * SLOW_READER_PER_APDU_MS),
  };
}

/** A transport that keeps every exchange (for modelOperation). */
export function recordingTransport(inner: { transmit(apdu: Buffer): Promise<Buffer> }): { transport: { transmit(apdu: Buffer): Promise<Buffer> }; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const transport = {
    async transmit(apdu: Buffer): Promise<Buffer> {
      const response = await inner.transmit(apdu);
      exchanges.push({ command: Buffer.from(apdu), response: Buffer.from(response) });
      return response;
    },
  };
  return { transport, exchanges };
}

import { describe, expect, it } from 'vitest';
import { issuedSimCard, testTxId, vaultFor } from '../../support/card-fixtures';
import { decodeRecord, encodeRecord, txTagOf } from '../../../src/card/layout';
import { IdentificationKeyMissingError, Purse } from '../../../src/card/purse';
import { SoftwareKeyVault } from '../../../src/card/keys/keyvault';
import { DesfireSim } from '../../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../../hardware/sim/in-memory-transport';

// Issue 7 §1 and §2: the card tells a stranger nothing stable, and a tap
// costs the resident as few round trips as the protocol allows.

/** Every command a reader without keys can send, at card and at application level (APDUs as on the wire). */
const STRANGER_COMMANDS = [
  'FFCA000000', // PC/SC: the UID seen at anticollision
  '9060000000', // GetVersion (then its two additional frames)
  '90AF000000',
  '90AF000000',
  '906A000000', // GetApplicationIDs
  '9045000000', // GetKeySettings (card)
  '906400000100', // GetKeyVersion 0 (card)
  '906E000000', // FreeMemory
  '906D000000', // GetDFNames
  '9051000000', // GetCardUID (needs a key)
  '00A4040007D276000085010100', // ISO SELECT of an NDEF application
  '00B0000000', // ISO READ BINARY
  '905A00000343560100', // SelectApplication Civicard
  '9045000000', // GetKeySettings (application)
  '906400000100', // GetKeyVersion 0..4 (application)
  '906400000101',
  '906400000104',
  '906F000000', // GetFileIDs
  '9061000000', // GetISOFileIDs
  '90F500000100', // GetFileSettings 0..2, F
  '90F500000101',
  '90F500000102',
  '90F50000010F',
  '90BD0000070000000000000000', // ReadData identity, the whole file
  '906C00000101', // GetValue
  '90BB0000070200000000000000', // ReadRecords history
  '90BD000007' + '0F' + '000000' + '0C0000' + '00', // ReadData Transaction MAC file
];

function tap(sim: DesfireSim): Buffer[] {
  sim.powerOn();
  const answers = STRANGER_COMMANDS.map((hex) => sim.transmit(Buffer.from(hex, 'hex')));
  sim.powerOff();
  return [sim.atr, ...answers];
}

/** Every run of 4 bytes in the answers. */
function windows(answers: Buffer[]): Set<string> {
  const out = new Set<string>();
  for (const a of answers) for (let i = 0; i + 4 <= a.length; i++) out.add(a.subarray(i, i + 4).toString('hex'));
  return out;
}

describe('a stranger’s reader, without keys', () => {
  it('finds nothing of 4 bytes or more that this card repeats from one tap to the next and other cards do not share', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const other = await issuedSimCard(2_000, keys);
    const first = tap(sim);
    const second = tap(sim);
    const elsewhere = tap(other.sim);
    const repeated = [...windows(first)].filter((w) => windows(second).has(w));
    const sharedByEveryCard = windows(elsewhere);
    // What every card of this batch and layout answers alike (protocol constants, GetVersion's vendor,
    // version and batch fields, key settings) is allowed; anything else repeated is a tracking handle.
    expect(repeated.filter((w) => !sharedByEveryCard.has(w))).toEqual([]);
    // The sharper checks behind it:
    expect(first[1]!.equals(second[1]!)).toBe(false); // a fresh random UID at anticollision
    expect(first[4]!.subarray(0, 7).equals(Buffer.alloc(7))).toBe(true); // GetVersion (third frame) hides the real UID
    expect(first[1]!.subarray(0, -2).toString('hex')).not.toContain(sim.state.uidHex.toLowerCase());
    for (const answers of [first, second]) expect(Buffer.concat(answers).toString('hex')).not.toContain(sim.state.uidHex.toLowerCase());
  });

  it('reads no identity, value, history or counter without a key', async () => {
    const { sim } = await issuedSimCard(1_000);
    const answers = tap(sim);
    const statusOf = (i: number) => answers[i + 1]!.subarray(-2).toString('hex');
    const readIdentity = STRANGER_COMMANDS.indexOf('90BD0000070000000000000000');
    for (const i of [readIdentity, readIdentity + 1, readIdentity + 2, readIdentity + 3]) expect(statusOf(i)).toBe('91ae'); // AUTHENTICATION_ERROR
    expect(statusOf(STRANGER_COMMANDS.indexOf('906F000000'))).toBe('91ae'); // no free file listing
    expect(statusOf(STRANGER_COMMANDS.indexOf('9051000000'))).toBe('91ae');
  });

  it('a station without the identification key is told so, and learns nothing else', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const withoutIdent = new SoftwareKeyVault('no-ident', true, { debit: Buffer.from(keys.debit, 'hex'), read: Buffer.from(keys.read, 'hex') });
    const transport = new InMemoryCardTransport(sim);
    await expect(new Purse(transport, { vault: withoutIdent }).read()).rejects.toBeInstanceOf(IdentificationKeyMissingError);
    expect(transport.apdus).toBe(0); // not even a SELECT
  });
});

describe('round trips per tap (a real reader spends milliseconds on each)', () => {
  it('a balance read is 7 APDUs and a committed debit 10, the identification step included', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const transport = new InMemoryCardTransport(sim);
    const purse = new Purse(transport, { vault: vaultFor(keys, ['debit', 'read']) });
    const reading = await purse.read();
    expect(reading.balance_minor).toBe(1_000);
    expect(reading.tmac_counter).toBe(1);
    expect(transport.apdus).toBe(7); // SELECT, AuthenticateEV2First K4 (2), ReadData identity, AuthenticateEV2NonFirst K1 (2), ReadRecords newest
    const debit = await purse.debit(testTxId(1), 250);
    expect(debit).toMatchObject({ outcome: 'committed', balance_after_minor: 750, tmac_counter: 2 });
    expect(transport.apdus).toBe(10); // + Debit, WriteRecord, CommitTransaction (its answer is the Transaction MAC)
  });

  it('the history is read only when asked for, in the same one APDU', async () => {
    const { sim, keys } = await issuedSimCard(1_000);
    const transport = new InMemoryCardTransport(sim);
    const reading = await new Purse(transport, { vault: vaultFor(keys, ['debit', 'read']) }).read({ history: 'all' });
    expect(reading.history_complete).toBe(true);
    expect(transport.apdus).toBe(8); // the whole history, plus the Transaction MAC file to settle with
  });
});

describe('what a history record keeps', () => {
  it('a tag of the transaction id without its timestamp, the amounts and the counter — no terminal, no time', async () => {
    const tx_id = '01a23551-2a03-737c-bdf8-2f5e91d7cd48'; // UUIDv7: the first 6 bytes are the millisecond it was made
    const record = encodeRecord({ kind: 'debit', tx_id, amount_minor: 350, balance_after_minor: 650, counter_before: 41 });
    const hex = record.toString('hex');
    expect(hex).not.toContain('01a235512a03'); // the timestamp
    expect(hex).toContain(txTagOf(tx_id));
    expect(decodeRecord(record)).toEqual({ kind: 'debit', tx_tag: txTagOf(tx_id), amount_minor: 350, balance_after_minor: 650, counter_before: 41 });
    expect(Object.keys(decodeRecord(record)!)).not.toContain('terminal_id');
    // Everything after the fields is zero: no room was left for anything else.
    expect(record.subarray(24).equals(Buffer.alloc(8))).toBe(true);
  });
});

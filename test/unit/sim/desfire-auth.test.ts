import { describe, expect, it } from 'vitest';
import { computeMac } from '../../../src/card/ev2/session';
import { protectCommand } from '../../../src/card/ev2/messaging';
import { wrapNative } from '../../../src/card/apdu';
import { STATUS } from '../../../src/card/status';
import { blankCardState, DesfireSim, jamCrc32 } from '../../../hardware/sim/desfire';
import {
  APP, changeOtherKeyPayload, CMD, expectOk, FILE, hex, K, KEYS, le24, open, personalisedCard, readerJamCrc32, TestReader, UID, ZERO_KEY,
} from './reader';

/** A random source that hands out the given byte strings in order, then zeros. */
function scriptedRandom(...chunks: string[]): (n: number) => Buffer {
  const queue = chunks.map(hex);
  return (n) => {
    const next = queue.shift() ?? Buffer.alloc(n);
    if (next.length !== n) throw new Error(`script gave ${next.length} bytes, card asked for ${n}`);
    return next;
  };
}

function blankCard(opts: { randomUid?: boolean; random?: (n: number) => Buffer } = {}) {
  const sim = new DesfireSim({ state: blankCardState(UID), ...opts });
  sim.powerOn();
  return { sim, r: new TestReader(sim) };
}

const hexOf = (b: Buffer) => b.toString('hex').toUpperCase();

describe('DesfireSim: the card as a reader first meets it', () => {
  it('has the DESFire ATR, is blank, and tells its version in three frames', () => {
    const { sim, r } = blankCard();
    expect(hexOf(sim.atr)).toBe('3B8180018080');
    expect(sim.state.applications).toEqual({});
    expect(sim.state.piccKey).toEqual({ keyHex: '00'.repeat(16), version: 0 });
    expect(hexOf(r.raw('9060000000'))).toBe('04010112001A0591AF');
    expect(hexOf(r.raw('90AF000000'))).toBe('04010102011A0591AF');
    expect(hexOf(r.raw('90AF000000'))).toBe(`${hexOf(UID)}BA7C4E211017219100`);
    expect(r.select('C3B2A1')).toBe(STATUS.APPLICATION_NOT_FOUND);
  });

  it('a blank card gets a random 7-byte NXP UID', () => {
    const a = blankCardState();
    const b = blankCardState();
    expect(a.uidHex).toMatch(/^04[0-9A-F]{12}$/);
    expect(a.uidHex).not.toBe(b.uidHex);
  });

  it('answers FF CA with the real UID, or with a fresh random 08… UID per power-on', () => {
    expect(hexOf(blankCard().r.raw('FFCA000000'))).toBe(`${hexOf(UID)}9000`);
    const { sim, r } = blankCard({ randomUid: true });
    const first = r.raw('FFCA000000');
    expect(first).toHaveLength(6);
    expect(first[0]).toBe(0x08);
    expect(hexOf(first.subarray(4))).toBe('9000');
    sim.powerOff();
    sim.powerOn();
    expect(hexOf(r.raw('FFCA000000'))).not.toBe(hexOf(first));
  });

  it('with random UID, only an authenticated reader learns the real UID (GetVersion hides it, GetCardUID tells it)', () => {
    const { r } = blankCard({ randomUid: true });
    r.exchange(CMD.GET_VERSION);
    const version = r.exchange(CMD.GET_VERSION).data;
    expect(hexOf(version.subarray(14, 21))).toBe('00'.repeat(7));
    expect(r.command(CMD.GET_CARD_UID).status).toBe(STATUS.AUTHENTICATION_ERROR);
    expectOk(r.authenticate(0, ZERO_KEY));
    expect(r.ok(CMD.GET_CARD_UID, { mode: 'mac', responseMode: 'full' })).toEqual(UID);
  });

  it('answers ISO errors outside the DESFire command set, and ISO SELECT / READ BINARY as a card with no ISO files', () => {
    const { r } = blankCard();
    expect(hexOf(r.raw('00A4040000'))).toBe('6A82');
    expect(hexOf(r.raw('00B0000000'))).toBe('6986');
    expect(hexOf(r.raw('80CA000000'))).toBe('6E00');
    expect(hexOf(r.raw('FFB0000000'))).toBe('6D00');
    expect(hexOf(r.raw('905A000005000000'))).toBe('6700');
    expect(hexOf(r.raw('90EE000000'))).toBe('911C');
  });

  it('refuses to work unpowered (the transport must power it on first)', () => {
    const sim = new DesfireSim({ state: blankCardState(UID) });
    expect(() => sim.transmit(hex('9060000000'))).toThrow(/not powered/);
  });
});

describe('DesfireSim: AuthenticateEV2First and NonFirst', () => {
  it('replays AN12196 AuthenticateEV2First with key 0x00 byte for byte', () => {
    const { r } = blankCard({ random: scriptedRandom('B9E2FC789B64BF237CCCAA20EC7E6E48', '9D00C4DF') });
    expect(hexOf(r.raw('9071000002000000'))).toBe('A04C124213C186F22399D33AC2A3021591AF');
    expect(hexOf(r.raw('90AF00002035C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D00'))).toBe(
      '3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100',
    );
  });

  it('replays AN12196 key 0x03 and then MACs a Full WriteData answer to the published bytes', () => {
    const setupAuth = ['00'.repeat(16), '00'.repeat(4)]; // RndB and TI of the key-0 session that creates the file
    const { r } = blankCard({ random: scriptedRandom(...setupAuth, '91517975190DCEA6104948EFA3085C1B', '7614281A') });
    // An application with four zero keys and a Full-mode data file 03 writable with key 3.
    r.ok(CMD.CREATE_APP, { payload: hex('C3B2A10F84') });
    expectOk(r.select('C3B2A1'));
    expectOk(r.authenticate(0, ZERO_KEY, 'first', hex('B98F4C50CF1C2E084FD150E33992B048')));
    r.ok(CMD.CREATE_STD, { header: Buffer.concat([hex('0303'), Buffer.from([0x00, 0x03]), le24(32)]), mode: 'mac' });
    expect(hexOf(r.raw('9071000002030000'))).toBe('B875CEB0E66A6C5CD00898DC371F92D191AF');
    expect(hexOf(r.raw('90AF000020FF0306E47DFBC50087C4D8A78E88E62DE1E8BE457AA477C707E2F0874916A8B100'))).toBe(
      '0CC9A8094A8EEA683ECAAC5C7BF20584206D0608D477110FC6B3D5D3F65C3A6A9100',
    );
    r.session = { keys: { encKey: hex('7A93D6571E4B180FCA6AC90C9A7488D4'), macKey: hex('FC4AF159B62E549B5812394CAB1918CC') }, ti: hex('7614281A'), counter: 0, keyNo: 3 };
    const data = protectCommand(r.session, 'full', CMD.WRITE_DATA, hex('030000000A0000'), hex('0102030405060708090A'));
    expect(hexOf(r.raw(wrapNative(CMD.WRITE_DATA, data)))).toBe('C26D236E4A7C046D9100');
  });

  it('authenticates with the zero key of a new application, and refuses a wrong key', () => {
    const { r } = blankCard();
    r.ok(CMD.CREATE_APP, { payload: hex('C3B2A10F82') });
    expectOk(r.select('C3B2A1'));
    expect(r.authenticate(1, KEYS.debit)).toBe(STATUS.AUTHENTICATION_ERROR);
    expect(r.command(CMD.GET_CARD_UID).status).toBe(STATUS.AUTHENTICATION_ERROR); // not authenticated after the failure
    expect(r.authenticate(2, ZERO_KEY)).toBe(STATUS.NO_SUCH_KEY);
    expectOk(r.authenticate(1, ZERO_KEY));
    expect(r.ok(CMD.GET_CARD_UID, { mode: 'mac', responseMode: 'full' })).toEqual(UID);
  });

  it('checks the lengths of the authentication frames', () => {
    const { r } = blankCard();
    expect(r.exchange(0x71, hex('0002AA')).status).toBe(STATUS.LENGTH_ERROR);
    expect(r.exchange(0x71, hex('00')).status).toBe(STATUS.LENGTH_ERROR);
    expect(r.exchange(0x71, hex('0000')).status).toBe(STATUS.ADDITIONAL_FRAME);
    expect(r.exchange(0xaf, Buffer.alloc(16)).status).toBe(STATUS.LENGTH_ERROR);
    expect(r.exchange(0x77, hex('00')).status).toBe(STATUS.AUTHENTICATION_ERROR); // NonFirst needs a session
  });

  it('counts one CmdCtr per command/response pair, plain ones too; NonFirst keeps TI and CmdCtr', () => {
    const { r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    const ti = hexOf(r.session!.ti);
    expect(r.session!.counter).toBe(0);
    r.ok(CMD.GET_VALUE, { header: Buffer.from([FILE.purse]), mode: 'mac' });
    r.ok(CMD.READ_DATA, { header: Buffer.concat([Buffer.from([FILE.identity]), le24(0), le24(4)]) }); // free: plain
    r.ok(CMD.GET_CARD_UID, { mode: 'mac', responseMode: 'full' });
    expect(r.session!.counter).toBe(3);
    // The card's counter is where ours is: a MAC computed with 3 verifies, so does the answer at 4.
    expectOk(r.authenticate(K.read, KEYS.read, 'nonFirst'));
    expect(hexOf(r.session!.ti)).toBe(ti);
    expect(r.session!.counter).toBe(3);
    r.ok(CMD.READ_DATA, { header: Buffer.concat([Buffer.from([FILE.tmac]), le24(0), le24(0)]) });
    expect(r.session!.counter).toBe(4);
    expectOk(r.authenticate(K.read, KEYS.read, 'first'));
    expect(r.session!.counter).toBe(0);
  });

  it('refuses a command whose MAC does not verify, with INTEGRITY_ERROR, and drops the session', () => {
    const { r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    const session = r.session!;
    const good = protectCommand(session, 'mac', CMD.GET_VALUE, Buffer.from([FILE.purse]), Buffer.alloc(0));
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x01;
    expect(hexOf(r.raw(wrapNative(CMD.GET_VALUE, bad)))).toBe('911E');
    // The same command with a correct MAC is now refused too: no session any more.
    expect(hexOf(r.raw(wrapNative(CMD.GET_VALUE, good)))).toBe('91AE');
    // A MAC over the wrong counter is as bad as a flipped bit.
    expectOk(r.authenticate(K.debit, KEYS.debit));
    const stale = Buffer.concat([Buffer.from([FILE.purse]), computeMac(r.session!.keys.macKey, CMD.GET_VALUE, 1, r.session!.ti, Buffer.from([FILE.purse]))]);
    expect(hexOf(r.raw(wrapNative(CMD.GET_VALUE, stale)))).toBe('911E');
  });
});

describe('DesfireSim: applications and keys', () => {
  it('creates an application at PICC level without authentication, once', () => {
    const { sim, r } = blankCard();
    expect(r.command(CMD.CREATE_APP, { payload: hex('C3B2A10F85') }).status).toBe(STATUS.OPERATION_OK);
    expect(r.command(CMD.CREATE_APP, { payload: hex('C3B2A10F85') }).status).toBe(STATUS.DUPLICATE_ERROR);
    expect(r.command(CMD.CREATE_APP, { payload: hex('D3B2A10F05') }).status).toBe(STATUS.PARAMETER_ERROR); // not AES
    expect(r.command(CMD.CREATE_APP, { payload: hex('D3B2A10F80') }).status).toBe(STATUS.PARAMETER_ERROR); // no keys
    expect(r.command(CMD.CREATE_APP, { payload: hex('D3B2A10F') }).status).toBe(STATUS.LENGTH_ERROR);
    const app = sim.state.applications.C3B2A1!;
    expect(app.keys).toHaveLength(5);
    expect(app.keys.every((k) => k.keyHex === '00'.repeat(16) && k.version === 0)).toBe(true);
    expect(app.keySettings1).toBe(0x0f);
    // Authenticated with the PICC master key, the same command goes MACed.
    expectOk(r.authenticate(0, ZERO_KEY));
    r.ok(CMD.CREATE_APP, { payload: hex('D3B2A10F81'), mode: 'mac' });
    expect(r.session!.counter).toBe(1);
    expect(Object.keys(sim.state.applications).sort()).toEqual(['C3B2A1', 'D3B2A1']);
    expectOk(r.select('C3B2A1'));
    expect(r.command(CMD.CREATE_APP, { payload: hex('E3B2A10F85') }).status).toBe(STATUS.PERMISSION_DENIED); // only at PICC level
  });

  it('ChangeKey of another key: new key works, old one refused, bad CRC refused', () => {
    const { sim, r } = personalisedCard();
    expect(sim.state.applications[APP]!.keys.map((k) => [k.keyHex, k.version])).toEqual([
      [hexOf(KEYS.master), 1], [hexOf(KEYS.debit), 1], [hexOf(KEYS.credit), 1], [hexOf(KEYS.read), 1], ['00'.repeat(16), 0],
    ]);
    expect(r.select(APP)).toBe(STATUS.OPERATION_OK);
    expect(r.authenticate(K.debit, ZERO_KEY)).toBe(STATUS.AUTHENTICATION_ERROR);
    expectOk(r.authenticate(K.debit, KEYS.debit));

    open(r, K.master, KEYS.master);
    const fresh = hex('0123456789ABCDEF0123456789ABCDEF');
    const badCrc = changeOtherKeyPayload(fresh, KEYS.debit, 2, readerJamCrc32(fresh) ^ 1);
    expect(r.command(CMD.CHANGE_KEY, { header: Buffer.from([K.debit]), payload: badCrc, mode: 'full', responseMode: 'mac' }).status).toBe(STATUS.INTEGRITY_ERROR);
    expectOk(r.authenticate(K.master, KEYS.master));
    r.ok(CMD.CHANGE_KEY, { header: Buffer.from([K.debit]), payload: changeOtherKeyPayload(fresh, KEYS.debit, 2, readerJamCrc32(fresh)), mode: 'full', responseMode: 'mac' });
    expect(r.command(CMD.CHANGE_KEY, { header: Buffer.from([9]), payload: changeOtherKeyPayload(fresh, ZERO_KEY, 2, readerJamCrc32(fresh)), mode: 'full', responseMode: 'mac' }).status).toBe(STATUS.NO_SUCH_KEY);
    expect(r.authenticate(K.debit, KEYS.debit)).toBe(STATUS.AUTHENTICATION_ERROR);
    expectOk(r.authenticate(K.debit, fresh));
    expect(sim.state.applications[APP]!.keys[K.debit]).toEqual({ keyHex: hexOf(fresh), version: 2 });
  });

  it('ChangeKey of the authenticated key answers a plain 9100 and ends the session', () => {
    const { r } = personalisedCard();
    open(r, K.master, KEYS.master);
    const fresh = hex('FEDCBA9876543210FEDCBA9876543210');
    const data = protectCommand(r.session, 'full', CMD.CHANGE_KEY, Buffer.from([K.master]), Buffer.concat([fresh, Buffer.from([7])]));
    expect(hexOf(r.raw(wrapNative(CMD.CHANGE_KEY, data)))).toBe('9100');
    expect(r.exchange(CMD.GET_CARD_UID).status).toBe(STATUS.AUTHENTICATION_ERROR);
    r.session = null;
    expect(r.authenticate(K.master, KEYS.master)).toBe(STATUS.AUTHENTICATION_ERROR);
    expectOk(r.authenticate(K.master, fresh));
  });

  it('only the master key changes keys, and only authenticated', () => {
    const { r } = personalisedCard();
    const payload = changeOtherKeyPayload(ZERO_KEY, KEYS.read, 0, readerJamCrc32(ZERO_KEY));
    open(r, K.credit, KEYS.credit);
    expect(r.command(CMD.CHANGE_KEY, { header: Buffer.from([K.read]), payload, mode: 'full', responseMode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED);
    expectOk(r.select(APP));
    expect(r.command(CMD.CHANGE_KEY, { header: Buffer.from([K.read]), payload }).status).toBe(STATUS.AUTHENTICATION_ERROR);
  });

  it('computes the ChangeKey CRC32 of AN12196 Table 25', () => {
    expect(jamCrc32(hex('F3847D627727ED3BC9C4CC050489B966'))).toBe(0xdcfa9d78);
  });
});

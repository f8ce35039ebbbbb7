import { describe, expect, it } from 'vitest';
import { wrapNative } from '../../../src/card/apdu';
import { protectCommand } from '../../../src/card/ev2/messaging';
import { STATUS } from '../../../src/card/status';
import { FRAME_DATA_BYTES } from '../../../hardware/sim/desfire';
import { access, APP, CMD, expectOk, FILE, hex, K, KEYS, le24, le32, open, personalisedCard, RECORD_BYTES, ZERO_KEY } from './reader';

const readDataHeader = (fileNo: number, offset: number, length: number) => Buffer.concat([Buffer.from([fileNo]), le24(offset), le24(length)]);

describe('DesfireSim: creating files', () => {
  it('creates every file kind with the settings it was given', () => {
    const { sim } = personalisedCard();
    const files = sim.state.applications[APP]!.files;
    expect(files[FILE.identity]).toEqual({ type: 'stdData', commMode: 'plain', access: { read: 0xe, write: 0, readWrite: 0, change: 0 }, dataHex: '00'.repeat(32) });
    expect(files[FILE.purse]).toEqual({
      type: 'value', commMode: 'mac', access: { read: K.debit, write: K.debit, readWrite: K.credit, change: 0 },
      lowerLimit: 0, upperLimit: 10_000, value: 1_000, limitedCreditEnabled: true, limitedCreditAvailable: 0,
    });
    expect(files[FILE.history]).toEqual({ type: 'cyclicRecord', commMode: 'full', access: { read: K.read, write: K.credit, readWrite: K.debit, change: 0 }, recordSize: 16, maxRecords: 4, recordsHex: [] });
    expect(files[FILE.tmac]).toEqual({ type: 'transactionMac', commMode: 'plain', access: { read: K.read, write: 0xf, readWrite: 0, change: 0 }, keyHex: KEYS.tmac.toString('hex').toUpperCase(), keyVersion: 1, tmc: 0, tmvHex: '00'.repeat(8) });
    expect(files[FILE.big]).toMatchObject({ type: 'stdData', commMode: 'full' });
  });

  it('needs K0 of the application, refuses duplicates and bad parameters', () => {
    const { r } = personalisedCard();
    const std = (fileNo: number, size: number, option = 0x00) => Buffer.concat([Buffer.from([fileNo, option]), access(0xe, 0xe, 0xe, 0), le24(size)]);
    expectOk(r.select(APP));
    expect(r.command(CMD.CREATE_STD, { header: std(7, 8) }).status).toBe(STATUS.AUTHENTICATION_ERROR);
    open(r, K.debit, KEYS.debit);
    expect(r.command(CMD.CREATE_STD, { header: std(7, 8), mode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED);
    open(r, K.master, KEYS.master);
    expect(r.command(CMD.CREATE_STD, { header: std(FILE.identity, 8), mode: 'mac' }).status).toBe(STATUS.DUPLICATE_ERROR);
    for (const [header, status] of [
      [std(32, 8), STATUS.PARAMETER_ERROR],
      [std(7, 0), STATUS.PARAMETER_ERROR],
      [std(7, 8, 0x40), STATUS.PARAMETER_ERROR],
      [std(7, 9000), STATUS.OUT_OF_EEPROM],
      [std(7, 8).subarray(0, 6), STATUS.LENGTH_ERROR],
    ] as const) {
      expectOk(r.authenticate(K.master, KEYS.master));
      expect(r.command(CMD.CREATE_STD, { header, mode: 'mac' }).status).toBe(status);
    }
    const value = (lower: number, upper: number, v: number) => Buffer.concat([Buffer.from([8, 0x01]), access(1, 1, 2, 0), le32(lower), le32(upper), le32(v), Buffer.from([0])]);
    expectOk(r.authenticate(K.master, KEYS.master));
    expect(r.command(CMD.CREATE_VALUE, { header: value(0, 100, 101), mode: 'mac' }).status).toBe(STATUS.BOUNDARY_ERROR);
    expectOk(r.authenticate(K.master, KEYS.master));
    expect(r.command(CMD.CREATE_CYCLIC, { header: Buffer.concat([Buffer.from([9, 0x00]), access(1, 1, 1, 0), le24(16), le24(1)]), mode: 'mac' }).status).toBe(STATUS.PARAMETER_ERROR);
    expectOk(r.authenticate(K.master, KEYS.master));
    const tmac = { header: Buffer.concat([Buffer.from([10, 0x00]), access(3, 0xf, 0, 0)]), payload: Buffer.concat([Buffer.from([0x02]), ZERO_KEY, Buffer.from([0])]), mode: 'full' as const, responseMode: 'mac' as const };
    expect(r.command(CMD.CREATE_TMAC, tmac).status).toBe(STATUS.DUPLICATE_ERROR); // one per application
    expectOk(r.authenticate(K.master, KEYS.master));
    r.ok(CMD.CREATE_VALUE, { header: value(-50, 50, 0), mode: 'mac' });
  });

  it('refuses file commands at PICC level and for files that do not exist', () => {
    const { r } = personalisedCard();
    expect(r.command(CMD.READ_DATA, { header: readDataHeader(0, 0, 1) }).status).toBe(STATUS.PERMISSION_DENIED);
    expectOk(r.select(APP));
    expect(r.command(CMD.READ_DATA, { header: readDataHeader(20, 0, 1) }).status).toBe(STATUS.FILE_NOT_FOUND);
    expect(r.command(CMD.GET_VALUE, { header: Buffer.from([FILE.identity]) }).status).toBe(STATUS.PARAMETER_ERROR);
  });
});

describe('DesfireSim: data files', () => {
  it('writes at once (no transaction) and reads back, length 0 meaning to the end', () => {
    const { sim, r, persisted } = personalisedCard();
    open(r, K.master, KEYS.master);
    const before = persisted.length;
    r.ok(CMD.WRITE_DATA, { header: readDataHeader(FILE.identity, 4, 3), payload: hex('ABCDEF') });
    expect(persisted).toHaveLength(before + 1);
    sim.powerOff();
    sim.powerOn();
    r.session = null;
    expectOk(r.select(APP));
    expect(r.ok(CMD.READ_DATA, { header: readDataHeader(FILE.identity, 2, 6) }).toString('hex')).toBe('0000abcdef00');
    expect(r.ok(CMD.READ_DATA, { header: readDataHeader(FILE.identity, 30, 0) })).toHaveLength(2);
    expect(r.command(CMD.READ_DATA, { header: readDataHeader(FILE.identity, 30, 3) }).status).toBe(STATUS.BOUNDARY_ERROR);
    expect(r.command(CMD.READ_DATA, { header: readDataHeader(FILE.identity, 32, 0) }).status).toBe(STATUS.BOUNDARY_ERROR);
  });

  it('checks write lengths and bounds', () => {
    const { r } = personalisedCard();
    for (const [header, payload, status] of [
      [readDataHeader(FILE.identity, 0, 4), hex('010203'), STATUS.LENGTH_ERROR],
      [readDataHeader(FILE.identity, 30, 3), hex('010203'), STATUS.BOUNDARY_ERROR],
    ] as const) {
      open(r, K.master, KEYS.master);
      expect(r.command(CMD.WRITE_DATA, { header, payload }).status).toBe(status);
    }
  });

  it('free access is plain even inside an authenticated session', () => {
    const { r } = personalisedCard();
    open(r, K.read, KEYS.read);
    expect(r.ok(CMD.READ_DATA, { header: readDataHeader(FILE.identity, 0, 4) })).toEqual(Buffer.alloc(4));
  });

  it('chains an answer longer than 240 bytes into 91AF frames, MAC over the whole', () => {
    const { r } = personalisedCard();
    const content = Buffer.from(Array.from({ length: 600 }, (_, i) => i & 0xff));
    open(r, K.master, KEYS.master);
    for (let at = 0; at < 600; at += 200) {
      r.ok(CMD.WRITE_DATA, { header: readDataHeader(FILE.big, at, 200), payload: content.subarray(at, at + 200), mode: 'full', responseMode: 'mac' });
    }
    open(r, K.debit, KEYS.debit);
    const answer = r.command(CMD.READ_DATA, { header: readDataHeader(FILE.big, 0, 0), mode: 'mac', responseMode: 'full' });
    expect(answer.status).toBe(STATUS.OPERATION_OK);
    expect(answer.data).toEqual(content);
    // 600 bytes padded to 608, plus the 8-byte MAC = 616 bytes on the wire: 240 + 240 + 136.
    expect(FRAME_DATA_BYTES).toBe(240);
    expect(answer.frames).toBe(3);
    expect(r.ok(CMD.READ_DATA, { header: readDataHeader(FILE.big, 100, 50), mode: 'mac', responseMode: 'full' })).toEqual(content.subarray(100, 150));
  });

  it('a chain is abandoned by any other command', () => {
    const { r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    const data = protectCommand(r.session, 'mac', CMD.READ_DATA, readDataHeader(FILE.big, 0, 0), Buffer.alloc(0));
    expect(r.raw(wrapNative(CMD.READ_DATA, data)).subarray(-2).toString('hex')).toBe('91af');
    r.session!.counter++; // the card counted the pair when it built the whole answer
    expect(r.ok(CMD.GET_CARD_UID, { mode: 'mac', responseMode: 'full' })).toHaveLength(7);
    expect(r.raw('90AF000000').toString('hex')).toBe('911c');
  });

  it('the Transaction MAC file reads as TMC ‖ TMV and cannot be written', () => {
    const { r } = personalisedCard();
    open(r, K.read, KEYS.read);
    expect(r.ok(CMD.READ_DATA, { header: readDataHeader(FILE.tmac, 0, 0) })).toEqual(Buffer.alloc(12));
    open(r, K.master, KEYS.master);
    expect(r.command(CMD.WRITE_DATA, { header: readDataHeader(FILE.tmac, 0, 1), payload: hex('01') }).status).toBe(STATUS.PERMISSION_DENIED);
  });
});

describe('DesfireSim: access rights per key', () => {
  const amount = le32(10);
  const purse = Buffer.from([FILE.purse]);

  it('value file: Read allows GetValue and Debit, Write adds LimitedCredit, ReadWrite adds Credit', () => {
    const { r } = personalisedCard();
    open(r, K.debit, KEYS.debit); // Read + Write on the purse
    expect(r.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' }).readInt32LE(0)).toBe(1_000);
    r.ok(CMD.DEBIT, { header: purse, payload: amount, mode: 'mac' });
    expect(r.command(CMD.CREDIT, { header: purse, payload: amount, mode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED);
    open(r, K.credit, KEYS.credit); // ReadWrite
    r.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' });
    r.ok(CMD.CREDIT, { header: purse, payload: amount, mode: 'mac' });
    r.ok(CMD.DEBIT, { header: purse, payload: amount, mode: 'mac' });
    open(r, K.read, KEYS.read); // no right at all
    expect(r.command(CMD.GET_VALUE, { header: purse, mode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED);
    expectOk(r.select(APP));
    expect(r.command(CMD.GET_VALUE, { header: purse }).status).toBe(STATUS.AUTHENTICATION_ERROR);
  });

  it('record file: Read or ReadWrite reads, Write or ReadWrite writes', () => {
    const { r } = personalisedCard();
    const recordHeader = Buffer.concat([Buffer.from([FILE.history]), le24(0), le24(4)]);
    const readHeader = Buffer.concat([Buffer.from([FILE.history]), le24(0), le24(0)]);
    open(r, K.read, KEYS.read);
    expect(r.command(CMD.WRITE_RECORD, { header: recordHeader, payload: hex('01020304'), mode: 'full', responseMode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED);
    open(r, K.credit, KEYS.credit);
    r.ok(CMD.WRITE_RECORD, { header: recordHeader, payload: hex('01020304'), mode: 'full', responseMode: 'mac' });
    expect(r.command(CMD.READ_RECORDS, { header: readHeader, mode: 'mac', responseMode: 'full' }).status).toBe(STATUS.PERMISSION_DENIED);
    open(r, K.debit, KEYS.debit);
    r.ok(CMD.WRITE_RECORD, { header: recordHeader, payload: hex('01020304'), mode: 'full', responseMode: 'mac' });
    r.ok(CMD.COMMIT, { mode: 'mac' });
    expect(r.ok(CMD.READ_RECORDS, { header: readHeader, mode: 'mac', responseMode: 'full' })).toHaveLength(RECORD_BYTES);
  });
});

import { describe, expect, it } from 'vitest';
import { aesCmac, truncateMac } from '../../../src/card/crypto/cmac';
import { deriveTransactionMacKeys } from '../../../src/card/ev2/session';
import { STATUS } from '../../../src/card/status';
import { buildTmiEntry, computeTransactionMac, type DesfireSim } from '../../../hardware/sim/desfire';
import { access, APP, CMD, expectOk, FILE, hex, K, KEYS, le24, le32, open, personalisedCard, type TestReader, UID } from './reader';

const purse = Buffer.from([FILE.purse]);
const recordHeader = (offset: number, length: number) => Buffer.concat([Buffer.from([FILE.history]), le24(offset), le24(length)]);

const debit = (r: TestReader, amount: number) => r.command(CMD.DEBIT, { header: purse, payload: le32(amount), mode: 'mac' }).status;
const credit = (r: TestReader, amount: number) => r.command(CMD.CREDIT, { header: purse, payload: le32(amount), mode: 'mac' }).status;
const limitedCredit = (r: TestReader, amount: number) => r.command(CMD.LIMITED_CREDIT, { header: purse, payload: le32(amount), mode: 'mac' }).status;
const writeRecord = (r: TestReader, data: Buffer, offset = 0) => r.command(CMD.WRITE_RECORD, { header: recordHeader(offset, data.length), payload: data, mode: 'full', responseMode: 'mac' }).status;
const commit = (r: TestReader, withTmac = false) => r.ok(CMD.COMMIT, { payload: withTmac ? hex('01') : Buffer.alloc(0), mode: r.sessionMode });
const abort = (r: TestReader) => r.ok(CMD.ABORT, { mode: r.sessionMode });

/** Committed value, as the card tells an authenticated K1 (leaves the reader in a K1 session). */
function balance(r: TestReader): number {
  open(r, K.debit, KEYS.debit);
  return r.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' }).readInt32LE(0);
}

function readRecords(r: TestReader, recNo: number, count: number): { status: number; records: string[] } {
  const answer = r.command(CMD.READ_RECORDS, { header: Buffer.concat([Buffer.from([FILE.history]), le24(recNo), le24(count)]), mode: 'mac', responseMode: 'full' });
  const records: string[] = [];
  for (let i = 0; i < answer.data.length && answer.status === STATUS.OPERATION_OK; i += 16) records.push(answer.data.subarray(i, i + 16).toString('hex').toUpperCase());
  return { status: answer.status, records };
}

const record = (n: number) => Buffer.alloc(16, n);
const recordHex = (n: number) => record(n).toString('hex').toUpperCase();
const held = (sim: DesfireSim) => (sim.state.applications[APP]!.files[FILE.history] as { recordsHex: string[] }).recordsHex;
const tmacFile = (sim: DesfireSim) => sim.state.applications[APP]!.files[FILE.tmac] as { tmc: number; tmvHex: string };

describe('DesfireSim: value file and transactions', () => {
  it('Debit + WriteRecord + Commit: nothing visible before the commit, all of it after, also after power-off', () => {
    const { sim, r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 250));
    expectOk(writeRecord(r, record(1)));
    expect(r.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' }).readInt32LE(0)).toBe(1_000);
    expect(readRecords(r, 0, 0).status).toBe(STATUS.BOUNDARY_ERROR); // no committed record yet (and the error ended the session)
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 250));
    expectOk(writeRecord(r, record(1)));
    commit(r);
    expect(r.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' }).readInt32LE(0)).toBe(750);
    sim.powerOff();
    sim.powerOn();
    expect(balance(r)).toBe(750);
    expect(readRecords(r, 0, 0).records).toEqual([recordHex(1)]);
  });

  it('refuses a debit under the lower limit or a credit over the upper one, and changes nothing', () => {
    const { sim, r } = personalisedCard();
    const before = JSON.stringify(sim.state);
    open(r, K.debit, KEYS.debit);
    expect(debit(r, 1_001)).toBe(STATUS.BOUNDARY_ERROR);
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 600));
    expect(debit(r, 401)).toBe(STATUS.BOUNDARY_ERROR); // the limit counts what is pending
    open(r, K.credit, KEYS.credit);
    expect(credit(r, 9_001)).toBe(STATUS.BOUNDARY_ERROR);
    open(r, K.credit, KEYS.credit);
    expect(credit(r, -1)).toBe(STATUS.PARAMETER_ERROR);
    open(r, K.credit, KEYS.credit);
    expect(r.command(CMD.CREDIT, { header: purse, payload: hex('0100'), mode: 'mac' }).status).toBe(STATUS.LENGTH_ERROR);
    open(r, K.credit, KEYS.credit);
    commit(r); // the refusals dropped everything: nothing to commit
    expect(JSON.stringify(sim.state)).toBe(before);
    expect(balance(r)).toBe(1_000);
    open(r, K.credit, KEYS.credit);
    expectOk(credit(r, 9_000));
    expectOk(debit(r, 10_000));
    commit(r);
    expect(balance(r)).toBe(0);
  });

  describe('uncommitted changes are lost', () => {
    const cases: [string, (sim: DesfireSim, r: TestReader) => void][] = [
      ['on AbortTransaction', (_sim, r) => abort(r)],
      ['on power-off', (sim) => { sim.powerOff(); sim.powerOn(); }],
      ['on a reset (power-on while powered)', (sim) => sim.powerOn()],
      ['on a new AuthenticateEV2First', (_sim, r) => expectOk(r.authenticate(K.debit, KEYS.debit))],
      ['on AuthenticateEV2NonFirst', (_sim, r) => expectOk(r.authenticate(K.debit, KEYS.debit, 'nonFirst'))],
      ['on a failed authentication', (_sim, r) => expect(r.authenticate(K.debit, KEYS.read)).toBe(STATUS.AUTHENTICATION_ERROR)],
      ['on SelectApplication, even of the same application', (_sim, r) => expectOk(r.select(APP))],
      ['on any error answer', (_sim, r) => expect(r.command(CMD.GET_VALUE, { header: Buffer.from([9]), mode: 'mac' }).status).toBe(STATUS.FILE_NOT_FOUND)],
    ];
    for (const [when, event] of cases) {
      it(when, () => {
        const { sim, r, persisted } = personalisedCard();
        const before = JSON.stringify(sim.state);
        const saves = persisted.length;
        open(r, K.debit, KEYS.debit);
        expectOk(debit(r, 100));
        expectOk(writeRecord(r, record(7)));
        event(sim, r);
        open(r, K.debit, KEYS.debit);
        commit(r, true);
        expect(JSON.stringify(sim.state)).toBe(before);
        expect(persisted).toHaveLength(saves);
      });
    }
  });

  it('calls onPersist once per commit that changed something, never for pending changes or an abort', () => {
    const { sim, r, persisted } = personalisedCard();
    const saves = persisted.length;
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 100));
    expectOk(writeRecord(r, record(1)));
    expect(persisted).toHaveLength(saves);
    abort(r);
    commit(r);
    expect(persisted).toHaveLength(saves);
    expectOk(debit(r, 100));
    commit(r);
    expect(persisted).toHaveLength(saves + 1);
    expect(persisted.at(-1)).toEqual(sim.state);
    expect((persisted.at(-1)!.applications[APP]!.files[FILE.purse] as { value: number }).value).toBe(900);
  });
});

describe('DesfireSim: LimitedCredit', () => {
  it('gives back at most the debits of the last committed transaction that had any, once', () => {
    const { r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    expect(limitedCredit(r, 1)).toBe(STATUS.BOUNDARY_ERROR); // no debit yet
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 100));
    expectOk(debit(r, 200));
    expect(limitedCredit(r, 1)).toBe(STATUS.BOUNDARY_ERROR); // pending debits do not count
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 100));
    commit(r);
    expectOk(debit(r, 200));
    commit(r); // the last transaction with debits took 200
    expect(limitedCredit(r, 201)).toBe(STATUS.BOUNDARY_ERROR);
    open(r, K.debit, KEYS.debit);
    expectOk(limitedCredit(r, 150));
    expect(limitedCredit(r, 10)).toBe(STATUS.PERMISSION_DENIED); // once per transaction
    open(r, K.debit, KEYS.debit);
    expectOk(limitedCredit(r, 150));
    commit(r);
    expect(limitedCredit(r, 10)).toBe(STATUS.BOUNDARY_ERROR); // used up
    expect(balance(r)).toBe(850);
  });

  it('needs Write or ReadWrite, and the option at file creation', () => {
    const { r } = personalisedCard();
    open(r, K.master, KEYS.master);
    r.ok(CMD.CREATE_VALUE, { header: Buffer.concat([Buffer.from([8, 0x01]), access(1, 1, 2, 0), le32(0), le32(1000), le32(500), Buffer.from([0])]), mode: 'mac' });
    open(r, K.debit, KEYS.debit);
    r.ok(CMD.DEBIT, { header: Buffer.from([8]), payload: le32(100), mode: 'mac' });
    commit(r);
    expect(r.command(CMD.LIMITED_CREDIT, { header: Buffer.from([8]), payload: le32(10), mode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED);
    open(r, K.master, KEYS.master);
    r.ok(CMD.CREATE_VALUE, { header: Buffer.concat([Buffer.from([9, 0x01]), access(1, 2, 2, 0), le32(0), le32(1000), le32(500), Buffer.from([1])]), mode: 'mac' });
    open(r, K.debit, KEYS.debit);
    r.ok(CMD.DEBIT, { header: Buffer.from([9]), payload: le32(100), mode: 'mac' });
    commit(r);
    expect(r.command(CMD.LIMITED_CREDIT, { header: Buffer.from([9]), payload: le32(10), mode: 'mac' }).status).toBe(STATUS.PERMISSION_DENIED); // K1 has only Read
  });
});

describe('DesfireSim: cyclic record file', () => {
  it('keeps MaxRecords − 1 records, overwriting the oldest; ReadRecords counts back from the newest, answers oldest first', () => {
    const { sim, r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    for (let n = 1; n <= 5; n++) {
      expectOk(writeRecord(r, record(n)));
      commit(r);
    }
    expect(held(sim)).toEqual([3, 4, 5].map(recordHex));
    expect(readRecords(r, 0, 0).records).toEqual([3, 4, 5].map(recordHex));
    expect(readRecords(r, 0, 1).records).toEqual([recordHex(5)]);
    expect(readRecords(r, 1, 2).records).toEqual([3, 4].map(recordHex));
    expect(readRecords(r, 2, 0).records).toEqual([recordHex(3)]);
    expect(readRecords(r, 1, 3).status).toBe(STATUS.BOUNDARY_ERROR);
    open(r, K.debit, KEYS.debit);
    expect(readRecords(r, 3, 0).status).toBe(STATUS.BOUNDARY_ERROR);
  });

  it('the first WriteRecord of a transaction starts a zeroed record, later ones change it', () => {
    const { sim, r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    expectOk(writeRecord(r, hex('AAAA')));
    expectOk(writeRecord(r, hex('BBBB'), 14));
    expect(writeRecord(r, hex('CCCC'), 15)).toBe(STATUS.BOUNDARY_ERROR);
    open(r, K.debit, KEYS.debit);
    expectOk(writeRecord(r, hex('AAAA')));
    expectOk(writeRecord(r, hex('BBBB'), 14));
    commit(r);
    expect(held(sim)).toEqual(['AAAA000000000000000000000000BBBB']);
  });
});

describe('DesfireSim: Transaction MAC', () => {
  it('builds TMI entries as Cmd ‖ header ‖ payload, zero-padded to 16 bytes', () => {
    expect(buildTmiEntry(0xdc, hex('01'), le32(250)).toString('hex').toUpperCase()).toBe('DC01FA00000000000000000000000000');
    expect(buildTmiEntry(0x8b, recordHeader(0, 16), record(9))).toHaveLength(32);
    expect(buildTmiEntry(0x0c, Buffer.alloc(0), Buffer.alloc(15))).toHaveLength(16);
  });

  it('counts committed transactions and answers TMC ‖ TMV that the back office can recompute', () => {
    const { sim, r } = personalisedCard();
    open(r, K.debit, KEYS.debit);
    expectOk(debit(r, 250));
    expectOk(writeRecord(r, record(1)));
    const answer = commit(r, true);
    const tmi1 = Buffer.concat([buildTmiEntry(CMD.DEBIT, purse, le32(250)), buildTmiEntry(CMD.WRITE_RECORD, recordHeader(0, 16), record(1))]);
    const tmv1 = computeTransactionMac(KEYS.tmac, 0, UID, tmi1);
    expect(answer.toString('hex').toUpperCase()).toBe(`01000000${tmv1.toString('hex').toUpperCase()}`);
    // The definition, spelled out independently of computeTransactionMac.
    expect(tmv1).toEqual(truncateMac(aesCmac(deriveTransactionMacKeys(KEYS.tmac, 0, UID).macKey, tmi1)));

    expect(commit(r, true)).toEqual(answer); // nothing pending: counter and value stay
    open(r, K.credit, KEYS.credit);
    expectOk(credit(r, 40));
    expectOk(writeRecord(r, record(2)));
    const second = commit(r, true);
    const tmi2 = Buffer.concat([buildTmiEntry(CMD.CREDIT, purse, le32(40)), buildTmiEntry(CMD.WRITE_RECORD, recordHeader(0, 16), record(2))]);
    expect(second.readUInt32LE(0)).toBe(2);
    expect(second.subarray(4)).toEqual(computeTransactionMac(KEYS.tmac, 1, UID, tmi2));
    expect(tmacFile(sim)).toEqual({ ...tmacFile(sim), tmc: 2, tmvHex: second.subarray(4).toString('hex').toUpperCase() });

    open(r, K.read, KEYS.read);
    expect(r.ok(CMD.READ_DATA, { header: Buffer.concat([Buffer.from([FILE.tmac]), le24(0), le24(0)]) })).toEqual(second);
    expect(commit(r)).toHaveLength(0); // without the option, no TMC/TMV
  });
});

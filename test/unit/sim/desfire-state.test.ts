import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATUS } from '../../../src/card/status';
import { blankCardState, DesfireSim, loadCardState, parseCardState, saveCardStateAtomic, type CardState } from '../../../hardware/sim/desfire';
import { APP, CMD, FILE, K, KEYS, le32, open, personalisedCard, TestReader, UID } from './reader';

const purse = Buffer.from([FILE.purse]);

function debitAndCommit(r: TestReader, amount: number): void {
  open(r, K.debit, KEYS.debit);
  r.ok(CMD.DEBIT, { header: purse, payload: le32(amount), mode: 'mac' });
  r.ok(CMD.COMMIT, { mode: 'mac' });
}

function cardFrom(state: CardState): TestReader {
  const sim = new DesfireSim({ state });
  sim.powerOn();
  return new TestReader(sim);
}

describe('DesfireSim: committed state', () => {
  it('survives a JSON round trip: the copy authenticates with the same keys and holds the same value', () => {
    const { sim, r } = personalisedCard();
    debitAndCommit(r, 125);
    const copy = cardFrom(JSON.parse(JSON.stringify(sim.state)) as CardState);
    open(copy, K.debit, KEYS.debit);
    expect(copy.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' }).readInt32LE(0)).toBe(875);
    expect(copy.ok(CMD.GET_CARD_UID, { mode: 'mac', responseMode: 'full' })).toEqual(UID);
    expect(parseCardState(JSON.parse(JSON.stringify(sim.state)))).toEqual(sim.state);
  });

  it('hands out copies: neither the state given nor the state read can change the card', () => {
    const given = blankCardState(UID);
    const sim = new DesfireSim({ state: given });
    given.piccKey.keyHex = 'FF'.repeat(16);
    sim.state.piccKey.keyHex = 'EE'.repeat(16);
    expect(sim.state.piccKey.keyHex).toBe('00'.repeat(16));
  });

  it('a failed persist answers EEPROM_ERROR and leaves the committed state as it was', () => {
    let failing = false;
    const { sim, r } = personalisedCard({
      onPersist: () => {
        if (failing) throw new Error('disk full');
      },
    });
    const before = JSON.stringify(sim.state);
    failing = true;
    open(r, K.debit, KEYS.debit);
    r.ok(CMD.DEBIT, { header: purse, payload: le32(10), mode: 'mac' });
    expect(r.command(CMD.COMMIT, { mode: 'mac' }).status).toBe(STATUS.EEPROM_ERROR);
    open(r, K.master, KEYS.master);
    expect(r.command(CMD.CREATE_STD, { header: Buffer.from([9, 0, 0xee, 0xee, 1, 0, 0]), mode: 'mac' }).status).toBe(STATUS.EEPROM_ERROR);
    expect(JSON.stringify(sim.state)).toBe(before);
  });
});

describe('card state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'civicard-sim-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing or empty file is a blank card', () => {
    const missing = loadCardState(join(dir, 'nope.json'));
    expect(missing.applications).toEqual({});
    expect(missing.uidHex).toMatch(/^04/);
    writeFileSync(join(dir, 'empty.json'), '\n');
    expect(loadCardState(join(dir, 'empty.json')).applications).toEqual({});
  });

  it('saves atomically and loads what was saved, the card working on after a restart', () => {
    const path = join(dir, 'card.json');
    const { sim, r } = personalisedCard({ onPersist: (s) => saveCardStateAtomic(path, s) });
    debitAndCommit(r, 300);
    expect(readdirSync(dir)).toEqual(['card.json']); // no temporary file left behind
    expect(loadCardState(path)).toEqual(sim.state);
    const restarted = cardFrom(loadCardState(path));
    open(restarted, K.debit, KEYS.debit);
    expect(restarted.ok(CMD.GET_VALUE, { header: purse, mode: 'mac' }).readInt32LE(0)).toBe(700);
    debitAndCommit(restarted, 1);
    expect(JSON.parse(readFileSync(path, 'utf8')).applications[APP].files[FILE.purse].value).toBe(700); // the restarted card had no onPersist
  });

  it('a corrupt file throws an error that names the file and what is wrong', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"format": "civicard-desfire-sim/1", ');
    expect(() => loadCardState(path)).toThrow(new RegExp(`card state file ${path} is corrupt \\(not JSON`));
    const state = blankCardState(UID) as unknown as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...state, uidHex: '04AB' }));
    expect(() => loadCardState(path)).toThrow(/bad\.json is corrupt \(state\.uidHex: must be 7 bytes\)/);
    writeFileSync(path, JSON.stringify({ ...state, format: 'other' }));
    expect(() => loadCardState(path)).toThrow(/state\.format/);
    const { sim } = personalisedCard();
    const broken = sim.state;
    (broken.applications[APP]!.files[FILE.purse] as { value: number }).value = 20_000;
    writeFileSync(path, JSON.stringify(broken));
    expect(() => loadCardState(path)).toThrow(/state\.applications\.C3B2A1\.files\.1\.value: must be an integer in 0\.\.10000/);
  });

  it('a file that cannot be read is an error too, not a blank card', () => {
    expect(() => loadCardState(dir)).toThrow(/cannot read card state file/);
  });
});

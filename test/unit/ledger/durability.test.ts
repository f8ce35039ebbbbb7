import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { assertDurable, KioskLedger, LedgerDurabilityError, openLedgerDatabase } from '../../../src/ledger';
import { fileLedger, intent, tempDir, testKey } from './helpers';

// better-sqlite3 opens WAL databases with synchronous=NORMAL; the ledger sets
// FULL and reads it back on open, before every append and after the first one.
// SQLite always accepts FULL, so a database that "cannot be FULL" is simulated
// by making the read-back answer something else.

function pretendSynchronous(db: Database.Database | typeof Database.prototype, value: number, when: () => boolean = () => true) {
  const real = Database.prototype.pragma;
  return vi.spyOn(db, 'pragma').mockImplementation(function (this: Database.Database, source: string, options?: Database.PragmaOptions) {
    if (source === 'synchronous' && when()) return options?.simple ? value : [{ synchronous: value }];
    return real.call(this, source, options);
  } as typeof real);
}

afterEach(() => vi.restoreAllMocks());

describe('ledger durability settings', () => {
  it('opens in WAL mode with synchronous=FULL (2), not better-sqlite3’s NORMAL', () => {
    const { ledger, path } = fileLedger();
    expect(ledger.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(ledger.db.pragma('synchronous', { simple: true })).toBe(2);
    const plain = new Database(path);
    expect(plain.pragma('synchronous', { simple: true })).not.toBe(2); // what the ledger protects against
    plain.close();
  });

  it('reads the setting back: anything but FULL is refused', () => {
    const db = new Database(join(tempDir(), 'x.db'));
    db.pragma('journal_mode = WAL');
    for (const [setting, code] of [['OFF', 0], ['NORMAL', 1], ['EXTRA', 3]] as const) {
      db.pragma(`synchronous = ${setting}`);
      expect(() => assertDurable(db)).toThrow(new LedgerDurabilityError(`ledger database runs with synchronous=${code}, not FULL (2); refusing to record money`));
    }
    db.pragma('synchronous = FULL');
    expect(() => assertDurable(db)).not.toThrow();
    db.pragma('journal_mode = DELETE');
    expect(() => assertDurable(db)).toThrow(/journal_mode is delete, not wal/);
    db.close();
  });

  it('refuses to open a database whose synchronous does not read back as FULL, and closes it', () => {
    pretendSynchronous(Database.prototype, 1);
    const path = join(tempDir(), 'ledger.db');
    expect(() => openLedgerDatabase(path)).toThrow(LedgerDurabilityError);
    expect(() => KioskLedger.open(path, testKey())).toThrow(/synchronous=1, not FULL/);
    vi.restoreAllMocks();
    expect(() => openLedgerDatabase(path, { readonly: true })).toThrow(); // never migrated: nothing usable was left behind
  });

  it('checks again before every append: nothing is written while the connection is not FULL', () => {
    const { ledger } = fileLedger();
    ledger.appendIntent(intent(1));
    ledger.db.pragma('synchronous = NORMAL');
    expect(() => ledger.appendIntent(intent(2))).toThrow(LedgerDurabilityError);
    expect(ledger.lastEntry()?.seq).toBe(1);
  });

  it('checks after the first write, and refuses to go on if the setting did not hold', () => {
    let inFirstWrite = false;
    const { ledger } = fileLedger({
      now: () => {
        inFirstWrite = true; // the clock is read inside the append transaction
        return new Date('2026-03-02T09:00:00.000Z');
      },
    });
    pretendSynchronous(ledger.db, 1, () => inFirstWrite);
    expect(() => ledger.appendIntent(intent(1))).toThrow(LedgerDurabilityError);
    expect(() => ledger.appendIntent(intent(2))).toThrow(LedgerDurabilityError);
    vi.restoreAllMocks();
    expect(ledger.entriesSince(0).map((e) => e.seq)).toEqual([1]);
  });

  it('read-only opens check it too', () => {
    const { ledger, path } = fileLedger();
    ledger.appendIntent(intent(1));
    ledger.close();
    const ro = openLedgerDatabase(path, { readonly: true });
    expect(ro.pragma('synchronous', { simple: true })).toBe(2);
    ro.close();
    pretendSynchronous(Database.prototype, 0);
    expect(() => openLedgerDatabase(path, { readonly: true })).toThrow(LedgerDurabilityError);
  });
});

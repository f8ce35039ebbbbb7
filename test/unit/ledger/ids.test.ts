import { describe, expect, it } from 'vitest';
import { isUuidV7, newEntryId, newTxId, uuidv7, UUID_V7 } from '../../../src/shared/ids';

// Module state (last millisecond, counter) is per test file: vitest isolates files.

describe('UUIDv7 ids', () => {
  it('have the RFC 9562 version and variant and carry the millisecond', () => {
    const t = Date.parse('2026-03-02T09:00:00.000Z');
    const id = uuidv7(t + 10_000_000);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(t + 10_000_000);
    expect(isUuidV7(newTxId())).toBe(true);
    expect(isUuidV7(newEntryId())).toBe(true);
    expect(isUuidV7('0190E000-0000-7000-8000-000000000001')).toBe(false); // lowercase only
    expect(isUuidV7('0190e000-0000-4000-8000-000000000001')).toBe(false); // v4
  });

  it('strictly increase within one process, within a millisecond and when the clock steps back', () => {
    const t = Date.parse('2030-01-01T00:00:00.000Z');
    const ids = [uuidv7(t), uuidv7(t), uuidv7(t), uuidv7(t - 5_000), uuidv7(t - 5_000), uuidv7(t + 1)];
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    const many = Array.from({ length: 20_000 }, () => newTxId());
    for (let i = 1; i < many.length; i++) expect(many[i]! > many[i - 1]!).toBe(true);
  });

  it('borrow the next millisecond when 4096 ids are asked for in one', () => {
    const t = Date.parse('2031-01-01T00:00:00.000Z');
    const ids = Array.from({ length: 5_000 }, () => uuidv7(t));
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    const ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms(ids[0]!)).toBe(t);
    expect(ms(ids.at(-1)!)).toBeGreaterThan(t);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses times that do not fit 48 bits', () => {
    expect(() => uuidv7(-1)).toThrow(RangeError);
    expect(() => uuidv7(2 ** 48)).toThrow(RangeError);
    expect(() => uuidv7(1.5)).toThrow(RangeError);
  });
});

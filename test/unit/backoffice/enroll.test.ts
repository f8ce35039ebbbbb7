import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { enrollKiosk, EnrollmentError, findKiosk, listKiosks, revokeKiosk } from '../../../src/backoffice/auth/enrollment';
import { kioskIdOf } from '../../../src/backoffice/auth/request-signing';
import { kioskPublicKeyOfLedger } from '../../../src/cli/commands/admin';
import { forEachStore } from '../../support/backoffice-stores';
import { newKioskKey, testKiosk } from '../../support/backoffice-fixtures';

forEachStore('kiosk enrollment', (t) => {
  it('enrolls a kiosk under the id its public key gives, re-activates a revoked one and keeps its name', async () => {
    const key = newKioskKey();
    const at = new Date('2025-03-01T08:00:00.000Z');
    const k = await enrollKiosk(t.store, { publicKeyPem: key.publicKeyPem, name: ' Lobby ', by: 'cli', now: at });
    expect(k).toEqual({ kiosk_id: kioskIdOf(key.publicKeyPem), name: 'Lobby', status: 'active', enrolled_at: at.toISOString(), enrolled_by: 'cli', last_sync_at: null });
    expect(await revokeKiosk(t.store, k.kiosk_id)).toMatchObject({ status: 'revoked' });
    expect(await enrollKiosk(t.store, { publicKeyPem: key.publicKeyPem, by: 'admin' })).toMatchObject({ name: 'Lobby', status: 'active', enrolled_by: 'admin' });
    expect(await listKiosks(t.store)).toHaveLength(1);
  });

  it('refuses a key that is not Ed25519, and revoking a kiosk it does not know', async () => {
    await expect(enrollKiosk(t.store, { publicKeyPem: 'not a key', by: 'cli' })).rejects.toThrow(EnrollmentError);
    await expect(revokeKiosk(t.store, 'f'.repeat(32))).rejects.toThrow(/no kiosk f{32} is enrolled/);
    expect(await findKiosk(t.store, 'f'.repeat(32))).toBeUndefined();
  });
});

describe('the key a kiosk ledger carries', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-enroll-'));

  it('is read from a real kiosk ledger file', () => {
    const path = join(dir, 'kiosk.db');
    const kiosk = testKiosk(undefined, undefined, path);
    kiosk.ledger.close();
    expect(kioskIdOf(kioskPublicKeyOfLedger(path))).toBe(kiosk.kiosk_id);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.db'), /^no kiosk ledger at .*nope\.db$/],
    ['a text file', () => (writeFileSync(join(dir, 'notes.txt'), 'not a database, just text. '.repeat(40)), join(dir, 'notes.txt')), /notes\.txt is not a Civicard kiosk ledger/],
    ['another SQLite database', () => (new Database(join(dir, 'other.db')).exec('CREATE TABLE t (x)'), join(dir, 'other.db')), /other\.db is not a Civicard kiosk ledger/],
  ])('is refused from %s, with a clear message', (_name, make, message) => {
    expect(() => kioskPublicKeyOfLedger(make())).toThrow(message);
  });
});

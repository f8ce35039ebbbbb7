import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadOrCreateKioskKey, verifyLedger, type KioskKey } from '../../../src/ledger';
import { parseChainPoint } from '../../../src/ledger/verify';
import { committed, fileLedger, intent } from './helpers';
import { copyLedger, lastPoint, resignWithNewKey, truncateAfter } from './verify-forgery';

// What a verdict may claim. A ledger file carries its own public key, so the
// file alone proves only that it is internally consistent: `verified` needs a
// key trusted from elsewhere (the kiosk's enrolled key), and a removed tail
// shows only against an entry recorded elsewhere (`expectLast`).

function closedLedger() {
  const { ledger, path, dir, key } = fileLedger();
  ledger.appendIntent(intent(1));
  ledger.append(committed(1));
  ledger.appendIntent(intent(2));
  ledger.append(committed(2));
  ledger.appendIntent(intent(3));
  ledger.close();
  return { path, dir, key };
}

function verifyFile(path: string, opts: Parameters<typeof verifyLedger>[1] = {}) {
  const db = new Database(path, { readonly: true });
  try {
    return verifyLedger(db, opts);
  } finally {
    db.close();
  }
}

function newKey(dir: string, name: string): KioskKey {
  return loadOrCreateKioskKey(join(dir, `${name}.pem`));
}

describe('verifyLedger: trust comes from a key given, never from the file', () => {
  it('is verified only with a trusted key equal to the one that signed', () => {
    const { path, key } = closedLedger();
    expect(verifyFile(path, { trustedKey: key.publicKey })).toMatchObject({ ok: true, verified: true, count: 5 });
    expect(verifyFile(path)).toMatchObject({ ok: true, verified: false, count: 5 });
  });

  it('a ledger changed and re-signed with a new key is consistent but never verified; the original key names the mismatch', () => {
    const { path, dir, key } = closedLedger();
    const forged = copyLedger(path, join(dir, 'forged.db'));
    const forger = newKey(dir, 'forger');
    resignWithNewKey(forged, forger, (seq, p) => (seq === 1 ? { ...p, amount_minor: 35, expected_balance_after_minor: 965 } : undefined));
    const db = new Database(forged, { readonly: true });
    expect(JSON.parse(db.prepare('SELECT payload FROM entries WHERE seq = 1').pluck().get() as string)).toMatchObject({ amount_minor: 35 });
    expect(db.prepare('SELECT amount_minor FROM money WHERE seq = 2').pluck().get()).toBe(35);
    db.close();

    expect(verifyFile(forged)).toMatchObject({ ok: true, verified: false });
    expect(verifyFile(forged, { trustedKey: key.publicKey })).toEqual({ ok: false, firstBad: 0, reason: 'the ledger was signed by a different key than the trusted one (the kiosk’s enrolled key)' });
    expect(verifyFile(forged, { trustedKey: forger.publicKey })).toMatchObject({ ok: true, verified: true }); // the forger's key proves only the forger
  });

  it('a trusted key that is not Ed25519 is refused, not compared', () => {
    const { path } = closedLedger();
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verifyFile(path, { trustedKey: publicKey })).toMatchObject({ ok: false, firstBad: 0, reason: 'the ledger was signed by a different key than the trusted one (the kiosk’s enrolled key)' });
  });
});

describe('verifyLedger: an entry recorded elsewhere anchors the tail', () => {
  it('a cleanly truncated ledger is consistent on its own and fails against the recorded last entry, naming it', () => {
    const { path, dir, key } = closedLedger();
    const tail = lastPoint(path);
    const [seq, hash] = tail.split(':') as [string, string];
    const cut = copyLedger(path, join(dir, 'cut.db'));
    truncateAfter(cut, 2);
    const db = new Database(cut, { readonly: true });
    expect(db.prepare('SELECT (SELECT COUNT(*) FROM entries), (SELECT COUNT(*) FROM outbox), (SELECT COUNT(*) FROM money)').raw().get()).toEqual([2, 2, 1]);
    db.close();

    expect(verifyFile(cut, { trustedKey: key.publicKey })).toMatchObject({ ok: true, verified: true, count: 2 });
    expect(verifyFile(cut, { trustedKey: key.publicKey, expectLast: parseChainPoint(tail) })).toEqual({
      ok: false,
      firstBad: 3,
      reason: `entry ${seq} (hash ${hash.slice(0, 16)}…), recorded as the last, is missing: the ledger ends at entry 2, so its tail was removed`,
    });
  });

  it('a ledger that went on past the recorded entry passes when that entry is still in the chain', () => {
    const { ledger, key } = fileLedger(); // stays open: the kiosk keeps appending after the record was taken
    ledger.appendIntent(intent(1));
    const recorded = { seq: 1, hash: ledger.lastEntry()!.hash };
    ledger.append(committed(1));
    ledger.appendIntent(intent(2));
    expect(verifyLedger(ledger.db, { trustedKey: key.publicKey, expectLast: recorded })).toMatchObject({ ok: true, verified: true, count: 3 });
    ledger.close();
  });

  it('a recorded entry whose hash differs from the one in the chain names that entry', () => {
    const { path, key } = closedLedger();
    const other = 'f'.repeat(64);
    expect(verifyFile(path, { trustedKey: key.publicKey, expectLast: { seq: 4, hash: other } })).toMatchObject({
      ok: false,
      firstBad: 4,
      reason: expect.stringMatching(/^entry 4 has hash [0-9a-f]{16}…, not the recorded ffffffffffffffff…: the chain was rewritten from there or earlier$/),
    });
  });

  it('SEQ:HASH is parsed strictly', () => {
    const hash = 'a'.repeat(64);
    expect(parseChainPoint(`12:${hash}`)).toEqual({ seq: 12, hash });
    for (const bad of ['12', `0:${hash}`, `-1:${hash}`, `01:${hash}`, `1.5:${hash}`, `12:${hash.slice(1)}`, `12:${hash.toUpperCase()}`, `12:${hash}:x`]) {
      expect(() => parseChainPoint(bad), bad).toThrow(/--expect-last must be SEQ:HASH/);
    }
  });
});

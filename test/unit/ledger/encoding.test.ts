import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, ENCODING_VERSION, entryHash, GENESIS_HASH, hashText } from '../../../src/ledger';
import { signatureVerifies, signHash } from '../../../src/ledger/encoding';

describe('ledger entry encoding (version 2)', () => {
  it('canonical JSON sorts keys at every level and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: null, c: 'x' } })).toBe('{"a":{"c":"x","d":null},"b":1}');
    expect(canonicalJson({ n: -0 })).toBe('{"n":0}');
    expect(canonicalJson({ s: 'line\nbreak "q"' })).toBe('{"s":"line\\nbreak \\"q\\""}');
  });

  it('canonical JSON holds nothing but objects, strings, safe integers and null', () => {
    expect(() => canonicalJson({ x: 1.5 })).toThrow(/safe integers only/);
    expect(() => canonicalJson({ x: 2 ** 53 })).toThrow(/safe integers only/);
    expect(() => canonicalJson({ x: [1] })).toThrow(/no arrays/);
    expect(() => canonicalJson({ x: true })).toThrow(/cannot hold boolean/);
    expect(() => canonicalJson({ x: undefined })).toThrow(/cannot hold undefined/);
  });

  it('hashes exactly the documented text (a fixed vector)', () => {
    const fields = {
      seq: 1,
      entry_id: '0190e000-0000-7000-8000-000000000001',
      at: '2026-03-02T09:00:00.000Z',
      payload_json: '{"kind":"aborted","reason":"card_absent","tx_id":"0190e000-0000-7000-8000-000000000002"}',
      prev_hash: GENESIS_HASH,
    };
    const text = `civicard-ledger-entry/2\n1\n0190e000-0000-7000-8000-000000000001\n2026-03-02T09:00:00.000Z\n${fields.payload_json}\n${'0'.repeat(64)}`;
    expect(ENCODING_VERSION).toBe('civicard-ledger-entry/2');
    expect(hashText(fields)).toBe(text);
    expect(entryHash(fields)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    // Pinned: if this changes, the encoding changed and ENCODING_VERSION must too.
    expect(entryHash(fields)).toBe('61019746b55e516c1ee7a63d97165886c3b1919af7bb59347bb956801a2e64ae');
  });

  it('refuses fields that could blur the line boundaries', () => {
    const ok = { seq: 1, entry_id: '0190e000-0000-7000-8000-000000000001', at: '2026-03-02T09:00:00.000Z', payload_json: '{}', prev_hash: GENESIS_HASH };
    expect(() => entryHash({ ...ok, seq: 0 })).toThrow(/seq must be a positive integer/);
    expect(() => entryHash({ ...ok, entry_id: 'e\n1' })).toThrow(/entry_id must be a UUIDv7/);
    expect(() => entryHash({ ...ok, at: '2026-03-02 09:00' })).toThrow(/at must be an ISO 8601/);
    expect(() => entryHash({ ...ok, at: '2026-02-30T09:00:00.000Z' })).toThrow(/at must be an ISO 8601/);
    expect(() => entryHash({ ...ok, at: '2026-13-02T09:00:00.000Z' })).toThrow(/at must be an ISO 8601/); // not a date at all
    expect(() => entryHash({ ...ok, prev_hash: 'AB'.repeat(32) })).toThrow(/prev_hash must be 64 lowercase hex/);
    expect(() => entryHash({ ...ok, payload_json: '{\n}' })).toThrow(/line feed/);
  });

  it('a signature verifies only in its one canonical base64 spelling', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const hash = createHash('sha256').update('x').digest('hex');
    const sig = signHash(hash, privateKey);
    expect(signatureVerifies(hash, sig, publicKey)).toBe(true);
    // 64 bytes → 86 base64 digits + "==": the last digit carries 4 spare bits.
    const last = sig.at(-3)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    const spare = `${sig.slice(0, -3)}${sibling}==`;
    expect(Buffer.from(spare, 'base64').equals(Buffer.from(sig, 'base64'))).toBe(true);
    expect(signatureVerifies(hash, spare, publicKey)).toBe(false);
    expect(signatureVerifies(hash, `${sig} `, publicKey)).toBe(false);
    expect(signatureVerifies(hash, sig.replace(/==$/, ''), publicKey)).toBe(false);
    expect(signatureVerifies(hash.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')), sig, publicKey)).toBe(false);
  });
});

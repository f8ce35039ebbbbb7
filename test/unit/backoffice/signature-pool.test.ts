import { afterAll, describe, expect, it } from 'vitest';
import { signatureVerifies, signHash } from '../../../src/ledger/encoding';
import { SignaturePool } from '../../../src/backoffice/signature-pool';
import { newKioskKey } from '../../support/backoffice-fixtures';
import { createHash } from 'node:crypto';

// The pool's worker restates signatureVerifies (a worker runs source text):
// both must give the same verdict on every input, hostile ones included.

const key = newKioskKey();
const other = newKioskKey();
const hashOf = (i: number) => createHash('sha256').update(String(i)).digest('hex');

describe('signature pool', () => {
  const pool = new SignaturePool(2);
  afterAll(() => pool.close());

  it('agrees with signatureVerifies on good, forged, non-canonical and malformed signatures', async () => {
    const good = { hash: hashOf(1), signature: signHash(hashOf(1), key.privateKey) };
    const cases = [
      good,
      { hash: hashOf(2), signature: signHash(hashOf(2), other.privateKey) },
      { hash: hashOf(3), signature: signHash(hashOf(4), key.privateKey) },
      { hash: good.hash, signature: `${good.signature.slice(0, 10)}!${good.signature.slice(10)}` },
      { hash: good.hash, signature: good.signature.replace(/==$/, '') },
      { hash: good.hash, signature: `${good.signature.slice(0, 85)}B==` },
      { hash: good.hash.toUpperCase(), signature: good.signature },
      { hash: good.hash.slice(2), signature: good.signature },
      { hash: good.hash, signature: '' },
    ];
    for (const c of cases) {
      const expected = signatureVerifies(c.hash, c.signature, key.publicKey);
      expect(await pool.firstBad(key.publicKeyPem, [c]), JSON.stringify(c)).toBe(expected ? -1 : 0);
    }
    expect(signatureVerifies(cases[5]!.hash, cases[5]!.signature, key.publicKey)).toBe(false);
  });

  it('names the first bad one of a large batch split across workers', async () => {
    const items = Array.from({ length: 1_000 }, (_, i) => ({ hash: hashOf(i), signature: signHash(hashOf(i), key.privateKey) }));
    expect(await pool.firstBad(key.publicKeyPem, items)).toBe(-1);
    items[900] = { ...items[900]!, signature: items[901]!.signature };
    items[700] = { ...items[700]!, signature: signHash(hashOf(700), other.privateKey) };
    expect(await pool.firstBad(key.publicKeyPem, items)).toBe(700);
  });
});

import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backOfficePublicKey, canonicalDocumentJson, DownlinkError, signBundle, signHotlistDelta, verifyBundle, verifyHotlistDelta, type ConfigBundle } from '../../../src/downlink';

// The downlink documents: what a kiosk takes and what it refuses, by reason.

const backOffice = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const tariffs = JSON.parse(readFileSync('test/fixtures/tariffs/chicago-downtown.json', 'utf8')) as Record<string, unknown>;
const REF_A = 'a'.repeat(32);
const REF_B = 'b'.repeat(32);

const bundle = (version: number, contents: ConfigBundle['contents'] = { offline_limits: { offline_tx_max_minor: 2_000 }, ils_profile: 'koha' }) =>
  signBundle({ format: 'civicard-bundle/1', version, issued_at: '2026-12-01T10:00:00.000Z', contents }, backOffice.privateKey);

function refusal(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof DownlinkError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('config bundle', () => {
  it('verifies a signed bundle with tariffs, fee rules, limits and ILS profile, and parses the tariffs', () => {
    const b = bundle(3, { tariffs, fee_rules: { fixed_fee_minor: { citation: 4_500 } }, offline_limits: { offline_tx_max_minor: 2_000, unsynced_cap_minor: 50_000 }, ils_profile: 'evergreen' });
    const verified = verifyBundle(JSON.parse(JSON.stringify(b)), backOffice.publicKey, 2);
    expect(verified.version).toBe(3);
    expect(verified.checked.tariffs?.time_zone).toBe('America/Chicago');
  });

  it('refuses tampered contents as a bad signature', () => {
    const b = bundle(2);
    const tampered = { ...b, contents: { ...b.contents, offline_limits: { offline_tx_max_minor: 999_999 } } };
    expect(refusal(() => verifyBundle(tampered, backOffice.publicKey, 1)).code).toBe('bad_signature');
  });

  it('refuses a tampered version as a bad signature', () => {
    expect(refusal(() => verifyBundle({ ...bundle(2), version: 9 }, backOffice.publicKey, 1)).code).toBe('bad_signature');
  });

  it('refuses a bundle signed by another key', () => {
    const r = refusal(() => verifyBundle(bundle(2), stranger.publicKey, 1));
    expect(r).toEqual({ code: 'bad_signature', message: 'bundle version 2: the signature does not verify with the back-office key' });
  });

  it('refuses a replayed older or equal version', () => {
    expect(refusal(() => verifyBundle(bundle(4), backOffice.publicKey, 5))).toEqual({ code: 'not_newer', message: 'bundle version 4 is not newer than version 5 already applied' });
    expect(refusal(() => verifyBundle(bundle(5), backOffice.publicKey, 5)).code).toBe('not_newer');
  });

  it('refuses a wrong format, an unknown field or a mangled signature before checking anything else', () => {
    expect(refusal(() => verifyBundle({ ...bundle(2), format: 'civicard-bundle/2' }, backOffice.publicKey, 1)).code).toBe('wrong_format');
    expect(refusal(() => verifyBundle({ ...bundle(2), extra: 1 }, backOffice.publicKey, 1)).code).toBe('wrong_format');
    expect(refusal(() => verifyBundle({ ...bundle(2), signature: 'xyz' }, backOffice.publicKey, 1)).code).toBe('wrong_format');
    expect(refusal(() => verifyBundle('{"format":', backOffice.publicKey, 1)).code).toBe('wrong_format');
  });

  it('will not sign invalid contents, and a kiosk refuses them even when signed', () => {
    expect(refusal(() => bundle(2, { offline_limits: { offline_tx_max_minor: -5 } })).code).toBe('contents_invalid');
    // Signed by hand, as a back office with a bug might: the kiosk still refuses.
    const unknownPriceField = structuredClone(tariffs) as { data: { policies: { rules: { rate?: Record<string, unknown>[] }[] }[] } };
    const rate = unknownPriceField.data.policies.flatMap((p) => p.rules).find((r) => r.rate !== undefined)!.rate![0]!;
    rate.maximum_fee = 100;
    const raw = { format: 'civicard-bundle/1', version: 2, issued_at: '2026-12-01T10:00:00.000Z', contents: { tariffs: unknownPriceField, surcharge: 1, ils_profile: 'sierra' } };
    const signature = sign(null, Buffer.from(`civicard-downlink-bundle/1\n${canonicalDocumentJson(raw)}`), backOffice.privateKey).toString('base64');
    const r = refusal(() => verifyBundle({ ...raw, signature }, backOffice.publicKey, 1));
    expect(r.code).toBe('contents_invalid');
    expect(r.message).toContain('maximum_fee');
    expect(r.message).toContain('contents.surcharge: not a known part');
    expect(r.message).toContain('contents.ils_profile: must be one of koha, evergreen, evergreen-3m');
  });

  it('a bundle signature does not pass as a hotlist signature (domain separation)', () => {
    const d = signHotlistDelta({ format: 'civicard-hotlist/1', from_version: 0, to_version: 1, issued_at: '2026-12-01T10:00:00.000Z', add: [REF_A], remove: [] }, backOffice.privateKey);
    const b = bundle(1);
    expect(refusal(() => verifyHotlistDelta({ ...d, signature: b.signature }, backOffice.publicKey, 0)).code).toBe('bad_signature');
  });

  it('reads the back-office key from a public or private PEM', () => {
    const pub = backOffice.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const priv = backOffice.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(verifyBundle(bundle(1), backOfficePublicKey(pub), null).version).toBe(1);
    expect(verifyBundle(bundle(1), backOfficePublicKey(priv), null).version).toBe(1);
  });
});

describe('hotlist delta', () => {
  const delta = (from: number, to: number, add: string[], remove: string[] = []) =>
    signHotlistDelta({ format: 'civicard-hotlist/1', from_version: from, to_version: to, issued_at: '2026-12-01T10:00:00.000Z', add, remove }, backOffice.privateKey);

  it('verifies a delta continuing from the held version', () => {
    expect(verifyHotlistDelta(delta(4, 6, [REF_A], [REF_B]), backOffice.publicKey, 4).to_version).toBe(6);
  });

  it('verifies an empty "still current" answer at the held version', () => {
    expect(verifyHotlistDelta(delta(6, 6, []), backOffice.publicKey, 6).to_version).toBe(6);
  });

  it('refuses a delta that does not continue from the held version', () => {
    expect(refusal(() => verifyHotlistDelta(delta(5, 7, [REF_A]), backOffice.publicKey, 4))).toEqual({
      code: 'not_continuing',
      message: 'hotlist delta starts at version 5, but this kiosk holds version 4',
    });
  });

  it('refuses a replayed delta older than the held version', () => {
    expect(refusal(() => verifyHotlistDelta(delta(2, 3, [REF_A]), backOffice.publicKey, 4)).code).toBe('not_newer');
  });

  it('refuses a removed card reference slipped into a signed delta', () => {
    const d = delta(4, 5, [REF_A]);
    expect(refusal(() => verifyHotlistDelta({ ...d, remove: [REF_B] }, backOffice.publicKey, 4)).code).toBe('bad_signature');
    expect(refusal(() => verifyHotlistDelta({ ...d, add: [] }, backOffice.publicKey, 4)).code).toBe('bad_signature');
  });

  it('refuses a delta signed by another key', () => {
    const d = signHotlistDelta({ format: 'civicard-hotlist/1', from_version: 4, to_version: 5, issued_at: '2026-12-01T10:00:00.000Z', add: [], remove: [REF_A] }, stranger.privateKey);
    expect(refusal(() => verifyHotlistDelta(d, backOffice.publicKey, 4)).code).toBe('bad_signature');
  });

  it('refuses malformed card references and changes that do not move the version', () => {
    expect(refusal(() => delta(4, 5, ['not-a-ref'])).code).toBe('wrong_format');
    expect(refusal(() => delta(4, 4, [REF_A])).code).toBe('wrong_format');
    expect(refusal(() => delta(4, 5, [REF_A], [REF_A])).code).toBe('wrong_format');
  });
});

describe('canonical document JSON', () => {
  it('sorts keys at every level and keeps arrays in order', () => {
    expect(canonicalDocumentJson({ b: [3, { z: 1, a: 2.5 }], a: 'x', c: true, d: null })).toBe('{"a":"x","b":[3,{"a":2.5,"z":1}],"c":true,"d":null}');
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signBundle, signHotlistDelta, type BundleContents } from '../../../src/downlink';
import { DownlinkStore, openKioskDownlink } from '../../../src/kiosk/runtime/downlink-store';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import { replaceFileDurably } from '../../../src/shared/durable-file';

// The kiosk's copy of what the back office sent: applied only when signed and
// newer, replaced whole, and at boot a damaged file gives way to the last good one.

const backOffice = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const REF_A = 'a'.repeat(32);
const REF_B = 'b'.repeat(32);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-downlink-'));
  dirs.push(dir);
  return dir;
}

const bundle = (version: number, contents: BundleContents, key = backOffice.privateKey) =>
  signBundle({ format: 'civicard-bundle/1', version, issued_at: '2026-12-01T10:00:00.000Z', contents }, key);
const delta = (from: number, to: number, add: string[], remove: string[] = [], issued_at = '2026-12-01T10:00:00.000Z') =>
  signHotlistDelta({ format: 'civicard-hotlist/1', from_version: from, to_version: to, issued_at, add, remove }, backOffice.privateKey);
const open = (dir: string, extra: Partial<Parameters<typeof DownlinkStore.open>[0]> = {}) =>
  DownlinkStore.open({ dir, backoffice_public_key: backOffice.publicKey, now: () => Date.parse('2026-12-01T12:00:00.000Z'), ...extra });

describe('config bundle in the kiosk directory', () => {
  it('applies a signed newer bundle: its limits are in force and it survives a restart', () => {
    const dir = tempDir();
    const store = open(dir);
    expect(store.riskPolicy()).toEqual(DEFAULT_RISK_POLICY);
    expect(store.applyBundle(bundle(1, { offline_limits: { offline_tx_max_minor: 1_500 }, ils_profile: 'evergreen' }))).toEqual({ applied: true, version: 1 });
    expect(store.riskPolicy()).toEqual({ ...DEFAULT_RISK_POLICY, offline_tx_max_minor: 1_500 });
    const again = open(dir);
    expect(again.bundleVersion).toBe(1);
    expect(again.ilsProfile()).toBe('evergreen');
    expect(again.riskPolicy().offline_tx_max_minor).toBe(1_500);
    expect(again.bootNotes).toEqual([]);
  });

  it('refuses a corrupt signature and keeps the last good bundle, on disk and in force', () => {
    const dir = tempDir();
    const store = open(dir);
    store.applyBundle(bundle(1, { offline_limits: { offline_tx_max_minor: 1_500 } }));
    const onDisk = readFileSync(join(dir, 'bundle.json'), 'utf8');
    const good = bundle(2, { offline_limits: { offline_tx_max_minor: 99_000 } });
    const corrupt = { ...good, signature: good.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    expect(store.applyBundle(corrupt)).toEqual({ applied: false, code: 'bad_signature', reason: 'bundle version 2: the signature does not verify with the back-office key' });
    expect(store.applyBundle(bundle(2, { offline_limits: { offline_tx_max_minor: 99_000 } }, stranger.privateKey))).toMatchObject({ applied: false, code: 'bad_signature' });
    expect(store.bundleVersion).toBe(1);
    expect(store.riskPolicy().offline_tx_max_minor).toBe(1_500);
    expect(readFileSync(join(dir, 'bundle.json'), 'utf8')).toBe(onDisk);
  });

  it('refuses an older or replayed version', () => {
    const store = open(tempDir());
    store.applyBundle(bundle(3, { offline_limits: { offline_tx_max_minor: 1_500 } }));
    expect(store.applyBundle(bundle(2, { offline_limits: { offline_tx_max_minor: 9_000 } }))).toEqual({ applied: false, code: 'not_newer', reason: 'bundle version 2 is not newer than version 3 already applied' });
    expect(store.applyBundle(bundle(3, { offline_limits: { offline_tx_max_minor: 9_000 } }))).toMatchObject({ applied: false, code: 'not_newer' });
    expect(store.riskPolicy().offline_tx_max_minor).toBe(1_500);
  });

  it('a crash between the temp write and the rename leaves the old bundle, in force and after restart', () => {
    const dir = tempDir();
    open(dir).applyBundle(bundle(1, { offline_limits: { offline_tx_max_minor: 1_500 } }));
    // The real durable write, stopped where a power cut would stop it: temp written and fsynced, no rename.
    const crashing = (path: string, text: string) => {
      if (path.endsWith('bundle.json')) {
        writeFileSync(`${path}.${process.pid}.tmp`, text, { mode: 0o600 });
        throw Object.assign(new Error('power cut'), { code: 'EIO' });
      }
      replaceFileDurably(path, text, { mode: 0o600, sync_dir: false });
    };
    const store = open(dir, { replaceFile: crashing });
    const result = store.applyBundle(bundle(2, { offline_limits: { offline_tx_max_minor: 9_000 } }));
    expect(result).toEqual({ applied: false, code: 'not_stored', reason: 'bundle version 2 could not be stored (EIO); version 1 stays in force' });
    expect(store.riskPolicy().offline_tx_max_minor).toBe(1_500);
    const rebooted = open(dir);
    expect(rebooted.bundleVersion).toBe(1);
    expect(rebooted.riskPolicy().offline_tx_max_minor).toBe(1_500);
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(true); // the half-done write is ignored, not read
  });

  it('a truncated bundle.json at boot falls back to the previous good bundle and says so', () => {
    const dir = tempDir();
    const store = open(dir);
    store.applyBundle(bundle(1, { offline_limits: { offline_tx_max_minor: 1_500 } }));
    store.applyBundle(bundle(2, { offline_limits: { offline_tx_max_minor: 2_500 } }));
    const text = readFileSync(join(dir, 'bundle.json'), 'utf8');
    writeFileSync(join(dir, 'bundle.json'), text.slice(0, text.length / 2));
    const rebooted = open(dir);
    expect(rebooted.bundleVersion).toBe(1);
    expect(rebooted.riskPolicy().offline_tx_max_minor).toBe(1_500);
    expect(rebooted.bootNotes).toEqual(['bundle.json refused (not valid JSON: damaged or cut short); falling back to bundle.previous.json, version 1']);
    // The back office sends version 2 again and the kiosk takes it.
    expect(rebooted.applyBundle(bundle(2, { offline_limits: { offline_tx_max_minor: 2_500 } }))).toEqual({ applied: true, version: 2 });
  });

  it('a bundle.json edited by hand at boot is refused: a limit cannot be raised on disk', () => {
    const dir = tempDir();
    open(dir).applyBundle(bundle(1, { offline_limits: { offline_tx_max_minor: 1_500 } }));
    const doc = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8'));
    doc.contents.offline_limits.offline_tx_max_minor = 900_000;
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(doc));
    const rebooted = open(dir);
    expect(rebooted.bundleVersion).toBeNull();
    expect(rebooted.riskPolicy()).toEqual(DEFAULT_RISK_POLICY);
    expect(rebooted.bootNotes).toEqual([
      'bundle.json refused (bundle version 1: the signature does not verify with the back-office key); no good earlier bundle, running on the built-in limits until the back office sends one',
    ]);
  });

  it('exposes the tariffs and fee rules of the bundle in force', () => {
    const tariffs = JSON.parse(readFileSync('test/fixtures/tariffs/chicago-downtown.json', 'utf8'));
    const store = open(tempDir());
    expect(store.tariffs()).toBeNull();
    store.applyBundle(bundle(1, { tariffs, fee_rules: { fixed_fee_minor: { citation: 4_000 } } }));
    expect(store.tariffs()?.currency).toBe('USD');
    expect(store.feeRules()).toEqual({ fixed_fee_minor: { citation: 4_000 } });
  });
});

describe('hotlist in the kiosk directory', () => {
  it('applies continuing deltas, ages by the back office clock, and survives a restart', () => {
    const dir = tempDir();
    const store = open(dir);
    expect(store.hotlistAgeMs()).toBe(Number.POSITIVE_INFINITY); // never fetched: stale
    expect(store.applyHotlistDelta(delta(0, 2, [REF_A, REF_B]))).toEqual({ applied: true, version: 2 });
    expect(store.applyHotlistDelta(delta(2, 3, [], [REF_B], '2026-12-01T11:00:00.000Z'))).toEqual({ applied: true, version: 3 });
    expect(store.isHotlisted(REF_A)).toBe(true);
    expect(store.isHotlisted(REF_B)).toBe(false);
    expect(store.hotlistAgeMs()).toBe(3_600_000);
    // "Still current" refreshes the age without a new version.
    expect(store.applyHotlistDelta(delta(3, 3, [], [], '2026-12-01T11:59:00.000Z'))).toEqual({ applied: true, version: 3 });
    expect(store.hotlistAgeMs()).toBe(60_000);
    const again = open(dir);
    expect(again.hotlistVersion).toBe(3);
    expect(again.isHotlisted(REF_A)).toBe(true);
    expect(again.hotlistAgeMs()).toBe(60_000);
  });

  it('refuses a delta that does not continue from the held version, and a replayed old one', () => {
    const store = open(tempDir());
    store.applyHotlistDelta(delta(0, 2, [REF_A]));
    expect(store.applyHotlistDelta(delta(3, 4, [REF_B]))).toMatchObject({ applied: false, code: 'not_continuing' });
    expect(store.applyHotlistDelta(delta(0, 1, [], [REF_A]))).toMatchObject({ applied: false, code: 'not_newer' });
    expect(store.isHotlisted(REF_A)).toBe(true);
    expect(store.isHotlisted(REF_B)).toBe(false);
  });

  it('a replayed old "still current" answer cannot make a stale hotlist look fresh', () => {
    const store = open(tempDir());
    store.applyHotlistDelta(delta(0, 1, [REF_A], [], '2026-12-01T11:00:00.000Z'));
    store.applyHotlistDelta(delta(1, 1, [], [], '2026-11-01T11:00:00.000Z'));
    expect(store.hotlistAgeMs()).toBe(3_600_000);
  });

  it('a damaged hotlist.json at boot starts again from version 0, stale, and says so', () => {
    const dir = tempDir();
    open(dir).applyHotlistDelta(delta(0, 2, [REF_A]));
    writeFileSync(join(dir, 'hotlist.json'), '{"format":"civicard-hotlist-state/1","vers');
    const rebooted = open(dir);
    expect(rebooted.hotlistVersion).toBe(0);
    expect(rebooted.hotlistAgeMs()).toBe(Number.POSITIVE_INFINITY);
    expect(rebooted.bootNotes).toEqual(['hotlist.json refused (damaged or cut short); starting again from hotlist version 0, debits refused as stale until the back office sends the hotlist']);
  });
});

describe('a kiosk directory and its config', () => {
  it('has no downlink until the config names the back office key; then reads what the directory holds', () => {
    const dir = tempDir();
    expect(openKioskDownlink(dir, {})).toBeNull();
    open(dir).applyBundle(bundle(4, { offline_limits: { daily_card_max_minor: 7_000 } }));
    const store = openKioskDownlink(dir, { backoffice_public_key: backOffice.publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    expect(store?.bundleVersion).toBe(4);
    expect(store?.riskPolicy().daily_card_max_minor).toBe(7_000);
  });
});

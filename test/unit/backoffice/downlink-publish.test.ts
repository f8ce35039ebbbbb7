import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleAnswer, changeHotlist, hotlistAnswer, publishBundle } from '../../../src/backoffice/downlink/publish';
import { MemoryDownlinkRepository } from '../../../src/backoffice/downlink/repository';
import { createBackOfficeKey, loadOrCreateBackOfficeKey } from '../../../src/backoffice/downlink/signing-key';
import { verifyBundle, verifyHotlistDelta } from '../../../src/downlink';
import { DownlinkStore } from '../../../src/kiosk/runtime/downlink-store';

// The back office's half: each publish is the next version, signed; each
// answer is what a kiosk at a given version needs, and the kiosk store takes it.

const key = generateKeyPairSync('ed25519');
const REF_A = 'a'.repeat(32);
const REF_B = 'b'.repeat(32);
const REF_C = 'c'.repeat(32);
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'civicard-bo-downlink-'));
  dirs.push(d);
  return d;
};

describe('publishing bundles', () => {
  it('each publish is the next version, signed, and served only to kiosks behind it', async () => {
    const repo = new MemoryDownlinkRepository();
    expect(await bundleAnswer(repo, 0)).toEqual({ bundle: null });
    const first = await publishBundle(repo, key.privateKey, { offline_limits: { offline_tx_max_minor: 2_000 } });
    const second = await publishBundle(repo, key.privateKey, { ils_profile: 'koha' });
    expect([first.version, second.version]).toEqual([1, 2]);
    const served = (await bundleAnswer(repo, 1)).bundle;
    expect(verifyBundle(served, key.publicKey, 1).contents).toEqual({ ils_profile: 'koha' });
    expect(await bundleAnswer(repo, 2)).toEqual({ bundle: null });
  });

  it('refuses contents the kiosk would refuse, publishing nothing', async () => {
    const repo = new MemoryDownlinkRepository();
    await expect(publishBundle(repo, key.privateKey, { offline_limits: { offline_tx_max_minor: 0 }, ils_profile: 'sierra' })).rejects.toThrow(/nothing published[\s\S]*offline_tx_max_minor: must be a positive whole number/);
    expect(await repo.latestBundle()).toBeNull();
  });

  it('two publishes at once get two versions', async () => {
    const repo = new MemoryDownlinkRepository();
    const both = await Promise.all([publishBundle(repo, key.privateKey, { ils_profile: 'koha' }), publishBundle(repo, key.privateKey, { ils_profile: 'evergreen' })]);
    expect(both.map((b) => b.version).sort()).toEqual([1, 2]);
  });
});

describe('hotlist answers', () => {
  it('folds the changes since the kiosk version into one signed delta, last change of each card winning', async () => {
    const repo = new MemoryDownlinkRepository();
    await changeHotlist(repo, 'add', REF_A); // 1
    await changeHotlist(repo, 'add', REF_B); // 2
    await changeHotlist(repo, 'remove', REF_A); // 3
    await changeHotlist(repo, 'add', REF_C); // 4
    const { delta } = await hotlistAnswer(repo, key.privateKey, 1);
    expect(verifyHotlistDelta(delta, key.publicKey, 1)).toMatchObject({ from_version: 1, to_version: 4, add: [REF_B, REF_C], remove: [REF_A] });
  });

  it('a kiosk at the newest version gets an empty delta, signed with the time: current as of now', async () => {
    const repo = new MemoryDownlinkRepository();
    await changeHotlist(repo, 'add', REF_A);
    const now = new Date('2026-12-01T10:00:00.000Z');
    const { delta } = await hotlistAnswer(repo, key.privateKey, 1, now);
    expect(delta).toMatchObject({ from_version: 1, to_version: 1, add: [], remove: [], issued_at: now.toISOString() });
  });

  it('a kiosk ahead of the back office is told so, never sent a shrinking list', async () => {
    const repo = new MemoryDownlinkRepository();
    await expect(hotlistAnswer(repo, key.privateKey, 3)).rejects.toMatchObject({ code: 'not_continuing' });
  });

  it('refuses something that is not a card reference', async () => {
    await expect(changeHotlist(new MemoryDownlinkRepository(), 'add', '1234-5678')).rejects.toThrow(/not a card reference/);
  });

  it('a kiosk store follows the back office from nothing, through every change', async () => {
    const repo = new MemoryDownlinkRepository();
    const store = DownlinkStore.open({ dir: tempDir(), backoffice_public_key: key.publicKey });
    const sync = async () => store.applyHotlistDelta((await hotlistAnswer(repo, key.privateKey, store.hotlistVersion)).delta);
    await changeHotlist(repo, 'add', REF_A);
    await changeHotlist(repo, 'add', REF_B);
    expect(await sync()).toEqual({ applied: true, version: 2 });
    await changeHotlist(repo, 'remove', REF_A);
    expect(await sync()).toEqual({ applied: true, version: 3 });
    expect([store.isHotlisted(REF_A), store.isHotlisted(REF_B)]).toEqual([false, true]);
  });
});

describe('the back-office key file', () => {
  it('is made once, owner-only, and never replaced', () => {
    const path = join(tempDir(), 'backoffice-key.pem');
    const made = createBackOfficeKey(path);
    expect(statSync(path).mode & 0o077).toBe(0);
    expect(() => createBackOfficeKey(path)).toThrow(/already exists/);
    expect(loadOrCreateBackOfficeKey(path).publicKeyPem).toBe(made.publicKeyPem);
  });
});

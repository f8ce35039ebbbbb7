import { generateKeyPairSync } from 'node:crypto';
import { expect, it } from 'vitest';
import { KyselyDownlinkRepository } from '../../../src/backoffice/downlink/kysely-repository';
import { bundleAnswer, changeHotlist, hotlistAnswer, publishBundle } from '../../../src/backoffice/downlink/publish';
import { verifyBundle, verifyHotlistDelta } from '../../../src/downlink';
import { forEachStore } from '../../support/backoffice-stores';

// The downlink tables on the back office's store (SQLite and PostgreSQL): versions are keys, a
// taken version is refused by the database, answers as over the memory repository.

const key = generateKeyPairSync('ed25519');
const REF_A = 'a'.repeat(32);
const REF_B = 'b'.repeat(32);
forEachStore('downlink on the back-office store', (t) => {
  const repository = async () => KyselyDownlinkRepository.on(t.store.db);
  it('publishes bundles as successive versions and serves the newest', async () => {
    const repo = await repository();
    await publishBundle(repo, key.privateKey, { ils_profile: 'koha' });
    await publishBundle(repo, key.privateKey, { offline_limits: { unsynced_cap_minor: 90_000 } });
    const { bundle } = await bundleAnswer(repo, 1);
    expect(verifyBundle(bundle, key.publicKey, 1)).toMatchObject({ version: 2, contents: { offline_limits: { unsynced_cap_minor: 90_000 } } });
    expect(await repo.insertBundle({ version: 2, document: '{}', published_at: new Date().toISOString() })).toBe(false);
  });

  it('records hotlist changes as versions and answers with the folded delta', async () => {
    const repo = await repository();
    expect(await changeHotlist(repo, 'add', REF_A)).toBe(1);
    expect(await changeHotlist(repo, 'add', REF_B)).toBe(2);
    expect(await changeHotlist(repo, 'remove', REF_A)).toBe(3);
    expect(verifyHotlistDelta((await hotlistAnswer(repo, key.privateKey, 0)).delta, key.publicKey, 0)).toMatchObject({ to_version: 3, add: [REF_B], remove: [REF_A] });
    expect(await repo.insertHotlistChange({ version: 3, card_ref: REF_B, action: 'remove', changed_at: new Date().toISOString() })).toBe(false);
  });
});

import type { KeyObject } from 'node:crypto';
import type { BackOfficeStore } from '../db/connect';
import { KyselyDownlinkRepository } from '../downlink/kysely-repository';
import { changeHotlist, publishBundle } from '../downlink/publish';
import type { DownlinkAdmin } from './actions';

// The dashboard's hotlist and configuration forms on downlink/'s publishing:
// the same functions `civicard admin hotlist` and `publish-bundle` call, so a
// change made here is exactly one made there (same checks, same versions).

export function downlinkAdminOf(store: BackOfficeStore, key: KeyObject): DownlinkAdmin {
  const repo = KyselyDownlinkRepository.on(store.db);
  return {
    async hotlist() {
      const version = await repo.latestHotlistVersion();
      const last = new Map<string, 'add' | 'remove'>();
      for (const change of await repo.hotlistChangesAfter(0)) if (change.version <= version) last.set(change.card_ref, change.action);
      return { version, card_refs: [...last].filter(([, action]) => action === 'add').map(([ref]) => ref).sort() };
    },
    changeHotlist: (action, card_ref, now) => changeHotlist(repo, action, card_ref, now),
    async latestBundle() {
      const latest = await repo.latestBundle();
      if (latest === null) return null;
      const { contents } = JSON.parse(latest.document) as { contents: unknown };
      return { version: latest.version, published_at: latest.published_at, contents_json: JSON.stringify(contents, null, 2) };
    },
    publishBundle: async (contents, now) => (await publishBundle(repo, key, contents, now)).version,
  };
}

import type { KeyObject } from 'node:crypto';
import { CARD_REF, checkContents, DownlinkError, signBundle, signHotlistDelta, type ConfigBundle, type HotlistDelta } from '../../downlink';
import type { DownlinkRepository } from './repository';

// Publishing (the admin commands) and answering kiosks (the routes), over a
// repository. A bundle is signed once, when published, and served as stored;
// a hotlist answer is signed per request, because it says "current as of now"
// and a kiosk's hotlist age is measured from that signed time.

const PUBLISH_ATTEMPTS = 5;

export class PublishError extends Error {
  override name = 'PublishError';
}

/** Signs `contents` as the next bundle version and stores it. */
export async function publishBundle(repo: DownlinkRepository, key: KeyObject, contents: unknown, now: Date = new Date()): Promise<ConfigBundle> {
  const checked = checkContents(contents);
  if (!checked.ok) throw new PublishError(`bundle contents refused, nothing published:\n  ${checked.reasons.join('\n  ')}`);
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
    const version = ((await repo.latestBundle())?.version ?? 0) + 1;
    const bundle = signBundle({ format: 'civicard-bundle/1', version, issued_at: now.toISOString(), contents: checked.value.contents }, key);
    if (await repo.insertBundle({ version, document: JSON.stringify(bundle), published_at: now.toISOString() })) return bundle;
  }
  throw new PublishError('another bundle was being published at the same time; try again');
}

/** Adds a card to the hotlist or takes it off, as the next hotlist version. */
export async function changeHotlist(repo: DownlinkRepository, action: 'add' | 'remove', card_ref: string, now: Date = new Date()): Promise<number> {
  if (!CARD_REF.test(card_ref)) throw new PublishError(`${card_ref} is not a card reference (32 lower-case hex digits)`);
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
    const version = (await repo.latestHotlistVersion()) + 1;
    if (await repo.insertHotlistChange({ version, card_ref, action, changed_at: now.toISOString() })) return version;
  }
  throw new PublishError('another hotlist change was being made at the same time; try again');
}

/** The newest bundle when it is newer than `after`, else null (the kiosk is current). */
export async function bundleAnswer(repo: DownlinkRepository, after: number): Promise<{ bundle: ConfigBundle | null }> {
  const latest = await repo.latestBundle();
  if (latest === null || latest.version <= after) return { bundle: null };
  return { bundle: JSON.parse(latest.document) as ConfigBundle };
}

/**
 * One signed delta from `after` to the newest version: for each card changed
 * since, its last change. When `after` is the newest, an empty delta that says
 * the kiosk's hotlist is current as of now. A kiosk ahead of the server (a
 * restored database) is told so, never sent a list that would shrink its own.
 */
export async function hotlistAnswer(repo: DownlinkRepository, key: KeyObject, after: number, now: Date = new Date()): Promise<{ delta: HotlistDelta }> {
  const latest = await repo.latestHotlistVersion();
  if (after > latest) throw new DownlinkError('not_continuing', `this kiosk holds hotlist version ${after}, but the back office's newest is ${latest}`);
  const last = new Map<string, 'add' | 'remove'>();
  for (const change of await repo.hotlistChangesAfter(after)) if (change.version <= latest) last.set(change.card_ref, change.action);
  const add = [...last].filter(([, a]) => a === 'add').map(([ref]) => ref).sort();
  const remove = [...last].filter(([, a]) => a === 'remove').map(([ref]) => ref).sort();
  return { delta: signHotlistDelta({ format: 'civicard-hotlist/1', from_version: after, to_version: latest, issued_at: now.toISOString(), add, remove }, key) };
}

import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { backOfficePublicKey, DownlinkError, verifyBundle, verifyHotlistDelta, type CheckedContents, type ConfigBundle, type DownlinkErrorCode, type FeeRules } from '../../downlink';
import type { IlsProfileName } from '../../library/profiles';
import type { Tariffs } from '../../parking';
import { readFileIfExists, replaceFileDurably } from '../../shared/durable-file';
import { DEFAULT_RISK_POLICY, type RiskEnvironment, type RiskPolicy } from './risk';

// What the back office sent this kiosk, kept in its directory and used by the
// running kiosk from the moment it is applied (docs/downlink.md):
//
//   DIR/bundle.json           the config bundle in use, exactly as signed
//   DIR/bundle.previous.json  the one before it: the fallback if bundle.json is damaged
//   DIR/hotlist.json          the hotlist as of a version, and the back office's time of it
//
// A document is verified with the back office's key before anything is
// written, and each file is replaced whole (temp, fsync, rename), so a crash
// or a bad document leaves the last good one in force. At boot the bundle on
// disk is verified again: a file edited by hand cannot raise a limit.

export const BUNDLE_FILE = 'bundle.json';
export const PREVIOUS_BUNDLE_FILE = 'bundle.previous.json';
export const HOTLIST_FILE = 'hotlist.json';
const HOTLIST_STATE_FORMAT = 'civicard-hotlist-state/1';

export type ApplyResult = { applied: true; version: number } | { applied: false; code: DownlinkErrorCode | 'not_stored'; reason: string };

interface HotlistState {
  version: number;
  /** The back office's issued_at of the newest delta applied (its own signed clock), or null: never fetched. */
  issued_at: string | null;
  card_refs: Set<string>;
}

export interface DownlinkStoreOptions {
  dir: string;
  backoffice_public_key: KeyObject;
  /** The limits used until a bundle sets them (each bundle field overrides one). */
  base_policy?: RiskPolicy;
  now?: () => number;
  /** Replaces a file whole; a test injects a crash here. */
  replaceFile?: (path: string, text: string) => void;
}

export class DownlinkStore {
  private bundle: { doc: ConfigBundle; text: string; checked: CheckedContents } | null = null;
  private hotlist: HotlistState = { version: 0, issued_at: null, card_refs: new Set() };
  private readonly notes: string[] = [];
  private readonly replaceFile: (path: string, text: string) => void;
  private readonly now: () => number;

  private constructor(private readonly opts: DownlinkStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.replaceFile = opts.replaceFile ?? ((path, text) => replaceFileDurably(path, text, { mode: 0o600, sync_dir: true }));
  }

  /** Reads what the directory holds; anything damaged is set aside with a note saying what is in force instead. */
  static open(opts: DownlinkStoreOptions): DownlinkStore {
    const store = new DownlinkStore(opts);
    store.loadBundle();
    store.loadHotlist();
    return store;
  }

  /** What boot found wrong and what is in force instead, for the maintenance screen and the log. */
  get bootNotes(): readonly string[] {
    return this.notes;
  }

  get bundleVersion(): number | null {
    return this.bundle?.doc.version ?? null;
  }

  get hotlistVersion(): number {
    return this.hotlist.version;
  }

  /** Verifies a bundle and, only if it is good and newer, makes it the one in force (file first, then memory). */
  applyBundle(doc: unknown): ApplyResult {
    let verified: ReturnType<typeof verifyBundle>;
    try {
      verified = verifyBundle(doc, this.opts.backoffice_public_key, this.bundleVersion);
    } catch (e) {
      return refused(e);
    }
    const { checked, ...signed } = verified;
    const text = `${JSON.stringify(signed)}\n`;
    try {
      if (this.bundle !== null) this.replaceFile(this.path(PREVIOUS_BUNDLE_FILE), this.bundle.text);
      this.replaceFile(this.path(BUNDLE_FILE), text);
    } catch (e) {
      return { applied: false, code: 'not_stored', reason: `bundle version ${signed.version} could not be stored (${errorCode(e)}); version ${this.bundleVersion ?? 'none'} stays in force` };
    }
    this.bundle = { doc: signed, text, checked };
    return { applied: true, version: signed.version };
  }

  /** Verifies a hotlist delta against the version held and applies it (file first, then memory). */
  applyHotlistDelta(doc: unknown): ApplyResult {
    let delta: ReturnType<typeof verifyHotlistDelta>;
    try {
      delta = verifyHotlistDelta(doc, this.opts.backoffice_public_key, this.hotlist.version);
    } catch (e) {
      return refused(e);
    }
    const card_refs = new Set(this.hotlist.card_refs);
    for (const ref of delta.remove) card_refs.delete(ref);
    for (const ref of delta.add) card_refs.add(ref);
    const issued_at = this.hotlist.issued_at !== null && this.hotlist.issued_at > delta.issued_at ? this.hotlist.issued_at : delta.issued_at;
    const next: HotlistState = { version: delta.to_version, issued_at, card_refs };
    try {
      this.replaceFile(this.path(HOTLIST_FILE), `${JSON.stringify({ format: HOTLIST_STATE_FORMAT, version: next.version, issued_at, card_refs: [...card_refs].sort() })}\n`);
    } catch (e) {
      return { applied: false, code: 'not_stored', reason: `hotlist version ${delta.to_version} could not be stored (${errorCode(e)}); version ${this.hotlist.version} stays in force` };
    }
    this.hotlist = next;
    return { applied: true, version: next.version };
  }

  /** The offline limits in force: the base policy with the bundle's fields over it. */
  riskPolicy(): RiskPolicy {
    return { ...(this.opts.base_policy ?? DEFAULT_RISK_POLICY), ...(this.bundle?.checked.contents.offline_limits ?? {}) };
  }

  /** The parking tariffs in force, or null when no bundle carried any. */
  tariffs(): Tariffs | null {
    return this.bundle?.checked.tariffs ?? null;
  }

  feeRules(): FeeRules | null {
    return this.bundle?.checked.contents.fee_rules ?? null;
  }

  ilsProfile(): IlsProfileName | null {
    return this.bundle?.checked.contents.ils_profile ?? null;
  }

  readonly isHotlisted = (card_ref: string): boolean => this.hotlist.card_refs.has(card_ref);

  /** How old the hotlist is by the back office's clock; Infinity when none was ever applied (debits refused as stale). */
  readonly hotlistAgeMs = (): number => (this.hotlist.issued_at === null ? Number.POSITIVE_INFINITY : Math.max(0, this.now() - Date.parse(this.hotlist.issued_at)));

  /**
   * A resident kiosk's risk environment with the downlink's half filled in:
   * `policy` is a getter read at every check, so an applied bundle's limits
   * hold from the next payment on, without restart. (Spreading the result
   * would freeze the policy: pass it as it is.)
   */
  riskEnvironment<T extends Omit<RiskEnvironment, 'policy' | 'hotlistAgeMs' | 'ledger'>>(rest: T): T & Pick<RiskEnvironment, 'policy' | 'hotlistAgeMs'> {
    return Object.defineProperties(
      { ...rest, hotlistAgeMs: this.hotlistAgeMs },
      {
        policy: { enumerable: true, get: () => this.riskPolicy() },
      },
    ) as T & Pick<RiskEnvironment, 'policy' | 'hotlistAgeMs'>;
  }

  private path(file: string): string {
    return join(this.opts.dir, file);
  }

  private loadBundle(): void {
    const current = this.readBundle(BUNDLE_FILE);
    if (current.ok) {
      this.bundle = current.value;
      return;
    }
    if (current.reason === null) return; // a kiosk that never had one
    const previous = this.readBundle(PREVIOUS_BUNDLE_FILE);
    if (previous.ok) {
      this.bundle = previous.value;
      this.notes.push(`${BUNDLE_FILE} refused (${current.reason}); falling back to ${PREVIOUS_BUNDLE_FILE}, version ${previous.value.doc.version}`);
    } else {
      this.notes.push(`${BUNDLE_FILE} refused (${current.reason}); no good earlier bundle, running on the built-in limits until the back office sends one`);
    }
  }

  private readBundle(file: string): { ok: true; value: NonNullable<DownlinkStore['bundle']> } | { ok: false; reason: string | null } {
    const text = readFileIfExists(this.path(file));
    if (text === null) return { ok: false, reason: null };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'not valid JSON: damaged or cut short' };
    }
    try {
      const { checked, ...signed } = verifyBundle(doc, this.opts.backoffice_public_key, null);
      return { ok: true, value: { doc: signed, text, checked } };
    } catch (e) {
      return { ok: false, reason: e instanceof DownlinkError ? e.message : String(e) };
    }
  }

  private loadHotlist(): void {
    const text = readFileIfExists(this.path(HOTLIST_FILE));
    if (text === null) return;
    const state = parseHotlistState(text);
    if (state === null) {
      this.notes.push(`${HOTLIST_FILE} refused (damaged or cut short); starting again from hotlist version 0, debits refused as stale until the back office sends the hotlist`);
      return;
    }
    this.hotlist = state;
  }
}

function parseHotlistState(text: string): HotlistState | null {
  try {
    const obj = JSON.parse(text) as { format?: unknown; version?: unknown; issued_at?: unknown; card_refs?: unknown };
    if (obj.format !== HOTLIST_STATE_FORMAT || !Number.isSafeInteger(obj.version) || (obj.version as number) < 0) return null;
    if (typeof obj.issued_at !== 'string' || Number.isNaN(Date.parse(obj.issued_at))) return null;
    if (!Array.isArray(obj.card_refs) || !obj.card_refs.every((r) => typeof r === 'string' && /^[0-9a-f]{32}$/.test(r))) return null;
    return { version: obj.version as number, issued_at: obj.issued_at, card_refs: new Set(obj.card_refs as string[]) };
  } catch {
    return null;
  }
}

function refused(e: unknown): ApplyResult {
  if (e instanceof DownlinkError) return { applied: false, code: e.code, reason: e.message };
  throw e;
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * The kiosk's downlink store when its config names the back office's key, else
 * null: a kiosk not yet joined to a back office runs on the built-in limits.
 */
export function openKioskDownlink(dir: string, config: { backoffice_public_key?: string }): DownlinkStore | null {
  if (config.backoffice_public_key === undefined) return null;
  return DownlinkStore.open({ dir, backoffice_public_key: backOfficePublicKey(config.backoffice_public_key) });
}

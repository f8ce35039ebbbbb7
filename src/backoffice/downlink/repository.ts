// Where the back office keeps what it publishes to kiosks: every bundle it
// signed, and every hotlist change, one version each. Versions are allocated
// by the insert itself (a version already taken is refused), so two admins
// publishing at once get two versions, never one overwritten.

export interface StoredBundle {
  version: number;
  /** The signed bundle, as JSON text, exactly as kiosks receive it. */
  document: string;
  published_at: string;
}

export interface HotlistChange {
  version: number;
  card_ref: string;
  action: 'add' | 'remove';
  changed_at: string;
}

export interface DownlinkRepository {
  latestBundle(): Promise<StoredBundle | null>;
  /** False when `version` is taken already. */
  insertBundle(bundle: StoredBundle): Promise<boolean>;
  latestHotlistVersion(): Promise<number>;
  hotlistChangesAfter(version: number): Promise<HotlistChange[]>;
  /** False when `version` is taken already. */
  insertHotlistChange(change: HotlistChange): Promise<boolean>;
}

/** For unit tests and the in-process demo. */
export class MemoryDownlinkRepository implements DownlinkRepository {
  private readonly bundles: StoredBundle[] = [];
  private readonly changes: HotlistChange[] = [];

  async latestBundle(): Promise<StoredBundle | null> {
    return this.bundles.at(-1) ?? null;
  }

  async insertBundle(bundle: StoredBundle): Promise<boolean> {
    if (this.bundles.some((b) => b.version === bundle.version)) return false;
    this.bundles.push(bundle);
    this.bundles.sort((a, b) => a.version - b.version);
    return true;
  }

  async latestHotlistVersion(): Promise<number> {
    return this.changes.at(-1)?.version ?? 0;
  }

  async hotlistChangesAfter(version: number): Promise<HotlistChange[]> {
    return this.changes.filter((c) => c.version > version);
  }

  async insertHotlistChange(change: HotlistChange): Promise<boolean> {
    if (this.changes.some((c) => c.version === change.version)) return false;
    this.changes.push(change);
    this.changes.sort((a, b) => a.version - b.version);
    return true;
  }
}

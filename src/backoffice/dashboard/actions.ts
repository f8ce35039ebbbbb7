// What the dashboard's administrator forms do beyond the store it reads:
// run a day's reconciliation, and change what is published to kiosks (the
// hotlist, the configuration bundle). The server's command wires these to
// reconcile/ and downlink/; a server without them shows the pages and says
// the action is not available here.

export interface DownlinkAdmin {
  /** The cards on the hotlist now, and the hotlist's version. */
  hotlist(): Promise<{ version: number; card_refs: string[] }>;
  /** Adds or removes one card; answers the new hotlist version. Throws with a plain message when refused. */
  changeHotlist(action: 'add' | 'remove', card_ref: string, now: Date): Promise<number>;
  /** The newest published bundle's version, time and contents (JSON text), or null. */
  latestBundle(): Promise<{ version: number; published_at: string; contents_json: string } | null>;
  /** Signs and publishes `contents` as the next bundle; answers its version. Throws with a plain message when refused. */
  publishBundle(contents: unknown, now: Date): Promise<number>;
}

export interface DashboardActions {
  /** Reconciles one business day, writing its output under the reports directory. */
  reconcile?: (date: string) => Promise<void>;
  downlink?: DownlinkAdmin;
}

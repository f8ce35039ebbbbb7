import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readFileIfExists, replaceFileDurably } from '../../shared/durable-file';
import type { ParkingSessionUpload } from '../../shared/parking-upload';

// The parking sessions a kiosk sold, kept apart from the hash-chained ledger
// (which is never purged): the ledger carries only the opaque session id
// (`pk:<uuid>`, the quote_ref). A session's plate is kept here, in a file of
// its own (0600), only until the session has reached the back office; what
// travels there is the plate's keyed hash (HMAC-SHA256 under the city's plate
// key), so enforcement can look a plate up without anyone holding a readable
// list of where residents park. Running sessions and no-return are matched by
// that hash too, so they keep working after the plate is gone.

export type ParkingSessionState = 'quoted' | 'paid' | 'cancelled';

export interface ParkingSession {
  readonly session_id: string;
  /** The zone's curb_zone_id (a user_zone_id is resolved before it gets here). */
  readonly zone: string;
  readonly space: string | null;
  /** Normalized plate; null once delivered to the back office (or never given: paid by space). */
  readonly plate: string | null;
  readonly plate_hash: string | null;
  /** ISO with offset: the first instant of the whole stay (an extension keeps its stay's start). */
  readonly stay_start: string;
  readonly start: string;
  readonly end: string;
  readonly amount_minor: number;
  /** The session this one extends (the stay's previous segment), if any. */
  readonly extends: string | null;
  readonly quoted_at_ms: number;
  readonly state: ParkingSessionState;
  /** The payment that made it `paid` (or `cancelled`): fulfil and refund are idempotent by it. */
  readonly tx_id: string | null;
  /** Told to the back office as it is now. */
  readonly delivered: boolean;
}

/** What the back office gets for a session: never the plate. */
export type OutboundParkingSession = ParkingSessionUpload;

export { normalizePlate, plateHash } from '../../shared/plates';

const FORMAT = 'civicard-parking-sessions/1';

export class ParkingSessionStore {
  private readonly sessions: Map<string, ParkingSession>;

  private constructor(
    private readonly path: string | null,
    sessions: readonly ParkingSession[],
  ) {
    this.sessions = new Map(sessions.map((s) => [s.session_id, s]));
  }

  /** A store in a file (survives a restart), or in memory (`null`). */
  static open(path: string | null): ParkingSessionStore {
    if (path === null) return new ParkingSessionStore(null, []);
    mkdirSync(dirname(path), { recursive: true });
    const text = readFileIfExists(path);
    if (text === null) return new ParkingSessionStore(path, []);
    let parsed: { format?: unknown; sessions?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      parsed = {};
    }
    if (parsed.format !== FORMAT || !Array.isArray(parsed.sessions)) throw new Error(`parking session store ${path} is not what this kiosk writes; move it aside`);
    return new ParkingSessionStore(path, parsed.sessions as ParkingSession[]);
  }

  get(session_id: string): ParkingSession | undefined {
    return this.sessions.get(session_id);
  }

  all(): readonly ParkingSession[] {
    return [...this.sessions.values()];
  }

  put(session: ParkingSession): void {
    this.sessions.set(session.session_id, session);
    this.persist();
  }

  /** The paid sessions of a zone that `matches` picks (a plate's hash, a space), latest end first. */
  paidIn(zone: string, matches: (s: ParkingSession) => boolean): ParkingSession[] {
    return [...this.sessions.values()].filter((s) => s.state === 'paid' && s.zone === zone && matches(s)).sort((a, b) => Date.parse(b.end) - Date.parse(a.end));
  }

  /** For the back-office sync: every session not yet told as it is now, without its plate. */
  outboundSessions(): OutboundParkingSession[] {
    return [...this.sessions.values()]
      .filter((s) => s.state !== 'quoted' && !s.delivered)
      .map((s) => ({ session_id: s.session_id, zone: s.zone, space: s.space, plate_hash: s.plate_hash, stay_start: s.stay_start, start: s.start, end: s.end, status: s.state as 'paid' | 'cancelled' }));
  }

  /**
   * The back office has these sessions, as they were sent: their plates are
   * purged from the kiosk. One whose state changed since it was sent (a refund
   * while the upload was on the way) stays to be told as it is now.
   */
  markDelivered(sent: readonly Pick<OutboundParkingSession, 'session_id' | 'status'>[]): void {
    let changed = false;
    for (const { session_id, status } of sent) {
      const s = this.sessions.get(session_id);
      if (s === undefined || s.state === 'quoted') continue;
      this.sessions.set(session_id, { ...s, plate: null, delivered: s.state === status });
      changed = true;
    }
    if (changed) this.persist();
  }

  /**
   * Quotes never paid and older than `quoted_before_ms` go (with their plates);
   * delivered sessions that ended before `ended_before_ms` go too: nothing
   * needs them any more (no-return and max stay look back far less).
   */
  prune(quoted_before_ms: number, ended_before_ms: number): void {
    let changed = false;
    for (const s of this.sessions.values()) {
      const stale = s.state === 'quoted' ? s.quoted_at_ms < quoted_before_ms : s.delivered && Date.parse(s.end) < ended_before_ms;
      if (stale) changed = this.sessions.delete(s.session_id) || changed;
    }
    if (changed) this.persist();
  }

  private persist(): void {
    if (this.path === null) return;
    replaceFileDurably(this.path, JSON.stringify({ format: FORMAT, sessions: [...this.sessions.values()] }), { mode: 0o600, sync_dir: true });
  }
}

// The back office's tables, as Kysely sees them. One schema for SQLite (the
// embedded default) and PostgreSQL (production): the migrations in this folder
// create exactly these columns on both. Times are ISO 8601 text (`*_at`) and,
// where queries order or range over them, epoch milliseconds (`*_ms`).
// Money is integer minor units. See docs/sync-protocol.md.
import type { ColumnType, Generated } from 'kysely';

/** A bigint column, read as a number on both stores (connect.ts parses PostgreSQL's int8; every value is far below 2^53). */
type Int64 = ColumnType<number, number, number>;

export interface KiosksTable {
  kiosk_id: string;
  public_key_pem: string;
  name: string | null;
  status: 'active' | 'revoked';
  enrolled_at: string;
  enrolled_by: string;
  last_sync_at: string | null;
}

/**
 * Every ledger entry every kiosk synced, as the kiosk stored it (the first nine
 * columns are the kiosk's row, byte for byte) plus `received_at` and the
 * projection columns of src/backoffice/project.ts, which reconciliation queries
 * instead of parsing JSON in SQL.
 */
export interface EntriesTable {
  kiosk_id: string;
  seq: Int64;
  entry_id: string;
  at: string;
  kind: string;
  tx_id: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
  signature: string;
  received_at: string;
  // ---- projection (null where the entry kind has no such field)
  at_ms: Int64;
  card_ref: string | null;
  service: string | null;
  direction: 'debit' | 'credit' | null;
  amount_minor: Int64 | null;
  balance_before_minor: Int64 | null;
  balance_after_minor: Int64 | null;
  tmac_counter: Int64 | null;
  tmac_value: string | null;
  outcome: string | null;
  service_ref: string | null;
  reverses_tx_id: string | null;
  shift_id: string | null;
}

/** Entries a kiosk offered that the server refused (conflicts): kept as evidence, never applied. */
export interface SyncEvidenceTable {
  id: Generated<number>;
  kiosk_id: string;
  seq: Int64;
  offered_row: string;
  reason: string;
  received_at: string;
}

export type ExceptionSeverity = 'info' | 'warning' | 'critical';

export interface ExceptionsTable {
  id: Generated<number>;
  kind: string;
  severity: ExceptionSeverity;
  kiosk_id: string | null;
  card_ref: string | null;
  tx_id: string | null;
  /** The local business day (YYYY-MM-DD) the exception belongs to. */
  business_date: string | null;
  /** Plain words a finance clerk understands. */
  explanation: string;
  /** JSON text with the figures behind it. */
  detail: string;
  raised_at: string;
}

export interface NoncesTable {
  kiosk_id: string;
  nonce: string;
  seen_ms: Int64;
}

export type UserRole = 'finance' | 'administrator';

/** Staff who log in to the dashboard. `password_hash` is `scrypt$N$r$p$salt$hash` (src/backoffice/auth/users.ts). */
export interface UsersTable {
  username: string;
  password_hash: string;
  role: UserRole;
  created_at: string;
  /** 0 or 1 (an integer on both stores). */
  disabled: number;
}

/** A logged-in browser. Only the SHA-256 of the cookie's token is stored. */
export interface SessionsTable {
  token_hash: string;
  username: string;
  created_at_ms: Int64;
  /** Absolute end (created + 8 h); idle expiry is judged from last_seen_ms. */
  expires_at_ms: Int64;
  last_seen_ms: Int64;
}

/** What a kiosk said about its own outbox with its latest accepted batch (optional `outbox` field). */
export interface KioskOutboxReportsTable {
  kiosk_id: string;
  /** Entries the kiosk held after that batch's last entry. */
  unsynced: Int64;
  /** The `at` of the oldest of them (null when none). */
  oldest_at: string | null;
  reported_at: string;
}

/**
 * A lost card's reconciled balance, authorised once for its replacement card
 * (docs/lost-card.md). `code` is what the attendant types; `id` is what the
 * replacement credit names as its service_ref.
 */
export interface ReplacementCreditsTable {
  id: string;
  code: string;
  old_card_ref: string;
  amount_minor: Int64;
  /** When the old card was hotlisted (its balance is as of then). */
  hotlisted_at: string;
  created_at: string;
  status: 'pending' | 'used';
  used_tx_id: string | null;
  used_by_kiosk: string | null;
  used_at: string | null;
}

export interface BackOfficeDb {
  kiosks: KiosksTable;
  entries: EntriesTable;
  sync_evidence: SyncEvidenceTable;
  exceptions: ExceptionsTable;
  nonces: NoncesTable;
  users: UsersTable;
  sessions: SessionsTable;
  kiosk_outbox_reports: KioskOutboxReportsTable;
  replacement_credits: ReplacementCreditsTable;
}

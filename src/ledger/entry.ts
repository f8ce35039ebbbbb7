import type { EntryKind, EntryPayload } from './payload';

// A ledger entry as stored (one row of `entries`) and as handed out. The
// payload column holds the canonical JSON that was hashed (see encoding.ts);
// `kind` and `tx_id` repeat payload fields as columns for indexing, and
// verification checks that they agree.

export interface LedgerEntry {
  seq: number;
  entry_id: string;
  at: string;
  payload: EntryPayload;
  prev_hash: string;
  hash: string;
  signature: string;
}

export interface EntryRow {
  seq: number;
  entry_id: string;
  at: string;
  kind: EntryKind;
  tx_id: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
  signature: string;
}

/** Parses a row written by this ledger. Rows of unknown provenance go through verify.ts instead. */
export function rowToEntry(r: EntryRow): LedgerEntry {
  return { seq: r.seq, entry_id: r.entry_id, at: r.at, payload: JSON.parse(r.payload) as EntryPayload, prev_hash: r.prev_hash, hash: r.hash, signature: r.signature };
}

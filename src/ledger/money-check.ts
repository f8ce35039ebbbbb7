import { CLOSING_KINDS, INTENT_KINDS, type EntryPayload, type IntentPayload } from './payload';

// The `money` table is derived from the signed entries: one row for each
// transaction whose card change committed (committed, credit_committed, or
// settled with outcome committed), at that entry's seq, with the card, the
// direction and the amount of the transaction's intent. It drives the offline
// limits and a shift's expected cash, so it must say exactly what the signed
// entries say. This file is that rule, once: the append path writes
// `moneyRowOf` for each new entry and verification replays `moneyRowsOf` over
// the chain and compares.

export interface MoneyRow {
  seq: number;
  tx_id: string;
  card_ref: string;
  direction: 'debit' | 'credit';
  amount_minor: number;
  at_ms: number;
}

/** What the derivation reads of an entry. */
export interface SignedEntry {
  seq: number;
  at: string;
  payload: EntryPayload;
}

const isIntent = (p: EntryPayload): p is IntentPayload => (INTENT_KINDS as readonly string[]).includes(p.kind);
const isClosing = (p: EntryPayload) => (CLOSING_KINDS as readonly string[]).includes(p.kind);

/**
 * The money row `entry` implies, given the entries of its transaction before
 * it (oldest first; only its intent and any closing entry matter), or null
 * when it moves no money. A transaction moves money once: an entry after one
 * that already closed it moves nothing.
 */
export function moneyRowOf(entry: SignedEntry, before: readonly EntryPayload[]): MoneyRow | null {
  const p = entry.payload;
  const commits = p.kind === 'committed' || p.kind === 'credit_committed' || (p.kind === 'settled' && p.outcome === 'committed');
  if (!commits || before.some(isClosing)) return null;
  const intent = before.find(isIntent);
  if (intent === undefined) return null;
  if ((p.kind === 'committed' && intent.kind !== 'intent') || (p.kind === 'credit_committed' && intent.kind !== 'credit_intent')) return null;
  return {
    seq: entry.seq,
    tx_id: p.tx_id,
    card_ref: intent.card_ref,
    direction: intent.kind === 'intent' ? 'debit' : 'credit',
    amount_minor: intent.amount_minor,
    at_ms: Date.parse(entry.at),
  };
}

/**
 * Replays a chain (oldest first) into the money rows it implies, in seq
 * order. Keeps, per transaction, only its intent and closing entry.
 */
export function* moneyRowsOf(entries: Iterable<SignedEntry>): Generator<MoneyRow> {
  const txs = new Map<string, EntryPayload[]>();
  for (const entry of entries) {
    const p = entry.payload;
    if (!('tx_id' in p)) continue;
    const before = txs.get(p.tx_id) ?? [];
    const row = moneyRowOf(entry, before);
    if (row !== null) yield row;
    if (isIntent(p) || isClosing(p)) txs.set(p.tx_id, [...before, p]);
  }
}

const FIELDS = ['tx_id', 'card_ref', 'direction', 'amount_minor', 'at_ms'] as const;
/** Fields whose values may be shown; card_ref is named only. */
const SHOWN: ReadonlySet<string> = new Set(['tx_id', 'direction', 'amount_minor', 'at_ms']);

export interface MoneyFault {
  seq: number;
  what: string;
}

/**
 * Compares the stored money rows with the derived ones (both in seq order)
 * and names every row that is missing, extra or different. `isEntry` tells
 * an extra row at an entry that moves no money from one outside the chain.
 */
export function moneyFaults(derived: Iterable<MoneyRow>, stored: Iterable<MoneyRow>, isEntry: (seq: number) => boolean): MoneyFault[] {
  const want = new Map<number, MoneyRow>();
  for (const r of derived) want.set(r.seq, r);
  const faults: MoneyFault[] = [];
  for (const s of stored) {
    const d = want.get(s.seq);
    want.delete(s.seq);
    if (d === undefined) {
      faults.push({ seq: s.seq, what: `money row ${s.seq} is extra (${isEntry(s.seq) ? `entry ${s.seq} moves no money` : `no entry ${s.seq}`})` });
      continue;
    }
    const differ = FIELDS.filter((f) => s[f] !== d[f]).map((f) => (SHOWN.has(f) ? `${f} ${String(s[f])}, signed ${String(d[f])}` : f));
    if (differ.length > 0) faults.push({ seq: s.seq, what: `money row ${s.seq} differs (${differ.join('; ')})` });
  }
  for (const d of want.values()) faults.push({ seq: d.seq, what: `money row ${d.seq} is missing` });
  return faults.sort((a, b) => a.seq - b.seq);
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackOfficeStore } from '../db/connect';
import type { ExceptionSeverity } from '../db/schema';
import { OUTPUT_FILES } from '../reconcile/run';
import type { ReconciliationSummary } from '../reconcile/summary';
import { localDate, nextDate, previousDate } from './format';

// What the dashboard's pages read: the exceptions table, the kiosks and what
// each last said, a card's entries, and the reconciliation output on disk
// (DIR/YYYY-MM-DD/summary.json and friends, written by reconcile/).

export interface ExceptionRow {
  id: number;
  kind: string;
  severity: ExceptionSeverity;
  kiosk_id: string | null;
  kiosk_name: string | null;
  card_ref: string | null;
  tx_id: string | null;
  business_date: string | null;
  explanation: string;
  raised_at: string;
}

const SEVERITY_ORDER: Record<ExceptionSeverity, number> = { critical: 0, warning: 1, info: 2 };

function exceptionsQuery(store: BackOfficeStore) {
  return store.db
    .selectFrom('exceptions')
    .leftJoin('kiosks', 'kiosks.kiosk_id', 'exceptions.kiosk_id')
    .select([
      'exceptions.id',
      'exceptions.kind',
      'exceptions.severity',
      'exceptions.kiosk_id',
      'kiosks.name as kiosk_name',
      'exceptions.card_ref',
      'exceptions.tx_id',
      'exceptions.business_date',
      'exceptions.explanation',
      'exceptions.raised_at',
    ]);
}

const bySeverity = (a: ExceptionRow, b: ExceptionRow) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.kind.localeCompare(b.kind) || a.id - b.id;

/** The day's exceptions: those reconciliation filed under it, and those sync raised (no business date) on that local day. */
export async function exceptionsOfDay(store: BackOfficeStore, date: string, time_zone: string): Promise<ExceptionRow[]> {
  const filed = await exceptionsQuery(store).where('exceptions.business_date', '=', date).execute();
  // Coarse bounds in UTC (no time zone is more than 14 h off), then the exact local day.
  const undated = await exceptionsQuery(store)
    .where('exceptions.business_date', 'is', null)
    .where('exceptions.raised_at', '>=', `${previousDate(date)}T00:00:00`)
    .where('exceptions.raised_at', '<', `${nextDate(date)}T23:59:59.999Z`)
    .execute();
  const raisedThatDay = undated.filter((e) => localDate(Date.parse(e.raised_at), time_zone) === date);
  return [...filed, ...raisedThatDay].sort(bySeverity);
}

export async function exceptionsOfCard(store: BackOfficeStore, card_ref: string): Promise<ExceptionRow[]> {
  return (await exceptionsQuery(store).where('exceptions.card_ref', '=', card_ref).execute()).sort(bySeverity);
}

export type Freshness = 'green' | 'amber' | 'red';
export const FRESH_MS = 60 * 60 * 1000;
export const STALE_MS = 24 * 60 * 60 * 1000;

export function freshnessOf(last_sync_at: string | null, now_ms: number): Freshness {
  if (last_sync_at === null) return 'red';
  const since = now_ms - Date.parse(last_sync_at);
  return since < FRESH_MS ? 'green' : since < STALE_MS ? 'amber' : 'red';
}

export interface KioskHealth {
  kiosk_id: string;
  name: string | null;
  status: 'active' | 'revoked';
  enrolled_at: string;
  last_sync_at: string | null;
  last_seq: number;
  freshness: Freshness;
  /** What the kiosk said with its latest accepted batch; null when it never said. */
  outbox: { unsynced: number; oldest_at: string | null; reported_at: string } | null;
}

export async function kioskHealth(store: BackOfficeStore, now_ms: number): Promise<KioskHealth[]> {
  const kiosks = await store.db
    .selectFrom('kiosks')
    .leftJoin('kiosk_outbox_reports as o', 'o.kiosk_id', 'kiosks.kiosk_id')
    .select(['kiosks.kiosk_id', 'kiosks.name', 'kiosks.status', 'kiosks.enrolled_at', 'kiosks.last_sync_at', 'o.unsynced', 'o.oldest_at', 'o.reported_at'])
    .orderBy('kiosks.name')
    .orderBy('kiosks.kiosk_id')
    .execute();
  const seqs = await store.db.selectFrom('entries').select(['kiosk_id', (eb) => eb.fn.max('seq').as('last_seq')]).groupBy('kiosk_id').execute();
  const lastSeq = new Map(seqs.map((s) => [s.kiosk_id, Number(s.last_seq)]));
  return kiosks.map((k) => ({
    kiosk_id: k.kiosk_id,
    name: k.name,
    status: k.status,
    enrolled_at: k.enrolled_at,
    last_sync_at: k.last_sync_at,
    last_seq: lastSeq.get(k.kiosk_id) ?? 0,
    freshness: freshnessOf(k.last_sync_at, now_ms),
    outbox: k.reported_at === null || k.unsynced === null ? null : { unsynced: k.unsynced, oldest_at: k.oldest_at, reported_at: k.reported_at },
  }));
}

export interface CardHistoryRow {
  kiosk_id: string;
  kiosk_name: string | null;
  seq: number;
  at: string;
  kind: string;
  tx_id: string | null;
  service: string | null;
  direction: 'debit' | 'credit' | null;
  amount_minor: number | null;
  balance_before_minor: number | null;
  balance_after_minor: number | null;
  /** The card's Transaction MAC counter before the transaction (from its intent): what orders a card's history. */
  counter: number | null;
  outcome: string | null;
}

/** Bound parameters per query, well under SQLite's and PostgreSQL's limits. */
const TX_CHUNK = 1_000;

const KIND_ORDER: Record<string, number> = { intent: 0, credit_intent: 0, service_post: 1, committed: 2, credit_committed: 2, uncertain: 3, aborted: 3, settled: 4, service_result: 5, refund: 6 };

/**
 * Every entry of every transaction of this card, on every kiosk, ordered by
 * the card's own counter (which no kiosk clock can disturb), then each
 * transaction's entries in the order they happen.
 */
export async function cardHistory(store: BackOfficeStore, card_ref: string): Promise<CardHistoryRow[]> {
  const intents = await store.db
    .selectFrom('entries')
    .select(['kiosk_id', 'tx_id', 'tmac_counter', 'service', 'direction', 'amount_minor', 'balance_before_minor'])
    .where('card_ref', '=', card_ref)
    .where('tx_id', 'is not', null)
    .execute();
  if (intents.length === 0) return [];
  const byTx = new Map(intents.map((i) => [`${i.kiosk_id}\u0000${i.tx_id}`, i]));
  const txIds = [...new Set(intents.map((i) => i.tx_id!))];
  const rows = [];
  for (let i = 0; i < txIds.length; i += TX_CHUNK) rows.push(...(await entriesOfTxs(store, txIds.slice(i, i + TX_CHUNK))));
  const out: (CardHistoryRow & { at_ms: number })[] = [];
  for (const r of rows) {
    const intent = byTx.get(`${r.kiosk_id}\u0000${r.tx_id}`);
    if (intent === undefined) continue;
    const isIntent = r.kind === 'intent' || r.kind === 'credit_intent';
    out.push({
      kiosk_id: r.kiosk_id,
      kiosk_name: r.kiosk_name,
      seq: r.seq,
      at: r.at,
      at_ms: r.at_ms,
      kind: r.kind,
      tx_id: r.tx_id,
      service: intent.service,
      direction: intent.direction,
      amount_minor: r.amount_minor,
      balance_before_minor: isIntent ? r.balance_before_minor : null,
      balance_after_minor: r.balance_after_minor,
      counter: intent.tmac_counter,
      outcome: r.outcome,
    });
  }
  out.sort(
    (a, b) =>
      (a.counter ?? Number.MAX_SAFE_INTEGER) - (b.counter ?? Number.MAX_SAFE_INTEGER) ||
      a.kiosk_id.localeCompare(b.kiosk_id) ||
      (a.tx_id ?? '').localeCompare(b.tx_id ?? '') ||
      (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) ||
      a.seq - b.seq,
  );
  return out.map(({ at_ms: _at, ...r }) => r);
}

function entriesOfTxs(store: BackOfficeStore, tx_ids: string[]) {
  return store.db
    .selectFrom('entries')
    .leftJoin('kiosks', 'kiosks.kiosk_id', 'entries.kiosk_id')
    .select([
      'entries.kiosk_id',
      'kiosks.name as kiosk_name',
      'entries.seq',
      'entries.at',
      'entries.at_ms',
      'entries.kind',
      'entries.tx_id',
      'entries.amount_minor',
      'entries.balance_before_minor',
      'entries.balance_after_minor',
      'entries.outcome',
    ])
    .where('entries.tx_id', 'in', tx_ids)
    .execute();
}

export const CARD_REF_PREFIX = /^[0-9a-f]{8,64}$/;

/** Card references starting with `prefix` (at least 8 hex digits), at most `limit`. */
export async function searchCards(store: BackOfficeStore, prefix: string, limit = 20): Promise<string[]> {
  if (!CARD_REF_PREFIX.test(prefix)) return [];
  const rows = await store.db
    .selectFrom('entries')
    .select('card_ref')
    .distinct()
    .where('card_ref', '>=', prefix)
    .where('card_ref', '<', `${prefix}g`)
    .orderBy('card_ref')
    .limit(limit)
    .execute();
  return rows.map((r) => r.card_ref!);
}

/** The parts of reconcile/'s summary.json the dashboard shows (docs/reconciliation.md has the whole format). */
export type SummaryView = Pick<ReconciliationSummary, 'business_date' | 'generated_at' | 'totals' | 'liability' | 'revenue'>;

/** The files of a day's reconciliation output that staff may download, as reconcile/ writes them. */
export const REPORT_FILES: readonly string[] = OUTPUT_FILES;

export function reportDir(reports_dir: string, date: string): string {
  return join(reports_dir, date);
}

export function readSummary(reports_dir: string, date: string): SummaryView | { unreadable: string } | null {
  const file = join(reportDir(reports_dir, date), 'summary.json');
  if (!existsSync(file)) return null;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SummaryView;
    if (typeof s?.totals?.payments_minor !== 'number' || typeof s?.liability?.start_minor !== 'number') return { unreadable: 'summary.json is not in the expected format' };
    return s;
  } catch (e) {
    return { unreadable: e instanceof Error ? e.message : String(e) };
  }
}

export function reportFilesOf(reports_dir: string, date: string): string[] {
  return REPORT_FILES.filter((f) => existsSync(join(reportDir(reports_dir, date), f)));
}

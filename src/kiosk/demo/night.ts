import { join } from 'node:path';
import { enrollKiosk } from '../../backoffice/auth/enrollment';
import { openBackOfficeDb } from '../../backoffice/db/connect';
import { localDate } from '../../backoffice/reconcile/day';
import { reconcileDay } from '../../backoffice/reconcile/run';
import type { ReconciliationSummary } from '../../backoffice/reconcile/summary';
import { buildServer } from '../../backoffice/server';
import { KioskLedger, loadOrCreateKioskKey } from '../../ledger';
import { formatMinor, minor } from '../../shared/money';
import { syncOnce, type SyncReport } from '../../sync/client';

// The end of `civicard demo`: an embedded back office (SQLite in
// DIR/backoffice.db, on a free loopback port) enrolls the day's stations, each
// ledger syncs to it over HTTP exactly as a kiosk's would, and the day is
// reconciled into DIR/reconciliation/ — the night report the story ends with.

export interface NightStation {
  /** The story's name for it ("the kiosk", "the booth"); also its name in the back office. */
  label: string;
  ledger_path: string;
  key_path: string;
}

export interface NightOptions {
  dir: string;
  stations: readonly NightStation[];
  time_zone: string;
  /** The business day to reconcile (default: today in time_zone). */
  date?: string;
  say: (line: string) => void;
}

export interface NightResult {
  backoffice_db: string;
  reports_dir: string;
  syncs: SyncReport[];
  summary: ReconciliationSummary;
}

const money = (amount_minor: number): string => formatMinor(minor(amount_minor), 'en-US', 'USD');

export async function runDemoNight(opts: NightOptions): Promise<NightResult> {
  const { dir, say } = opts;
  const backoffice_db = join(dir, 'backoffice.db');
  const reports_dir = join(dir, 'reconciliation');
  const store = await openBackOfficeDb(`sqlite:${backoffice_db}`);
  try {
    const server = buildServer({ store });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const syncs: SyncReport[] = [];
    try {
      for (const s of opts.stations) {
        const key = loadOrCreateKioskKey(s.key_path);
        await enrollKiosk(store, { publicKeyPem: key.publicKeyPem, name: s.label, by: 'demo' });
        const ledger = KioskLedger.open(s.ledger_path, key);
        try {
          syncs.push(await syncOnce({ ledger, serverUrl: url, key }));
        } finally {
          ledger.close();
        }
      }
    } finally {
      await server.close();
    }
    const refused = syncs.find((r) => r.refused !== undefined);
    if (refused) throw new Error(`the back office refused ${refused.kiosk_id}'s entries: ${refused.refused!.message}`);
    say(
      `Night: the back office (SQLite ${backoffice_db}) on ${url} enrolls ${opts.stations.map((s) => s.label).join(' and ')}; their ledgers sync: ${syncs.map((r) => r.acknowledged_through_seq).join(' and ')} entries acknowledged, ${syncs.reduce((n, r) => n + r.pending, 0)} pending.`,
    );

    const date = opts.date ?? localDate(Date.now(), opts.time_zone);
    const summary = await reconcileDay(store, { date, time_zone: opts.time_zone, out: reports_dir });
    for (const line of nightReport(summary)) say(line);
    say(`       Reports: ${join(reports_dir, 'summary.json')}, the CSV files and report.pdf beside it (civicard reconcile --db sqlite:${backoffice_db} --date ${date} reruns it).`);
    return { backoffice_db, reports_dir, syncs, summary };
  } finally {
    await store.close();
  }
}

/** The night's reconciliation in a few lines: totals, the liability equation, the exceptions. */
export function nightReport(s: ReconciliationSummary): string[] {
  const t = s.totals;
  const l = s.liability;
  const c = s.exception_counts;
  return [
    `       Reconciliation of ${s.business_date}: ${t.transactions} card transactions; top-ups ${money(t.top_ups_minor)}, payments ${money(t.payments_minor)}, voids ${money(t.voids_minor)}, credited back ${money(t.credit_backs_minor)}; revenue net ${money(t.revenue_net_minor)}; cash taken in ${money(t.cash_taken_minor)}.`,
    `       The liability: ${money(l.start_minor)} + ${money(l.top_ups_minor)} top-ups + ${money(l.opening_balances_minor)} opening − ${money(l.payments_minor)} paid − ${money(l.voids_minor)} voided + ${money(l.credit_backs_minor)} credited back + ${money(l.replacements_minor)} replacements = ${money(l.expected_end_minor)}; the cards hold ${money(l.end_minor)} ${l.holds ? '✓' : `✗ (${money(l.difference_minor)} apart)`}.`,
    `       Exceptions: ${c.critical} critical, ${c.warning} warning, ${c.info} info.`,
    ...s.exceptions.map((e) => `         ${e.severity.toUpperCase()} ${e.kind}: ${e.explanation}`),
  ];
}

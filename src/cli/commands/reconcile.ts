import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openBackOfficeDb, redactUrl, type BackOfficeStore } from '../../backoffice/db/connect';
import { units } from '../../backoffice/reconcile/exceptions';
import { OUTPUT_FILES, reconcileDay } from '../../backoffice/reconcile/run';
import type { ReconciliationSummary } from '../../backoffice/reconcile/summary';
import { DEFAULT_BACKOFFICE_DB } from './server';

// `civicard reconcile`: one business day's reconciliation, as the server runs
// it nightly (docs/reconciliation.md). Exceptions are data: exit 0 whenever the
// day could be reconciled, 2 when it could not (no store, bad date or zone).

const EXIT_CANNOT_RUN = 2;

/** The store named by --db; an SQLite file must already exist (a mistyped name would otherwise reconcile an empty new store). */
async function openStore(url: string): Promise<BackOfficeStore> {
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : null;
  if (file !== null && file !== ':memory:' && !existsSync(file)) throw new Error(`no back-office database at ${file}`);
  return openBackOfficeDb(url);
}

export function summaryLines(s: ReconciliationSummary, out: string): string[] {
  const l = s.liability;
  const t = s.totals;
  const c = s.exception_counts;
  return [
    `reconciliation of ${s.business_date} (${s.time_zone}, ${s.window.from} to ${s.window.to}): ${t.transactions} card transactions`,
    `liability ${units(l.start_minor)} + top-ups ${units(l.top_ups_minor)} + opening balances ${units(l.opening_balances_minor)} − payments ${units(l.payments_minor)} − voids ${units(l.voids_minor)} + credit backs ${units(l.credit_backs_minor)} + replacements ${units(l.replacements_minor)} = ${units(l.expected_end_minor)}; cards hold ${units(l.end_minor)} ${l.holds ? '✓' : `✗ (${units(l.difference_minor)} apart: see the liability_mismatch exception)`}`,
    `revenue net ${units(t.revenue_net_minor)} (${s.revenue.by_service.map((r) => `${r.service} ${units(r.net_minor)}`).join(', ')}); refunds ${units(t.refunds_minor)}; cash taken in by attendants ${units(t.cash_taken_minor)}`,
    `open intents ${s.open_intents.still_open} (${units(s.open_intents.still_open_minor)}); services acknowledged ${s.services.acknowledged} of ${s.services.payments}`,
    `exceptions: ${c.critical} critical, ${c.warning} warning, ${c.info} info`,
    ...s.exceptions.filter((e) => e.severity === 'critical').slice(0, 10).map((e) => `  CRITICAL ${e.kind}: ${e.explanation}`),
    `files: ${OUTPUT_FILES.map((f) => join(out, f)).join(', ')}`,
    '(amounts in minor units)',
  ];
}

export function registerReconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('reconcile one business day: chains, card histories, open intents, shifts, services, revenue and the stored-value liability; writes summary.json, CSV files and report.pdf')
    .option('--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB)
    .requiredOption('--date <YYYY-MM-DD>', 'the local business day')
    .requiredOption('--out <dir>', 'where the reports go (created if missing)')
    .option('--time-zone <Area/City>', 'the city’s time zone (IANA name)', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .option('--json', 'print summary.json instead of lines')
    .action(async (opts: { db: string; date: string; out: string; timeZone: string; json?: boolean }) => {
      let store: BackOfficeStore;
      try {
        store = await openStore(opts.db);
      } catch (e) {
        process.stderr.write(`reconcile: cannot open ${redactUrl(opts.db)}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = EXIT_CANNOT_RUN;
        return;
      }
      try {
        const summary = await reconcileDay(store, { date: opts.date, time_zone: opts.timeZone, out: opts.out });
        process.stdout.write(opts.json === true ? `${JSON.stringify(summary, null, 2)}\n` : `${summaryLines(summary, opts.out).join('\n')}\n`);
      } catch (e) {
        process.stderr.write(`reconcile: could not reconcile ${opts.date}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = EXIT_CANNOT_RUN;
      } finally {
        await store.close();
      }
    });
}

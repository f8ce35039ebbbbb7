import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { BackOfficeStore } from '../db/connect';
import type { BackOfficeDb } from '../db/schema';
import { checkCards } from './cards';
import { checkChains } from './chain';
import { reconcileContext } from './context';
import { toCsv } from './csv';
import { businessDay } from './day';
import { RECONCILIATION_KINDS, sortExceptions, type ReconException } from './exceptions';
import { checkLiability, type CardFigures } from './liability';
import { foldNewEntries } from './fold';
import { checkLostCards } from './lost-cards';
import { checkOpenIntents } from './open-intents';
import { renderReportPdf } from './pdf';
import { revenueOfDay, ZONE_NOTE } from './revenue';
import { checkServices } from './services';
import { checkShifts } from './shifts';
import { SUMMARY_FORMAT, type ReconciliationSummary } from './summary';

// One business day's reconciliation: every check (one module each), the
// summary, the CSV files and the PDF in DIR, and the day's exceptions in the
// exceptions table. Rerunning a day replaces that day's reconciliation
// exceptions and files; exceptions raised by sync (sync_conflict) stay.
// Each run reflects everything the back office holds when it runs, so a day
// rerun after a late kiosk synced shows the late entries.

export interface ReconcileOptions {
  date: string;
  time_zone: string;
  /** Output directory; created if missing. */
  out: string;
  now?: () => Date;
}

export const OUTPUT_FILES = ['summary.json', 'exceptions.csv', 'revenue.csv', 'shifts.csv', 'cards.csv', 'report.pdf'] as const;

const INSERT_CHUNK = 500;

export async function reconcileDay(store: BackOfficeStore, opts: ReconcileOptions): Promise<ReconciliationSummary> {
  const { db } = store;
  const now = opts.now ?? (() => new Date());
  const day = businessDay(opts.date, opts.time_zone);
  const ctx = await reconcileContext(db, day);

  const timings_ms: Record<string, number> = {};
  const timed = async <T>(name: string, check: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await check();
    timings_ms[name] = Math.round(performance.now() - started);
    return result;
  };
  // The card book every check reads, brought up to date (and its statistics with it).
  await timed('fold', () => foldNewEntries(db, store.dialect === 'postgres'));
  const chain = await timed('chain', () => checkChains(db, day));
  const cards = await timed('cards', () => checkCards(ctx));
  const open = await timed('open_intents', () => checkOpenIntents(ctx));
  const shifts = await timed('shifts', () => checkShifts(ctx));
  const services = await timed('services', () => checkServices(ctx));
  const lost = await timed('lost_cards', () => checkLostCards(ctx));
  const revenue = await timed('revenue', () => revenueOfDay(ctx));
  const found = [...chain.exceptions, ...cards.exceptions, ...open.exceptions, ...shifts.exceptions, ...services.exceptions, ...lost.exceptions];
  const liability = await timed('liability', () => checkLiability(ctx, revenue.totals, found));
  const exceptions = sortExceptions([...found, ...liability.exceptions]);

  const t = revenue.totals;
  const summary: ReconciliationSummary = {
    format: SUMMARY_FORMAT,
    business_date: day.date,
    time_zone: day.time_zone,
    window: { from: new Date(day.start_ms).toISOString(), to: new Date(day.end_ms).toISOString() },
    generated_at: now().toISOString(),
    totals: {
      transactions: t.transactions,
      top_ups_minor: t.top_ups_minor,
      opening_balances_minor: t.opening_balances_minor,
      voids_minor: t.voids_minor,
      payments_minor: t.payments_minor,
      credit_backs_minor: t.credit_backs_minor,
      replacements_minor: t.replacements_minor,
      refunds_minor: t.refunds_minor,
      revenue_net_minor: revenue.by_service.reduce((s, r) => s + r.net_minor, 0),
      cash_taken_minor: shifts.cash_taken_minor,
    },
    liability: liability.equation,
    revenue: { by_service: revenue.by_service, by_branch: revenue.by_branch, by_zone: revenue.by_zone, zone_note: ZONE_NOTE, hourly_net_minor: revenue.hourly_net_minor },
    shifts: shifts.shifts,
    open_intents: open.figures,
    services: services.figures,
    tmac: cards.tmac,
    chain: chain.kiosks,
    exception_counts: {
      critical: exceptions.filter((e) => e.severity === 'critical').length,
      warning: exceptions.filter((e) => e.severity === 'warning').length,
      info: exceptions.filter((e) => e.severity === 'info').length,
    },
    exceptions,
    timings_ms,
  };

  await storeExceptions(db, day.date, exceptions, summary.generated_at);
  await writeOutputs(opts.out, summary, liability.cards, ctx.kioskName);
  return summary;
}

/** Replaces the day's reconciliation exceptions, in one transaction. */
async function storeExceptions(db: Kysely<BackOfficeDb>, date: string, exceptions: readonly ReconException[], raised_at: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('exceptions').where('business_date', '=', date).where('kind', 'in', [...RECONCILIATION_KINDS]).execute();
    for (let i = 0; i < exceptions.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('exceptions')
        .values(
          exceptions.slice(i, i + INSERT_CHUNK).map((e) => ({
            kind: e.kind,
            severity: e.severity,
            kiosk_id: e.kiosk_id,
            card_ref: e.card_ref,
            tx_id: e.tx_id,
            business_date: date,
            explanation: e.explanation,
            detail: JSON.stringify(e.detail),
            raised_at,
          })),
        )
        .execute();
    }
  });
}

async function writeOutputs(dir: string, s: ReconciliationSummary, cards: CardFigures[], kioskName: (id: string) => string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const put = (name: string, data: string | Buffer) => {
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(dir, name));
  };
  put('summary.json', `${JSON.stringify(s, null, 2)}\n`);
  put(
    'exceptions.csv',
    toCsv(
      ['severity', 'kind', 'kiosk_id', 'branch', 'card_ref', 'tx_id', 'explanation'],
      s.exceptions.map((e) => [e.severity, e.kind, e.kiosk_id, e.kiosk_id === null ? null : kioskName(e.kiosk_id), e.card_ref, e.tx_id, e.explanation]),
    ),
  );
  put(
    'revenue.csv',
    toCsv(
      ['dimension', 'name', 'kiosk_id', 'payments', 'gross_minor', 'credit_backs_minor', 'refunds_minor', 'net_minor', 'top_ups_minor', 'opening_balances_minor', 'voids_minor'],
      [
        ...s.revenue.by_service.map((r) => ['service', r.service, null, r.payments, r.gross_minor, r.credit_backs_minor, r.refunds_minor, r.net_minor, null, null, null]),
        ...s.revenue.by_branch.map((r) => ['branch', r.branch, r.kiosk_id, r.payments, r.gross_minor, r.credit_backs_minor, r.refunds_minor, r.net_minor, r.top_ups_minor, r.opening_balances_minor, r.voids_minor]),
        ...s.revenue.by_zone.map((r) => ['zone', r.zone ?? '(session not received)', null, r.payments, r.gross_minor, null, null, null, null, null, null]),
      ],
    ),
  );
  put(
    'shifts.csv',
    toCsv(
      ['kiosk_id', 'branch', 'shift_id', 'staff_ref', 'opened_at', 'closed_at', 'opening_float_minor', 'cash_in_minor', 'cash_out_minor', 'expected_by_kiosk_minor', 'expected_recomputed_minor', 'counted_minor', 'over_short_minor'],
      s.shifts.map((r) => [r.kiosk_id, r.branch, r.shift_id, r.staff_ref, r.opened_at, r.closed_at, r.opening_float_minor, r.cash_in_minor, r.cash_out_minor, r.expected_by_kiosk_minor, r.expected_recomputed_minor, r.counted_minor, r.over_short_minor]),
    ),
  );
  put(
    'cards.csv',
    toCsv(
      ['card_ref', 'transactions', 'start_balance_minor', 'credits_minor', 'debits_minor', 'end_balance_minor', 'difference_minor', 'causes'],
      cards.map((c) => [c.card_ref, c.transactions, c.start_balance_minor, c.credits_minor, c.debits_minor, c.end_balance_minor, c.difference_minor, c.causes.join(' ')]),
    ),
  );
  put('report.pdf', await renderReportPdf(s));
}

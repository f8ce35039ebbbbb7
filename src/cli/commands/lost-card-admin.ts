import type { Command } from 'commander';
import { openBackOfficeDb } from '../../backoffice/db/connect';
import { reportLostCard } from '../../backoffice/lost-card/replacements';
import { DEFAULT_BACKOFFICE_DB } from './server';

// `civicard admin lost-card`: a resident reports their card lost
// (docs/lost-card.md). The card is hotlisted and its reconciled balance
// authorised once for a replacement card; the code printed is what the
// attendant types at the station that credits the new card.

export function registerLostCardAdminCommand(admin: Command): void {
  admin
    .command('lost-card')
    .description("hotlist a lost card and authorise its reconciled balance for one replacement card; prints the code the attendant types")
    .option('--db <url>', 'the back-office store: sqlite:FILE or postgres://…', DEFAULT_BACKOFFICE_DB)
    .requiredOption('--card-ref <ref>', 'the card reference (32 hex digits), as the back office shows it')
    .option('--as-of <time>', 'the balance as of this time (ISO 8601, e.g. 2026-12-01T18:00:00Z; default now)')
    .action(async (opts: { db: string; cardRef: string; asOf?: string }) => {
      let as_of: Date | undefined;
      if (opts.asOf !== undefined) {
        as_of = new Date(opts.asOf);
        if (Number.isNaN(as_of.getTime())) throw new Error(`--as-of must be an ISO 8601 time, not ${opts.asOf}`);
      }
      const store = await openBackOfficeDb(opts.db);
      try {
        const r = await reportLostCard(store, { card_ref: opts.cardRef, ...(as_of ? { as_of } : {}) });
        process.stdout.write(
          `${JSON.stringify({ replacement_id: r.id, code: r.code, card_ref: r.old_card_ref, amount_minor: r.amount_minor, status: r.status, hotlisted_at: r.hotlisted_at, hotlist_version: r.hotlist_version })}\n`,
        );
      } finally {
        await store.close();
      }
    });
}

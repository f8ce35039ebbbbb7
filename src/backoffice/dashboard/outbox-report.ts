import type { BackOfficeStore } from '../db/connect';

// The optional `outbox` field of a sync batch (docs/sync-protocol.md): what
// the kiosk still holds after this batch's last entry. The back office cannot
// know it otherwise — it only sees what arrives. Shown on the kiosks page,
// never used for money. Inside the signed body, so only the kiosk can say it.

export interface OutboxReport {
  /** Entries the kiosk holds after this batch's last entry. */
  unsynced: number;
  /** The `at` of the oldest of them; null when there are none. */
  oldest_at: string | null;
}

/** The field as sent, undefined when absent, or what is wrong with it. */
export function outboxReportOf(body: Record<string, unknown>): OutboxReport | undefined | string {
  if (!('outbox' in body) || body.outbox === undefined) return undefined;
  const o = body.outbox as Record<string, unknown> | null;
  const shape = 'outbox must be { "unsynced": N ≥ 0, "oldest_at": ISO time or null }';
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return shape;
  if (!Number.isSafeInteger(o.unsynced) || (o.unsynced as number) < 0) return shape;
  if (o.oldest_at !== null && (typeof o.oldest_at !== 'string' || !Number.isFinite(Date.parse(o.oldest_at)))) return shape;
  if ((o.unsynced === 0) !== (o.oldest_at === null)) return 'outbox.oldest_at is null exactly when outbox.unsynced is 0';
  return { unsynced: o.unsynced as number, oldest_at: o.oldest_at as string | null };
}

export async function recordOutboxReport(store: BackOfficeStore, kiosk_id: string, report: OutboxReport, reported_at: Date): Promise<void> {
  const row = { unsynced: report.unsynced, oldest_at: report.oldest_at, reported_at: reported_at.toISOString() };
  await store.db
    .insertInto('kiosk_outbox_reports')
    .values({ kiosk_id, ...row })
    .onConflict((oc) => oc.column('kiosk_id').doUpdateSet(row))
    .execute();
}

import { sql } from 'kysely';
import { DEBIT_PAYMENT_SERVICES, int } from './card-events';
import type { ReconcileContext } from './context';

// The day's money by service and by branch, from the committed card events
// (card-events.ts) of the day. Revenue of a service is what residents paid it
// (gross), less what went back: credit backs onto the card and cash refunds,
// both attributed to the service of the payment they return. Top-ups, opening
// balances, replacements and voids move stored value, not revenue; they are listed per
// branch for the cash and liability side.
//
// Branch: the kiosk's enrolled name (the kiosks table has no branch column
// yet). Zone: a parking payment's service_ref is its session id, and the
// kiosk uploads that session (zone, times, the plate only as a keyed hash) to
// parking_sessions after the ledger; a payment whose session has not arrived
// yet is counted under zone null.

export interface FlowTotals {
  top_ups_minor: number;
  opening_balances_minor: number;
  voids_minor: number;
  payments_minor: number;
  credit_backs_minor: number;
  /** Lost cards' balances put on their replacements (docs/lost-card.md). */
  replacements_minor: number;
  refunds_minor: number;
  transactions: number;
}

export interface ServiceRevenue {
  service: string;
  payments: number;
  gross_minor: number;
  credit_backs_minor: number;
  refunds_minor: number;
  net_minor: number;
}

export interface BranchRevenue {
  branch: string;
  kiosk_id: string;
  payments: number;
  gross_minor: number;
  credit_backs_minor: number;
  refunds_minor: number;
  net_minor: number;
  top_ups_minor: number;
  opening_balances_minor: number;
  voids_minor: number;
}

export interface ZoneRevenue {
  /** The curb zone the session was sold in; null while its session has not reached the back office. */
  zone: string | null;
  payments: number;
  gross_minor: number;
}

export interface Revenue {
  totals: FlowTotals;
  by_service: ServiceRevenue[];
  by_branch: BranchRevenue[];
  /** Parking payments of the day by zone (gross). */
  by_zone: ZoneRevenue[];
  /** Net change of stored value per hour of the day (credits − debits), for the liability line. */
  hourly_net_minor: number[];
}

export const ZONE_NOTE = 'Parking revenue by zone is gross, matched through the session each kiosk uploads; zone null: sessions not received yet.';

export async function revenueOfDay(ctx: ReconcileContext): Promise<Revenue> {
  const { start_ms, end_ms } = ctx.day;
  const inDay = (col: string) => sql`${sql.ref(col)} >= ${start_ms} AND ${sql.ref(col)} < ${end_ms}`;
  const { rows: flows } = await sql<{ kiosk_id: string; service: string; direction: string; n: number | string; total: number | string }>`
    SELECT kiosk_id, service, direction, COUNT(*) AS n, SUM(amount_minor) AS total
    FROM card_events WHERE ${inDay('at_ms')}
    GROUP BY kiosk_id, service, direction
    ORDER BY kiosk_id, service`.execute(ctx.db);
  const { rows: returned } = await sql<{ kiosk_id: string; service: string; credited: number | string; refunded: number | string }>`
    WITH m AS (
      SELECT e.kiosk_id, (SELECT MIN(i.service) FROM entries i WHERE i.tx_id = e.reverses_tx_id AND i.kind = 'intent') AS service,
             e.amount_minor AS credited, 0 AS refunded
      FROM card_events e
      WHERE e.service = 'credit_back' AND ${inDay('e.at_ms')}
        AND EXISTS (SELECT 1 FROM entries i WHERE i.tx_id = e.reverses_tx_id AND i.kind = 'intent')
      UNION ALL
      SELECT f.kiosk_id, (SELECT MIN(i.service) FROM entries i WHERE i.tx_id = f.tx_id AND i.kind = 'intent') AS service,
             0 AS credited, f.amount_minor AS refunded
      FROM entries f
      WHERE f.kind = 'refund' AND ${inDay('f.at_ms')}
        AND EXISTS (SELECT 1 FROM entries i WHERE i.tx_id = f.tx_id AND i.kind = 'intent'))
    SELECT kiosk_id, service, SUM(credited) AS credited, SUM(refunded) AS refunded
    FROM m GROUP BY kiosk_id, service ORDER BY kiosk_id, service`.execute(ctx.db);
  const { rows: zones } = await sql<{ zone: string | null; n: number | string; total: number | string }>`
    SELECT p.zone AS zone, COUNT(*) AS n, SUM(e.amount_minor) AS total
    FROM card_events e
    LEFT JOIN parking_sessions p ON p.session_id = e.service_ref
    WHERE e.service = 'parking' AND ${inDay('e.at_ms')}
    GROUP BY p.zone`.execute(ctx.db);
  const { rows: hours } = await sql<{ h: number | string; net: number | string }>`
    SELECT h, SUM(net) AS net FROM (
      SELECT CAST((at_ms - ${start_ms}) / 3600000 AS INTEGER) AS h, CASE WHEN direction = 'credit' THEN amount_minor ELSE -amount_minor END AS net
      FROM card_events WHERE ${inDay('at_ms')}) x
    GROUP BY h ORDER BY h`.execute(ctx.db);

  const totals: FlowTotals = { top_ups_minor: 0, opening_balances_minor: 0, voids_minor: 0, payments_minor: 0, credit_backs_minor: 0, replacements_minor: 0, refunds_minor: 0, transactions: 0 };
  const services = new Map<string, ServiceRevenue>(DEBIT_PAYMENT_SERVICES.map((s) => [s, { service: s, payments: 0, gross_minor: 0, credit_backs_minor: 0, refunds_minor: 0, net_minor: 0 }]));
  const branches = new Map<string, BranchRevenue>();
  const branch = (kiosk_id: string) => {
    let b = branches.get(kiosk_id);
    if (b === undefined) {
      b = { branch: ctx.kioskName(kiosk_id), kiosk_id, payments: 0, gross_minor: 0, credit_backs_minor: 0, refunds_minor: 0, net_minor: 0, top_ups_minor: 0, opening_balances_minor: 0, voids_minor: 0 };
      branches.set(kiosk_id, b);
    }
    return b;
  };
  for (const f of flows) {
    const n = int(f.n);
    const total = int(f.total);
    const b = branch(f.kiosk_id);
    totals.transactions += n;
    switch (f.service) {
      case 'top_up':
        totals.top_ups_minor += total;
        b.top_ups_minor += total;
        break;
      case 'opening_balance':
        totals.opening_balances_minor += total;
        b.opening_balances_minor += total;
        break;
      case 'void':
        totals.voids_minor += total;
        b.voids_minor += total;
        break;
      case 'credit_back':
        totals.credit_backs_minor += total;
        break;
      case 'replacement':
        totals.replacements_minor += total;
        break;
      default: {
        totals.payments_minor += total;
        const s = services.get(f.service)!;
        s.payments += n;
        s.gross_minor += total;
        b.payments += n;
        b.gross_minor += total;
      }
    }
  }
  for (const r of returned) {
    const s = services.get(r.service);
    const b = branch(r.kiosk_id);
    const credited = int(r.credited);
    const refunded = int(r.refunded);
    totals.refunds_minor += refunded;
    if (s !== undefined) {
      s.credit_backs_minor += credited;
      s.refunds_minor += refunded;
    }
    b.credit_backs_minor += credited;
    b.refunds_minor += refunded;
  }
  for (const x of [...services.values(), ...branches.values()]) x.net_minor = x.gross_minor - x.credit_backs_minor - x.refunds_minor;
  const hourCount = Math.round((end_ms - start_ms) / 3_600_000);
  const hourly_net_minor = Array.from({ length: hourCount }, () => 0);
  for (const h of hours) hourly_net_minor[Math.min(int(h.h), hourCount - 1)]! += int(h.net);
  return {
    totals,
    by_service: [...services.values()],
    by_branch: [...branches.values()].sort((a, b) => (a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : 0)),
    // Zones in order, the not-yet-received last.
    by_zone: zones
      .map((z) => ({ zone: z.zone, payments: int(z.n), gross_minor: int(z.total) }))
      .sort((a, b) => (a.zone === null ? 1 : b.zone === null ? -1 : a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0)),
    hourly_net_minor,
  };
}

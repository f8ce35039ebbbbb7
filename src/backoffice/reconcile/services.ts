import { sql } from 'kysely';
import { int, PAYMENT_SERVICES_SQL } from './card-events';
import type { ReconcileContext } from './context';
import { shortRef, units, type ReconException } from './exceptions';

// Library, parking and citation payments against what their services said.
// Each committed payment must have been posted to its service (service_post)
// and answered (service_result): accepted, the payment stands; refused, the
// money goes back to the resident, as a credit back onto the card or a refund.
// Acknowledgements are matched whenever they arrived (a post answered after
// midnight clears on the next run); payments of earlier days still unanswered
// or still owed back are listed again every night.

interface Row {
  kiosk_id: string;
  tx_id: string;
  card_ref: string;
  service: string;
  amount_minor: number | string;
  at_ms: number | string;
  posts: number | string;
  refused: number | string;
  accepted: number | string;
  credited: number | string;
  refunded: number | string;
}

export interface ServiceFigures {
  payments: number;
  acknowledged: number;
  unacknowledged: number;
  refused: number;
}

export async function checkServices(ctx: ReconcileContext): Promise<{ exceptions: ReconException[]; figures: ServiceFigures }> {
  const { start_ms, end_ms } = ctx.day;
  const { rows } = await sql<Row>`
    WITH pay AS (
      SELECT e.kiosk_id, e.tx_id, e.card_ref, e.service, e.amount_minor, e.at_ms FROM card_events e
      WHERE e.direction = 'debit' AND e.service IN ${PAYMENT_SERVICES_SQL} AND e.at_ms >= ${start_ms} AND e.at_ms < ${end_ms}
      UNION ALL
      SELECT e.kiosk_id, e.tx_id, e.card_ref, e.service, e.amount_minor, e.at_ms FROM card_events e
      WHERE e.service_open = 1 AND e.at_ms < ${start_ms})
    SELECT pay.*,
           (SELECT COUNT(*) FROM entries a WHERE a.kiosk_id = pay.kiosk_id AND a.tx_id = pay.tx_id AND a.kind = 'service_post') AS posts,
           (SELECT COUNT(*) FROM entries a WHERE a.kiosk_id = pay.kiosk_id AND a.tx_id = pay.tx_id AND a.kind = 'service_result' AND a.outcome = 'refused') AS refused,
           (SELECT COUNT(*) FROM entries a WHERE a.kiosk_id = pay.kiosk_id AND a.tx_id = pay.tx_id AND a.kind = 'service_result' AND a.outcome = 'accepted') AS accepted,
           (SELECT COUNT(*) FROM card_events b WHERE b.reverses_tx_id = pay.tx_id AND b.service = 'credit_back') AS credited,
           (SELECT COUNT(*) FROM entries f WHERE f.tx_id = pay.tx_id AND f.kind = 'refund') AS refunded
    FROM pay
    ORDER BY kiosk_id, at_ms, tx_id`.execute(ctx.db);
  const figures: ServiceFigures = { payments: 0, acknowledged: 0, unacknowledged: 0, refused: 0 };
  const exceptions: ReconException[] = [];
  for (const r of rows) {
    const amount = int(r.amount_minor);
    const inDay = int(r.at_ms) >= start_ms;
    if (inDay) figures.payments++;
    const base = { kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id };
    const service = SERVICE_NAMES[r.service] ?? r.service;
    const what = `The ${units(amount)} ${service} payment on card ${shortRef(r.card_ref)} at ${ctx.kioskName(r.kiosk_id)} (${new Date(int(r.at_ms)).toISOString()})`;
    const detail = { service: r.service, amount_minor: amount, posted: int(r.posts) > 0, accepted: int(r.accepted) > 0, refused: int(r.refused) > 0, credited_back: int(r.credited) > 0, refunded: int(r.refunded) > 0 };
    if (int(r.refused) > 0) {
      if (inDay) figures.refused++;
      if (int(r.credited) === 0 && int(r.refunded) === 0) {
        exceptions.push({ ...base, kind: 'refused_not_returned', severity: 'critical', explanation: `${what} was refused by the ${service} system, but the money was neither credited back onto the card nor refunded: the resident paid for nothing.`, detail });
      }
    } else if (int(r.accepted) > 0) {
      if (inDay) figures.acknowledged++;
    } else if (int(r.posts) === 0) {
      figures.unacknowledged++;
      exceptions.push({ ...base, kind: 'service_not_posted', severity: 'warning', explanation: `${what} was never sent to the ${service} system: the resident paid, but the ${service} record still shows it owed.`, detail });
    } else {
      figures.unacknowledged++;
      exceptions.push({ ...base, kind: 'service_unacknowledged', severity: 'warning', explanation: `${what} was sent to the ${service} system, which has not acknowledged it: check that the ${service} record shows it paid.`, detail });
    }
  }
  return { exceptions, figures };
}

const SERVICE_NAMES: Record<string, string> = { library_fine: 'library', parking: 'parking', citation: 'citation' };

import { sql } from 'kysely';
import { cardEventsCte, int } from './card-events';
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
    WITH ${cardEventsCte()},
    answers AS (
      SELECT kiosk_id, tx_id,
             SUM(CASE WHEN kind = 'service_post' THEN 1 ELSE 0 END) AS posts,
             SUM(CASE WHEN kind = 'service_result' AND outcome = 'refused' THEN 1 ELSE 0 END) AS refused,
             SUM(CASE WHEN kind = 'service_result' AND outcome = 'accepted' THEN 1 ELSE 0 END) AS accepted
      FROM entries WHERE kind IN ('service_post', 'service_result')
      GROUP BY kiosk_id, tx_id),
    backs AS (SELECT reverses_tx_id AS tx_id, COUNT(*) AS n FROM ev WHERE service = 'credit_back' GROUP BY reverses_tx_id),
    refunds AS (SELECT tx_id, COUNT(*) AS n FROM entries WHERE kind = 'refund' GROUP BY tx_id),
    pay AS (
      SELECT e.kiosk_id, e.tx_id, e.card_ref, e.service, e.amount_minor, e.at_ms,
             COALESCE(a.posts, 0) AS posts, COALESCE(a.refused, 0) AS refused, COALESCE(a.accepted, 0) AS accepted,
             COALESCE(b.n, 0) AS credited, COALESCE(f.n, 0) AS refunded
      FROM ev e
      LEFT JOIN answers a ON a.kiosk_id = e.kiosk_id AND a.tx_id = e.tx_id
      LEFT JOIN backs b ON b.tx_id = e.tx_id
      LEFT JOIN refunds f ON f.tx_id = e.tx_id
      WHERE e.direction = 'debit' AND e.service IN ('library_fine', 'parking', 'citation') AND e.at_ms < ${end_ms})
    SELECT * FROM pay
    WHERE at_ms >= ${start_ms} OR (refused = 0 AND accepted = 0) OR (refused > 0 AND credited = 0 AND refunded = 0)
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

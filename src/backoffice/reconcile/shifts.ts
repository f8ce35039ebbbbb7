import { sql } from 'kysely';
import { int, intOrNull } from './card-events';
import type { ReconcileContext } from './context';
import { units, type ReconException } from './exceptions';

// Attendant cash shifts. A shift closed during the day is over or short by
// what the attendant counted minus what the kiosk expected. The back office
// recomputes the expectation from the signed entries the way the kiosk does
// (opening float + credits − debits the kiosk recorded as committed under the
// shift: top-ups and opening balances taken in cash, voids paid back) and
// flags a kiosk whose own figure differs. Cash taken in is that net over the
// day's commits at attendant stations. A shift still open at the end of the
// day is listed.

export interface ShiftRow {
  kiosk_id: string;
  branch: string;
  shift_id: string;
  staff_ref: string | null;
  opened_at: string | null;
  closed_at: string | null;
  opening_float_minor: number;
  cash_in_minor: number;
  cash_out_minor: number;
  expected_by_kiosk_minor: number | null;
  expected_recomputed_minor: number;
  counted_minor: number | null;
  over_short_minor: number | null;
}

interface Row {
  kiosk_id: string;
  shift_id: string;
  opened_at: number | string | null;
  opening_float: number | string | null;
  closed_at: number | string | null;
  counted: number | string | null;
  expected_by_kiosk: number | string | null;
  closed_payload: string | null;
  opened_payload: string | null;
  cash_in: number | string | null;
  cash_out: number | string | null;
  cash_in_day: number | string | null;
  cash_out_day: number | string | null;
}

export async function checkShifts(ctx: ReconcileContext): Promise<{ exceptions: ReconException[]; shifts: ShiftRow[]; cash_taken_minor: number }> {
  const { start_ms, end_ms } = ctx.day;
  const { rows } = await sql<Row>`
    WITH sh AS (
      SELECT o.kiosk_id, o.shift_id, o.at_ms AS opened_at, o.amount_minor AS opening_float, o.payload AS opened_payload,
             c.at_ms AS closed_at, c.amount_minor AS counted, c.balance_after_minor AS expected_by_kiosk, c.payload AS closed_payload
      FROM entries o
      LEFT JOIN entries c ON c.kiosk_id = o.kiosk_id AND c.shift_id = o.shift_id AND c.kind = 'shift_closed' AND c.at_ms < ${end_ms}
      WHERE o.kind = 'shift_opened' AND o.at_ms < ${end_ms}
        AND (c.at_ms IS NULL OR c.at_ms >= ${start_ms})),
    cash AS (
      SELECT e.kiosk_id, e.shift_id,
             SUM(CASE WHEN e.direction = 'credit' THEN e.amount_minor ELSE 0 END) AS cash_in,
             SUM(CASE WHEN e.direction = 'debit' THEN e.amount_minor ELSE 0 END) AS cash_out,
             SUM(CASE WHEN e.direction = 'credit' AND e.at_ms >= ${start_ms} AND e.at_ms < ${end_ms} THEN e.amount_minor ELSE 0 END) AS cash_in_day,
             SUM(CASE WHEN e.direction = 'debit' AND e.at_ms >= ${start_ms} AND e.at_ms < ${end_ms} THEN e.amount_minor ELSE 0 END) AS cash_out_day
      FROM (SELECT DISTINCT kiosk_id, shift_id FROM sh) s
      JOIN card_events e ON e.kiosk_id = s.kiosk_id AND e.shift_id = s.shift_id
      WHERE e.evidence <> 'card_evidence' AND e.at_ms < ${end_ms}
      GROUP BY e.kiosk_id, e.shift_id)
    SELECT sh.*, cash.cash_in, cash.cash_out, cash.cash_in_day, cash.cash_out_day
    FROM sh LEFT JOIN cash ON cash.kiosk_id = sh.kiosk_id AND cash.shift_id = sh.shift_id
    ORDER BY sh.kiosk_id, sh.opened_at`.execute(ctx.db);
  const exceptions: ReconException[] = [];
  const shifts: ShiftRow[] = [];
  let cash_taken_minor = 0;
  for (const r of rows) {
    const float = int(r.opening_float);
    const cashIn = int(r.cash_in);
    const cashOut = int(r.cash_out);
    const recomputed = float + cashIn - cashOut;
    const counted = intOrNull(r.counted);
    const byKiosk = intOrNull(r.expected_by_kiosk);
    const staff = (JSON.parse(r.opened_payload ?? 'null') as { staff_ref?: string } | null)?.staff_ref ?? null;
    const closedAt = intOrNull(r.closed_at);
    cash_taken_minor += int(r.cash_in_day) - int(r.cash_out_day);
    const row: ShiftRow = {
      kiosk_id: r.kiosk_id,
      branch: ctx.kioskName(r.kiosk_id),
      shift_id: r.shift_id,
      staff_ref: staff,
      opened_at: r.opened_at === null ? null : new Date(int(r.opened_at)).toISOString(),
      closed_at: closedAt === null ? null : new Date(closedAt).toISOString(),
      opening_float_minor: float,
      cash_in_minor: cashIn,
      cash_out_minor: cashOut,
      expected_by_kiosk_minor: byKiosk,
      expected_recomputed_minor: recomputed,
      counted_minor: counted,
      over_short_minor: counted === null || byKiosk === null ? null : counted - byKiosk,
    };
    shifts.push(row);
    const base = { kiosk_id: r.kiosk_id, card_ref: null, tx_id: null };
    const detail = { ...row };
    if (closedAt === null) {
      exceptions.push({ ...base, kind: 'shift_not_closed', severity: 'info', explanation: `The cash shift of ${staff ?? 'an attendant'} at ${row.branch} was still open at the end of the day (expected cash so far ${units(recomputed)}).`, detail });
      continue;
    }
    if (byKiosk !== null && byKiosk !== recomputed) {
      exceptions.push({
        ...base,
        kind: 'shift_expected_mismatch',
        severity: 'critical',
        explanation: `The cash shift of ${staff ?? 'an attendant'} at ${row.branch}: the kiosk expected ${units(byKiosk)} in the drawer, but its own signed entries add up to ${units(recomputed)} (float ${units(float)} + ${units(cashIn)} in − ${units(cashOut)} out).`,
        detail,
      });
    }
    if (row.over_short_minor !== null && row.over_short_minor !== 0) {
      const short = row.over_short_minor < 0;
      exceptions.push({
        ...base,
        kind: short ? 'shift_short' : 'shift_over',
        severity: 'warning',
        explanation: `The cash shift of ${staff ?? 'an attendant'} at ${row.branch} closed ${short ? 'short' : 'over'} by ${units(Math.abs(row.over_short_minor))}: counted ${units(counted!)}, expected ${units(byKiosk!)}.`,
        detail,
      });
    }
  }
  return { exceptions, shifts, cash_taken_minor };
}

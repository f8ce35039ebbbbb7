import { sql } from 'kysely';
import { int } from './card-events';
import type { ReconcileContext } from './context';
import { shortRef, units, type ReconException } from './exceptions';

// Lost cards (docs/lost-card.md). A debit of a card committed after the card
// was hotlisted — an offline kiosk that had not heard yet, syncing later — is
// `late_debit_after_hotlist`: when the card's balance was already authorised
// for a replacement, the city paid that amount twice. A replacement credit
// that names no authorisation, or another amount, is `replacement_not_authorised`;
// one that names an authorisation another credit used first (two stations, one
// of them offline) is `replacement_used_twice`.

interface Debit {
  kiosk_id: string;
  tx_id: string;
  card_ref: string;
  amount_minor: number | string;
  at_ms: number | string;
}

interface Change {
  card_ref: string;
  action: 'add' | 'remove';
  changed_at: string;
}

interface ReplacementCreditRow {
  kiosk_id: string;
  tx_id: string;
  card_ref: string;
  service_ref: string | null;
  amount_minor: number | string;
}

export async function checkLostCards(ctx: ReconcileContext): Promise<{ exceptions: ReconException[] }> {
  const { start_ms, end_ms } = ctx.day;
  const exceptions: ReconException[] = [];

  const { rows: debits } = await sql<Debit>`
    SELECT ev.kiosk_id, ev.tx_id, ev.card_ref, ev.amount_minor, ev.at_ms FROM card_events ev
    WHERE ev.direction = 'debit' AND ev.at_ms >= ${start_ms} AND ev.at_ms < ${end_ms}
      AND ev.card_ref IN (SELECT card_ref FROM hotlist_changes)
    ORDER BY ev.at_ms, ev.kiosk_id, ev.tx_id`.execute(ctx.db);
  if (debits.length > 0) {
    const cards = [...new Set(debits.map((d) => d.card_ref))];
    const { rows: changes } = await sql<Change>`SELECT card_ref, action, changed_at FROM hotlist_changes WHERE card_ref IN (${sql.join(cards)}) ORDER BY version`.execute(ctx.db);
    const replacements = await ctx.db.selectFrom('replacement_credits').selectAll().where('old_card_ref', 'in', cards).orderBy('created_at').execute();
    for (const d of debits) {
      const at = int(d.at_ms);
      const last = changes.filter((c) => c.card_ref === d.card_ref && Date.parse(c.changed_at) <= at).at(-1);
      if (last?.action !== 'add') continue;
      const amount = int(d.amount_minor);
      const replacement = replacements.filter((r) => r.old_card_ref === d.card_ref && r.hotlisted_at <= new Date(at).toISOString()).at(-1);
      const moved = replacement === undefined ? null : int(replacement.amount_minor);
      exceptions.push({
        kind: 'late_debit_after_hotlist',
        severity: 'warning',
        kiosk_id: d.kiosk_id,
        card_ref: d.card_ref,
        tx_id: d.tx_id,
        explanation:
          `${ctx.kioskName(d.kiosk_id)} took ${units(amount)} from card ${shortRef(d.card_ref)} after it was hotlisted as lost (${last.changed_at}), at ${new Date(at).toISOString()}: it was offline or had not received the hotlist. ` +
          (moved === null
            ? 'No replacement has been authorised for the card yet; authorise what it holds now.'
            : `Its balance had already gone to a replacement of ${units(moved)} (authorisation ${replacement!.code}, ${replacement!.status}): the city paid ${units(amount)} twice.`),
        detail: { amount_minor: amount, hotlisted_at: last.changed_at, debited_at: new Date(at).toISOString(), replacement_id: replacement?.id ?? null, amount_at_risk_minor: moved === null ? 0 : amount },
      });
    }
  }

  const { rows: credits } = await sql<ReplacementCreditRow>`
    SELECT kiosk_id, tx_id, card_ref, service_ref, amount_minor FROM card_events
    WHERE direction = 'credit' AND service = 'replacement' AND evidence <> 'card_evidence'
      AND at_ms >= ${start_ms} AND at_ms < ${end_ms}
    ORDER BY at_ms, kiosk_id, tx_id`.execute(ctx.db);
  for (const r of credits) {
    const amount = int(r.amount_minor);
    const auth = r.service_ref === null ? undefined : await ctx.db.selectFrom('replacement_credits').selectAll().where('id', '=', r.service_ref).executeTakeFirst();
    const base = { kiosk_id: r.kiosk_id, card_ref: r.card_ref, tx_id: r.tx_id };
    if (auth === undefined || int(auth.amount_minor) !== amount) {
      exceptions.push({
        ...base,
        kind: 'replacement_not_authorised',
        severity: 'critical',
        explanation: `${ctx.kioskName(r.kiosk_id)} put ${units(amount)} on card ${shortRef(r.card_ref)} as a lost card's replacement, but ${auth === undefined ? 'the back office authorised no such replacement' : `the authorisation ${auth.code} was for ${units(int(auth.amount_minor))}`}.`,
        detail: { amount_minor: amount, service_ref: r.service_ref, authorised_minor: auth === undefined ? null : int(auth.amount_minor) },
      });
    } else if (auth.used_tx_id !== null && auth.used_tx_id !== r.tx_id) {
      exceptions.push({
        ...base,
        kind: 'replacement_used_twice',
        severity: 'critical',
        explanation: `${ctx.kioskName(r.kiosk_id)} put ${units(amount)} on card ${shortRef(r.card_ref)} with the replacement authorisation ${auth.code}, which ${ctx.kioskName(auth.used_by_kiosk ?? '')} had already used (tx ${auth.used_tx_id}): the lost card's balance was paid out twice.`,
        detail: { amount_minor: amount, replacement_id: auth.id, first_tx_id: auth.used_tx_id, first_kiosk_id: auth.used_by_kiosk },
      });
    }
  }
  return { exceptions };
}

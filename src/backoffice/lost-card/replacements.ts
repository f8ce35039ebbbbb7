import { randomInt, randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { BackOfficeStore } from '../db/connect';
import type { Selectable } from 'kysely';
import type { BackOfficeDb, ReplacementCreditsTable } from '../db/schema';
import { changeHotlist } from '../downlink/publish';
import { KyselyDownlinkRepository } from '../downlink/kysely-repository';
import { cardEventsCte, int } from '../reconcile/card-events';
import { shortRef } from '../reconcile/exceptions';

// A lost card (docs/lost-card.md): hotlisted, and its reconciled balance — the
// balance after the card's last committed transaction by its counter, as the
// back office holds them — authorised once for a replacement card. The
// attendant types the code; the station's credit names the authorisation's id
// as its service_ref, and the back office marks it used when that committed
// credit arrives (markReplacementsUsed, run by ingest).

export type ReplacementCredit = Selectable<ReplacementCreditsTable>;

export class LostCardError extends Error {
  override name = 'LostCardError';
}

const CARD_REF = /^[0-9a-f]{32}$/;
/** No 0/O, 1/I: read aloud and typed at a booth. */
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newCode(): string {
  const part = () => Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return `${part()}-${part()}`;
}

/** What the attendant typed, as stored: upper case, the dash where it belongs. */
export function normaliseCode(typed: string): string | null {
  const plain = typed.toUpperCase().replace(/[\s-]/g, '');
  if (plain.length !== 8 || [...plain].some((ch) => !CODE_ALPHABET.includes(ch))) return null;
  return `${plain.slice(0, 4)}-${plain.slice(4)}`;
}

export interface LostCardInput {
  card_ref: string;
  /** The balance as of this instant (default now, which is also when the card is hotlisted). */
  as_of?: Date;
  now?: Date;
}

export interface LostCardReport extends ReplacementCredit {
  hotlist_version: number;
}

/** The card's balance after its last committed transaction (by counter) before `before_ms`, or null when none is held. */
export async function reconciledBalance(db: Kysely<BackOfficeDb>, card_ref: string, before_ms: number): Promise<number | null> {
  const { rows } = await sql<{ balance_after: number | string }>`
    WITH ${cardEventsCte()}
    SELECT ev.balance_after FROM ev
    WHERE ev.card_ref = ${card_ref} AND ev.at_ms < ${before_ms}
    ORDER BY ev.counter_before DESC, ev.at_ms DESC, ev.kiosk_id, ev.tx_id
    LIMIT 1`.execute(db);
  return rows[0] === undefined ? null : int(rows[0].balance_after);
}

/**
 * Hotlists the card and authorises its reconciled balance for a replacement.
 * Reported again while its authorisation is still pending: that same one
 * (the hotlist entry is not repeated).
 */
export async function reportLostCard(store: BackOfficeStore, input: LostCardInput): Promise<LostCardReport> {
  const { card_ref } = input;
  if (!CARD_REF.test(card_ref)) throw new LostCardError(`${card_ref} is not a card reference (32 lower-case hex digits)`);
  const now = input.now ?? new Date();
  const as_of = input.as_of ?? now;
  const repo = KyselyDownlinkRepository.on(store.db);
  const pending = await store.db.selectFrom('replacement_credits').selectAll().where('old_card_ref', '=', card_ref).where('status', '=', 'pending').executeTakeFirst();
  if (pending !== undefined) return { ...pending, amount_minor: int(pending.amount_minor), hotlist_version: await repo.latestHotlistVersion() };
  const balance = await reconciledBalance(store.db, card_ref, as_of.getTime() + 1);
  if (balance === null) throw new LostCardError(`no transactions of card ${shortRef(card_ref)} are held by the back office: check the card reference, or sync the station that issued it first`);
  const hotlist_version = await changeHotlist(repo, 'add', card_ref, now);
  const row: ReplacementCredit = {
    id: randomUUID(),
    code: newCode(),
    old_card_ref: card_ref,
    amount_minor: balance,
    hotlisted_at: now.toISOString(),
    created_at: now.toISOString(),
    status: 'pending',
    used_tx_id: null,
    used_by_kiosk: null,
    used_at: null,
  };
  await store.db.insertInto('replacement_credits').values(row).execute();
  return { ...row, hotlist_version };
}

export async function findReplacement(store: BackOfficeStore, code: string): Promise<ReplacementCredit | undefined> {
  const row = await store.db.selectFrom('replacement_credits').selectAll().where('code', '=', code).executeTakeFirst();
  return row === undefined ? undefined : { ...row, amount_minor: int(row.amount_minor) };
}

/**
 * Marks used every pending authorisation that a committed replacement credit
 * of this kiosk names (the first such credit wins; any other is reconciliation's
 * `replacement_used_twice`). Runs inside ingest's transaction.
 */
export async function markReplacementsUsed(trx: Transaction<BackOfficeDb>, kiosk_id: string, from_seq: number): Promise<void> {
  const { rows } = await sql<{ service_ref: string; tx_id: string; at: string }>`
    SELECT i.service_ref, i.tx_id, c.at FROM entries i
    JOIN entries c ON c.kiosk_id = i.kiosk_id AND c.tx_id = i.tx_id
    WHERE c.kiosk_id = ${kiosk_id} AND c.seq >= ${from_seq}
      AND i.kind = 'credit_intent' AND i.service = 'replacement' AND i.service_ref IS NOT NULL
      AND (c.kind = 'credit_committed' OR (c.kind = 'settled' AND c.outcome = 'committed'))
    ORDER BY c.seq`.execute(trx);
  for (const r of rows) {
    await trx
      .updateTable('replacement_credits')
      .set({ status: 'used', used_tx_id: r.tx_id, used_by_kiosk: kiosk_id, used_at: r.at })
      .where('id', '=', r.service_ref)
      .where('status', '=', 'pending')
      .execute();
  }
}

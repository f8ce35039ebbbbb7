import type { Kysely, Selectable } from 'kysely';
import type { BackOfficeDb } from '../db/schema';
import type { OfferedCitation, OfferedSession } from './shapes';
import type { ParkingTables } from './tables';

// Storing what kiosks upload about parking sessions and paid citations, once
// each. A record sent again as it is held is a duplicate (the kiosk missed the
// answer); a record that contradicts what is held refuses the whole request,
// and what was offered is kept as evidence, never applied: staff must look.
// The one change taken is a paid session cancelled (its payment given back).

type Db = Kysely<BackOfficeDb & ParkingTables>;
type SessionRow = ParkingTables['parking_sessions'];

export type SessionIngest =
  | { ok: true; accepted_ids: string[]; stored: number; duplicates: number; updated: number }
  | { ok: false; conflicts: { record_id: string; reason: string }[] };

export type CitationIngest = { ok: true; accepted_numbers: string[]; stored: number; duplicates: number } | { ok: false; conflicts: { record_id: string; reason: string }[] };

const COMPARED = [
  ['kiosk_id', 'kiosk_id'],
  ['plate_key_id', 'plate_key_id'],
  ['zone', 'zone'],
  ['space', 'space'],
  ['plate_hash', 'plate_hash'],
  ['stay_start', 'stay_start'],
  ['start_at', 'start'],
  ['end_at', 'end'],
] as const;

export class ParkingRecords {
  private readonly db: Db;

  constructor(db: Kysely<BackOfficeDb>) {
    // Kysely's database type is invariant; the parking tables are this folder's.
    this.db = db.withTables<ParkingTables>() as unknown as Db;
  }

  async ingestSessions(kiosk_id: string, plate_key_id: string, offered: readonly OfferedSession[], received_at: string): Promise<SessionIngest> {
    const ids = offered.map((s) => s.session_id);
    return this.db.transaction().execute(async (trx): Promise<SessionIngest> => {
      const held = new Map(ids.length === 0 ? [] : (await trx.selectFrom('parking_sessions').selectAll().where('session_id', 'in', ids).execute()).map((r) => [r.session_id, r]));
      const fresh: SessionRow[] = [];
      const cancelled: string[] = [];
      const conflicts: { record_id: string; reason: string; offered: OfferedSession }[] = [];
      for (const s of offered) {
        const row: SessionRow = {
          session_id: s.session_id,
          kiosk_id,
          plate_key_id,
          zone: s.zone,
          space: s.space,
          plate_hash: s.plate_hash,
          stay_start: s.stay_start,
          start_at: s.start,
          end_at: s.end,
          start_ms: Date.parse(s.start),
          end_ms: Date.parse(s.end),
          status: s.status,
          received_at,
          updated_at: received_at,
        };
        const was = held.get(s.session_id);
        if (was === undefined) {
          fresh.push(row);
          continue;
        }
        const differs = COMPARED.filter(([column]) => was[column] !== row[column]).map(([, field]) => field);
        if (differs.length > 0) conflicts.push({ record_id: s.session_id, reason: `held with another ${differs.join(', ')}`, offered: s });
        else if (was.status === 'cancelled' && s.status === 'paid') conflicts.push({ record_id: s.session_id, reason: 'held as cancelled, offered as paid', offered: s });
        else if (was.status === 'paid' && s.status === 'cancelled') cancelled.push(s.session_id);
      }
      if (conflicts.length > 0) {
        await trx
          .insertInto('upload_evidence')
          .values(conflicts.map((c) => ({ kiosk_id, kind: 'parking_session' as const, record_id: c.record_id, offered: JSON.stringify(c.offered), reason: c.reason, received_at })))
          .execute();
        return { ok: false, conflicts: conflicts.map(({ record_id, reason }) => ({ record_id, reason })) };
      }
      if (fresh.length > 0) await trx.insertInto('parking_sessions').values(fresh).execute();
      if (cancelled.length > 0) await trx.updateTable('parking_sessions').set({ status: 'cancelled', updated_at: received_at }).where('session_id', 'in', cancelled).execute();
      return { ok: true, accepted_ids: ids, stored: fresh.length, duplicates: offered.length - fresh.length - cancelled.length, updated: cancelled.length };
    });
  }

  async ingestCitations(kiosk_id: string, offered: readonly OfferedCitation[], received_at: string): Promise<CitationIngest> {
    const txs = offered.map((c) => c.tx_id);
    return this.db.transaction().execute(async (trx): Promise<CitationIngest> => {
      const held = new Map(txs.length === 0 ? [] : (await trx.selectFrom('paid_citations').selectAll().where('tx_id', 'in', txs).execute()).map((r) => [r.tx_id, r]));
      const conflicts = offered
        .filter((c) => held.has(c.tx_id) && (held.get(c.tx_id)!.citation_number !== c.citation_number || held.get(c.tx_id)!.kiosk_id !== kiosk_id))
        .map((c) => ({ record_id: c.tx_id, reason: 'this payment is held for another citation or kiosk', offered: c }));
      if (conflicts.length > 0) {
        await trx
          .insertInto('upload_evidence')
          .values(conflicts.map((c) => ({ kiosk_id, kind: 'paid_citation' as const, record_id: c.record_id, offered: JSON.stringify(c.offered), reason: c.reason, received_at })))
          .execute();
        return { ok: false, conflicts: conflicts.map(({ record_id, reason }) => ({ record_id, reason })) };
      }
      const fresh = offered.filter((c) => !held.has(c.tx_id));
      if (fresh.length > 0) {
        // Two kiosks can each sell the same citation while offline: both payments are kept, and staff are told to give one back.
        const numbers = [...new Set(fresh.map((c) => c.citation_number))];
        const earlier = await trx.selectFrom('paid_citations').select(['citation_number', 'tx_id']).where('citation_number', 'in', numbers).execute();
        await trx.insertInto('paid_citations').values(fresh.map((c) => ({ ...c, kiosk_id, received_at }))).execute();
        const seen = new Map<string, string>(earlier.map((r) => [r.citation_number, r.tx_id]));
        for (const c of fresh) {
          const first = seen.get(c.citation_number);
          seen.set(c.citation_number, first ?? c.tx_id);
          if (first === undefined) continue;
          await trx
            .insertInto('exceptions')
            .values({
              kind: 'citation_paid_twice',
              severity: 'warning',
              kiosk_id,
              card_ref: null,
              tx_id: c.tx_id,
              business_date: null,
              explanation: `citation ${c.citation_number} was paid again by payment ${c.tx_id} (first paid by ${first}); give one payment back`,
              detail: JSON.stringify({ citation_number: c.citation_number, first_tx_id: first, again_tx_id: c.tx_id }),
              raised_at: received_at,
            })
            .execute();
        }
      }
      return { ok: true, accepted_numbers: [...new Set(offered.map((c) => c.citation_number))], stored: fresh.length, duplicates: offered.length - fresh.length };
    });
  }

  /** Every session held (tests, the lookup's neighbours). */
  async sessions(): Promise<SessionRow[]> {
    return (await this.db.selectFrom('parking_sessions').selectAll().orderBy('session_id').execute()).map((r) => ({ ...r, start_ms: Number(r.start_ms), end_ms: Number(r.end_ms) }));
  }

  async evidence(): Promise<Selectable<ParkingTables['upload_evidence']>[]> {
    return this.db.selectFrom('upload_evidence').selectAll().orderBy('id').execute();
  }
}

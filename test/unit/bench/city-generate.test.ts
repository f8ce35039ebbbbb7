import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KioskLedger, verifyLedger, type EntryPayload, type EntryRow, type PayloadInput } from '../../../src/ledger';
import { moneyRowsOf } from '../../../src/ledger/money-check';
import { openCity, type City, type CityParams } from '../../bench/city/generate';

// The bench city's rows are genuine ledger rows: src/ledger's own verification
// accepts every kiosk's chain (hash, link, signature with the kiosk key,
// canonical payload, money table), the ledger's append rules accept every
// payload in order, and each card's history adds up across kiosks.

const PARAMS: CityParams = { kiosks: 6, cards: 60, entries_per_day: 700, issue_days: 1, seed: 7, start_date: '2026-01-05' };
const DAYS = 3;

function rowsByKiosk(city: City): EntryRow[][] {
  const out: EntryRow[][] = city.kiosks.map(() => []);
  for (let d = 0; d < DAYS; d++) for (const k of city.day(d).kiosks) out[k.kiosk]!.push(...k.rows);
  return out;
}

describe('bench city generator', () => {
  const city = openCity(PARAMS, null);
  const chains = rowsByKiosk(city);

  it('writes chains that src/ledger verifies with each kiosk key, money table included', () => {
    for (const k of city.kiosks) {
      const rows = chains[k.index]!;
      expect(rows.length).toBeGreaterThan(0);
      const ledger = KioskLedger.open(':memory:', k.key);
      try {
        const insert = ledger.db.prepare('INSERT INTO entries (seq, entry_id, at, kind, tx_id, payload, prev_hash, hash, signature) VALUES (@seq, @entry_id, @at, @kind, @tx_id, @payload, @prev_hash, @hash, @signature)');
        const outbox = ledger.db.prepare('INSERT INTO outbox (seq) VALUES (?)');
        const money = ledger.db.prepare('INSERT INTO money (seq, tx_id, card_ref, direction, amount_minor, at_ms) VALUES (?, ?, ?, ?, ?, ?)');
        ledger.db.transaction(() => {
          for (const r of rows) {
            insert.run(r);
            outbox.run(r.seq);
          }
          for (const m of moneyRowsOf(rows.map((r) => ({ seq: r.seq, at: r.at, payload: JSON.parse(r.payload) as EntryPayload })))) money.run(m.seq, m.tx_id, m.card_ref, m.direction, m.amount_minor, m.at_ms);
        })();
        expect(verifyLedger(ledger.db, { trustedKey: k.key.publicKey })).toEqual({ ok: true, verified: true, count: rows.length, last_hash: rows[rows.length - 1]!.hash });
      } finally {
        ledger.close();
      }
    }
  });

  it("passes the kiosk ledger's own append rules, payload for payload", () => {
    for (const k of city.kiosks) {
      const rows = chains[k.index]!;
      let i = 0;
      const ledger = KioskLedger.open(':memory:', k.key, () => new Date(rows[Math.min(i, rows.length - 1)]!.at));
      try {
        for (; i < rows.length; i++) {
          expect(ledger.append(JSON.parse(rows[i]!.payload) as PayloadInput)).toEqual({ status: 'created', seq: i + 1 });
        }
        const stored = ledger.db.prepare('SELECT payload FROM entries ORDER BY seq').pluck().all();
        expect(stored).toEqual(rows.map((r) => r.payload));
      } finally {
        ledger.close();
      }
    }
  });

  it("keeps every card's counter and balance continuous across kiosks, from an opening balance on a new card", () => {
    type Move = { before: number; after: number; counter: number; service: string };
    const intents = new Map<string, Extract<EntryPayload, { kind: 'intent' | 'credit_intent' }>>();
    const moves = new Map<string, Move[]>();
    for (const rows of chains) {
      for (const r of rows) {
        const p = JSON.parse(r.payload) as EntryPayload;
        if (p.kind === 'intent' || p.kind === 'credit_intent') intents.set(p.tx_id, p);
        const committed = p.kind === 'committed' || p.kind === 'credit_committed' || (p.kind === 'settled' && p.outcome === 'committed');
        if (!committed) continue;
        const i = intents.get(p.tx_id)!;
        const list = moves.get(i.card_ref) ?? [];
        list.push({ before: i.balance_before_minor, after: i.expected_balance_after_minor, counter: i.tmac_counter_before, service: i.service });
        moves.set(i.card_ref, list);
      }
    }
    expect(moves.size).toBe(PARAMS.cards);
    for (const list of moves.values()) {
      list.sort((a, b) => a.counter - b.counter);
      expect(list[0]).toMatchObject({ before: 0, counter: 0, service: 'opening_balance' });
      for (let i = 1; i < list.length; i++) expect([list[i]!.counter, list[i]!.before]).toEqual([list[i - 1]!.counter + 1, list[i - 1]!.after]);
    }
  });

  it('has the realistic mix: payments with service posts, top-ups under shifts, credit backs, uncertain then settled, refunds', () => {
    const kinds = new Map<string, number>();
    const services = new Set<string>();
    for (const rows of chains) {
      for (const r of rows) {
        kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
        const p = JSON.parse(r.payload) as { service?: string };
        if (p.service !== undefined) services.add(p.service);
      }
    }
    for (const kind of ['intent', 'committed', 'credit_intent', 'credit_committed', 'service_post', 'service_result', 'shift_opened', 'shift_closed', 'aborted']) expect(kinds.get(kind), kind).toBeGreaterThan(0);
    expect([...services].sort()).toEqual(expect.arrayContaining(['citation', 'library_fine', 'opening_balance', 'parking', 'top_up']));
    expect(kinds.get('shift_opened')).toBe(DAYS * city.kiosks.filter((k) => k.attendant).length);
  });

  it('is deterministic by seed', () => {
    const digest = (c: City) => createHash('sha256').update(JSON.stringify(c.day(1))).digest('hex');
    expect(digest(openCity(PARAMS, null))).toBe(digest(city));
    expect(digest(openCity({ ...PARAMS, seed: 8 }, null))).not.toBe(digest(city));
  });
});

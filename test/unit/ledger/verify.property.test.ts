import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, entryHash, KioskLedger, LedgerConflictError, loadOrCreateKioskKey, verifyLedger, type KioskKey, type PayloadInput } from '../../../src/ledger';
import { signHash } from '../../../src/ledger/encoding';
import { newEntryId } from '../../../src/shared/ids';
import { unprotected } from './verify-forgery';
import { CARD_A, CARD_B, committed, fileLedger, intent, memoryLedger, testKey, txId } from './helpers';

// Property tests for the chain. (1) Any sequence of appends — valid or not, in
// any order, with retries — leaves a ledger that verifies and agrees with a
// simple model of what each transaction did. (2) Changing any byte of any
// stored field of any entry, deleting an entry, or reordering entries makes
// verification fail and name that entry first.

/** File-backed ledgers fsync every append: give the many-run properties room. */
const PROPERTY_TIMEOUT_MS = 60_000;

type Op = { op: 'intent' | 'credit_intent' | 'commit' | 'abort' | 'uncertain' | 'settle' | 'refund' | 'retry'; tx: number; amount: number; card: 0 | 1 };

const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom('intent', 'credit_intent', 'commit', 'abort', 'uncertain', 'settle', 'refund', 'retry'),
  tx: fc.integer({ min: 1, max: 5 }),
  amount: fc.integer({ min: 1, max: 5_000 }),
  card: fc.constantFrom(0 as const, 1 as const),
});

interface ModelTx {
  direction: 'debit' | 'credit';
  amount: number;
  card: string;
  /** The card's counter read before the change, and the balance the change leaves. */
  counter_before: number;
  balance_after: number;
  closed: 'committed' | 'aborted' | null;
  uncertain: boolean;
  refunded: boolean;
}

const BALANCE_BEFORE = 10_000;

/**
 * What the rules should answer for `o` (the `index`-th op), given the model,
 * and the payload to append. Card counters grow with the op index, as a card
 * used at other stations in between would show them.
 */
function step(model: Map<number, ModelTx>, o: Op, index: number): { payload: PayloadInput; allowed: boolean; apply: () => void } {
  const t = model.get(o.tx);
  const card = o.card === 0 ? CARD_A : CARD_B;
  const tx_id = txId(o.tx);
  const evidence = { tmac_counter: (t?.counter_before ?? 0) + 1, tmac_value: 'AB' };
  switch (o.op) {
    case 'intent':
    case 'credit_intent': {
      const credit = o.op === 'credit_intent';
      const counter_before = 10 * (index + 1);
      const balance_after = BALANCE_BEFORE + (credit ? o.amount : -o.amount);
      return {
        payload: intent(o.tx, {
          kind: o.op,
          card_ref: card,
          amount_minor: o.amount,
          balance_before_minor: BALANCE_BEFORE,
          expected_balance_after_minor: balance_after,
          tmac_counter_before: counter_before,
          ...(credit ? { service: 'top_up', service_ref: null } : {}),
        }),
        allowed: t === undefined,
        apply: () => model.set(o.tx, { direction: credit ? 'credit' : 'debit', amount: o.amount, card, counter_before, balance_after, closed: null, uncertain: false, refunded: false }),
      };
    }
    case 'commit': {
      const kind = t?.direction === 'credit' ? 'credit_committed' : 'committed';
      return { payload: { kind, tx_id, balance_after_minor: t?.balance_after ?? 0, ...evidence }, allowed: t !== undefined && t.closed === null, apply: () => (t!.closed = 'committed') };
    }
    case 'abort':
      return { payload: { kind: 'aborted', tx_id, reason: 'card_absent' }, allowed: t !== undefined && t.closed === null, apply: () => (t!.closed = 'aborted') };
    case 'uncertain':
      return { payload: { kind: 'uncertain', tx_id, unknown: 'card_commit', cause: 'timeout' }, allowed: t !== undefined && t.closed === null && !t.uncertain, apply: () => (t!.uncertain = true) };
    case 'settle':
      return {
        payload: { kind: 'settled', tx_id, outcome: 'committed', evidence: { source: 'same_card', balance_minor: t?.balance_after ?? 0, ...evidence, proof: 'tmac' } },
        allowed: t !== undefined && t.closed === null,
        apply: () => (t!.closed = 'committed'),
      };
    case 'refund':
      return {
        payload: { kind: 'refund', tx_id, amount_minor: 1, reason: 'service_error' },
        allowed: t !== undefined && t.direction === 'debit' && t.closed === 'committed' && !t.refunded,
        apply: () => (t!.refunded = true),
      };
    case 'retry':
      return { payload: { kind: 'aborted', tx_id, reason: 'card_absent' }, allowed: false, apply: () => undefined };
  }
}

describe('ledger verification (properties)', () => {
  it('any sequence of appends verifies and matches a model of the transactions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const ledger = memoryLedger();
        const model = new Map<number, ModelTx>();
        const written: PayloadInput[] = [];
        for (const [index, o] of ops.entries()) {
          if (o.op === 'retry') {
            const again = written.at(-1);
            if (again !== undefined) expect(ledger.append(again).status).toBe('exists');
            continue;
          }
          const { payload, allowed, apply } = step(model, o, index);
          if (written.some((w) => canonicalJson(w) === canonicalJson(payload))) {
            expect(ledger.append(payload).status).toBe('exists'); // the same entry again: a retry
          } else if (allowed) {
            expect(ledger.append(payload).status).toBe('created');
            written.push(payload);
            apply();
          } else if (o.op !== 'abort' || model.has(o.tx)) {
            expect(() => ledger.append(payload)).toThrow(LedgerConflictError);
          } else {
            // An abort with no intent is allowed (the intent never became durable) and spends the tx id.
            expect(ledger.append(payload).status).toBe('created');
            written.push(payload);
            model.set(o.tx, { direction: 'debit', amount: 0, card: CARD_A, counter_before: 0, balance_after: 0, closed: 'aborted', uncertain: false, refunded: false });
          }
        }
        expect(verifyLedger(ledger.db, { trustedKey: testKey().publicKey })).toMatchObject({ ok: true, verified: true, count: written.length }); // money table included
        const open = [...model.entries()].filter(([, t]) => t.closed === null && t.amount > 0);
        expect((await ledger.openIntents()).map((t) => t.tx_id).sort()).toEqual(open.map(([n]) => txId(n)).sort());
        const exposure = (direction: 'debit' | 'credit') => [...model.values()].filter((t) => t.direction === direction && t.closed !== 'aborted').reduce((s, t) => s + t.amount, 0);
        expect(ledger.unsyncedTotalMinor('debit')).toBe(exposure('debit'));
        expect(ledger.unsyncedTotalMinor('credit')).toBe(exposure('credit'));
        expect(ledger.pendingOutbox(1_000)).toHaveLength(written.length);
        ledger.close();
      }),
      { numRuns: 150 },
    );
  }, PROPERTY_TIMEOUT_MS);
});

// ------------------------------------------------------------ tampering

const COLUMNS = ['entry_id', 'at', 'kind', 'tx_id', 'payload', 'prev_hash', 'hash', 'signature'] as const;
const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~';

/** A fresh ledger of `count` entries (intents, commits, an abort, a shift) on disk, with its path. */
function chain(count: number) {
  const { ledger, path, key } = fileLedger();
  for (let n = 1; ledger.lastEntry()?.seq !== count; n++) {
    if (n % 3 === 0) ledger.append(committed(n - 1));
    else ledger.appendIntent(intent(n, { card_ref: n % 2 ? CARD_A : CARD_B }));
  }
  ledger.close();
  return { path, key };
}

/** A raw connection with the protections dropped: what someone with the file could do. */
const raw = unprotected;

function firstBad(path: string): number | 'ok' {
  const db = new Database(path, { readonly: true });
  try {
    const result = verifyLedger(db);
    return result.ok ? 'ok' : result.firstBad;
  } finally {
    db.close();
  }
}

describe('ledger verification under tampering (properties)', () => {
  it('changing any byte of any stored field of any entry is caught at that entry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), fc.constantFrom(...COLUMNS), fc.nat(), fc.integer({ min: 1, max: PRINTABLE.length - 1 }), (count, pick, column, at, shift) => {
        const { path } = chain(count);
        expect(firstBad(path)).toBe('ok');
        const victim = (pick % count) + 1;
        const db = raw(path);
        const value = db.prepare(`SELECT ${column} FROM entries WHERE seq = ?`).pluck().get(victim) as string;
        const i = at % value.length;
        const from = PRINTABLE.indexOf(value[i]!);
        const to = PRINTABLE[(from + shift) % PRINTABLE.length]!; // a different printable character
        try {
          db.prepare(`UPDATE entries SET ${column} = ? WHERE seq = ?`).run(value.slice(0, i) + to + value.slice(i + 1), victim);
        } catch (e) {
          // The change would make this entry's (tx_id, kind) another entry's: the
          // database refuses it even unprotected, so there is nothing to catch.
          db.close();
          if (e instanceof Error && /UNIQUE constraint failed/.test(e.message)) return fc.pre(false);
          throw e;
        }
        db.close();
        expect(firstBad(path)).toBe(victim);
      }),
      { numRuns: Number(process.env.LEDGER_PROPERTY_RUNS ?? 120), ...(process.env.LEDGER_PROPERTY_SEED ? { seed: Number(process.env.LEDGER_PROPERTY_SEED), path: process.env.LEDGER_PROPERTY_PATH } : {}) },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('renumbering an entry is caught at its place in the chain', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), fc.constantFrom(-7, 0, 100), (count, pick, to) => {
        const { path } = chain(count);
        const victim = (pick % count) + 1;
        const db = raw(path);
        db.prepare('UPDATE entries SET seq = ? WHERE seq = ?').run(to, victim);
        db.close();
        expect(firstBad(path)).toBe(victim);
      }),
      { numRuns: 40 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('deleting any entry (triggers dropped) is caught at that entry, the last one included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), (count, pick) => {
        const { path } = chain(count);
        const victim = (pick % count) + 1;
        const db = raw(path);
        db.prepare('DELETE FROM entries WHERE seq = ?').run(victim);
        db.close();
        expect(firstBad(path)).toBe(victim);
      }),
      { numRuns: 40 },
    );
  }, PROPERTY_TIMEOUT_MS);

  it('reordering any two entries is caught at the earlier place', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.nat(), fc.nat(), (count, p, q) => {
        const a = (p % count) + 1;
        const b = (q % count) + 1;
        fc.pre(a !== b);
        const { path } = chain(count);
        const db = raw(path);
        db.prepare('UPDATE entries SET seq = -1 WHERE seq = ?').run(a);
        db.prepare('UPDATE entries SET seq = ? WHERE seq = ?').run(a, b);
        db.prepare('UPDATE entries SET seq = ? WHERE seq = -1').run(b);
        db.close();
        expect(firstBad(path)).toBe(Math.min(a, b));
      }),
      { numRuns: 40 },
    );
  }, PROPERTY_TIMEOUT_MS);
});

describe('ledger verification: keys, outbox, signed faults', () => {
  it('is verified only against a trusted key that signed it; without one, consistent but not verified', () => {
    const { path, key } = chain(3);
    const db = new Database(path, { readonly: true });
    expect(verifyLedger(db, { trustedKey: key.publicKey })).toMatchObject({ ok: true, verified: true, count: 3 });
    expect(verifyLedger(db)).toMatchObject({ ok: true, verified: false, count: 3 });
    const stranger = loadOrCreateKioskKey(`${path}.other.pem`);
    expect(verifyLedger(db, { trustedKey: stranger.publicKey })).toEqual({ ok: false, firstBad: 0, reason: 'the ledger was signed by a different key than the trusted one (the kiosk’s enrolled key)' });
    db.close();
  });

  it('swapping only the stored key (entries still signed by the kiosk) fails at entry 1, and against the trusted key as a whole', () => {
    const { path, key } = chain(2);
    const db = raw(path);
    const forger = loadOrCreateKioskKey(`${path}.forger.pem`);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'kiosk_public_key'").run(forger.publicKeyPem);
    db.close();
    const check = new Database(path, { readonly: true });
    expect(verifyLedger(check)).toMatchObject({ ok: false, firstBad: 1, reason: 'signature does not verify' });
    expect(verifyLedger(check, { trustedKey: key.publicKey })).toMatchObject({ ok: false, firstBad: 0 });
    check.close();
  });

  it('an entry signed by the kiosk key but malformed (a software fault, not tampering) is named', () => {
    /** Appends a correctly chained, hashed and signed row around the ledger's validation. */
    const appendSignedRaw = (ledger: KioskLedger, key: KioskKey, kind: string, payload_json: string) => {
      const last = ledger.lastEntry()!;
      const fields = { seq: last.seq + 1, entry_id: newEntryId(), at: '2026-03-02T10:00:00.000Z', payload_json, prev_hash: last.hash };
      const hash = entryHash(fields);
      ledger.db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(fields.seq, fields.entry_id, fields.at, kind, txId(1), payload_json, last.hash, hash, signHash(hash, key.privateKey));
      ledger.db.prepare('INSERT INTO outbox (seq) VALUES (?)').run(fields.seq);
    };
    const a = fileLedger();
    a.ledger.appendIntent(intent(1));
    appendSignedRaw(a.ledger, a.key, 'aborted', `{"kind":"aborted","reason":"Maria Lopez","tx_id":"${txId(1)}"}`);
    expect(verifyLedger(a.ledger.db)).toMatchObject({ ok: false, firstBad: 2, reason: expect.stringMatching(/^signed payload is malformed: .*reason must be one of/) });
    const b = fileLedger();
    b.ledger.appendIntent(intent(1));
    appendSignedRaw(b.ledger, b.key, 'committed', `{"kind":"aborted","reason":"card_absent","tx_id":"${txId(1)}"}`);
    expect(verifyLedger(b.ledger.db)).toEqual({ ok: false, firstBad: 2, reason: 'kind column disagrees with the payload' });
  });

  it('a missing or mangled stored key is a verdict on the whole ledger', () => {
    const { path } = chain(1);
    const db = raw(path);
    db.prepare("UPDATE meta SET value = 'not a key' WHERE key = 'kiosk_public_key'").run();
    expect(verifyLedger(db)).toEqual({ ok: false, firstBad: 0, reason: 'the kiosk public key stored in the ledger is unreadable' });
    db.prepare("DELETE FROM meta WHERE key = 'kiosk_public_key'").run();
    expect(verifyLedger(db)).toEqual({ ok: false, firstBad: 0, reason: 'no kiosk public key in the ledger' });
    db.close();
  });

  it('an entry whose outbox row vanished is named', () => {
    const { path } = chain(3);
    const db = raw(path);
    db.prepare('DELETE FROM outbox WHERE seq = 2').run();
    db.close();
    expect(firstBad(path)).toBe(2);
  });

  it('an open KioskLedger and a fresh one agree on an empty ledger', () => {
    const { ledger, path, key } = fileLedger();
    expect(verifyLedger(ledger.db)).toEqual({ ok: true, verified: false, count: 0, last_hash: '0'.repeat(64) });
    ledger.close();
    expect(KioskLedger.open(path, key).lastEntry()).toBeNull();
  });
});

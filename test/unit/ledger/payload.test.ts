import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LedgerPayloadError, parsePayload, type PayloadInput } from '../../../src/ledger';
import { CARD_A, committed, EVIDENCE, intent, SHIFT_1, txId } from './helpers';

// One well-formed example of every kind: the closed schema accepts exactly these shapes.
const EXAMPLES: PayloadInput[] = [
  intent(1),
  intent(2, { kind: 'credit_intent', service: 'credit_back', reverses_tx_id: txId(1) }),
  committed(1),
  { kind: 'credit_committed', tx_id: txId(2), ...EVIDENCE, balance_after_minor: 1_350 },
  { kind: 'aborted', tx_id: txId(3), reason: 'insufficient_funds' },
  { kind: 'uncertain', tx_id: txId(4), unknown: 'card_commit', cause: 'card_removed' },
  { kind: 'settled', tx_id: txId(4), outcome: 'committed', evidence: { source: 'same_card', balance_minor: 650, tmac_counter: 5, tmac_value: 'AB12', proof: 'tmac' } },
  { kind: 'settled', tx_id: txId(5), outcome: 'aborted', evidence: { source: 'back_office', balance_minor: 1_000, tmac_counter: 4, tmac_value: null, proof: 'counter_unchanged' } },
  { kind: 'refund', tx_id: txId(1), amount_minor: 350, reason: 'service_refused' },
  { kind: 'shift_opened', shift_id: SHIFT_1, staff_ref: 'staff-17', opening_float_minor: 5_000 },
  { kind: 'shift_closed', shift_id: SHIFT_1, staff_ref: 'staff-17', expected_minor: 6_000, counted_minor: 5_900 },
  { kind: 'service_post', tx_id: txId(1) },
  { kind: 'service_result', tx_id: txId(1), outcome: 'refused' },
];

const reject = (p: unknown, message: RegExp) => expect(() => parsePayload(p)).toThrow(message);

describe('ledger payloads: a closed, typed schema', () => {
  it('accepts one well-formed example of every kind', () => {
    for (const p of EXAMPLES) expect(parsePayload(p)).toBe(p);
    expect(new Set(EXAMPLES.map((p) => p.kind)).size).toBe(12);
  });

  it('refuses any field the kind does not have (no place for a name), and any missing field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.string({ minLength: 1, maxLength: 12 }), fc.string(), (p, key, value) => {
        fc.pre(!Object.hasOwn(p, key));
        expect(() => parsePayload({ ...p, [key]: value })).toThrow(LedgerPayloadError);
      }),
    );
    reject({ ...intent(1), holder_name: 'Maria Lopez' }, /has no field holder_name/);
    for (const p of EXAMPLES) {
      for (const k of Object.keys(p).filter((k) => k !== 'kind')) {
        const { [k]: _gone, ...rest } = p as unknown as Record<string, unknown>;
        expect(() => parsePayload(rest)).toThrow(new RegExp(`${k} is missing`));
      }
    }
    reject({ ...intent(1), shift_id: undefined }, /shift_id is missing/);
  });

  it('refuses free text where codes go', () => {
    reject({ kind: 'aborted', tx_id: txId(1), reason: 'Maria Lopez walked away' }, /reason must be one of/);
    reject({ kind: 'refund', tx_id: txId(1), amount_minor: 5, reason: 'patron said so' }, /reason must be one of/);
    reject({ kind: 'uncertain', tx_id: txId(1), unknown: 'everything', cause: 'card_removed' }, /unknown must be one of/);
    reject(intent(1, { card_ref: 'Maria Lopez' }), /card_ref must be a keyed hash/);
    reject(intent(1, { card_ref: '**** 1234' }), /card_ref must be a keyed hash/);
    reject(intent(1, { service_ref: 'Maria Lopez' }), /service_ref must be an identifier/);
    reject({ kind: 'shift_opened', shift_id: SHIFT_1, staff_ref: 'Maria Lopez', opening_float_minor: 0 }, /staff_ref must be an identifier/);
    reject(intent(1, { tx_id: 'tx-1' }), /tx_id must be a UUIDv7/);
  });

  it('holds money as integers of minor units, amounts positive, balances consistent', () => {
    reject(intent(1, { amount_minor: 3.5 }), /amount_minor must be a positive integer/);
    reject(intent(1, { amount_minor: 0 }), /amount_minor must be a positive integer/);
    reject(intent(1, { amount_minor: -350 }), /amount_minor must be a positive integer/);
    reject(intent(1, { amount_minor: '350' as never }), /amount_minor must be a positive integer/);
    reject(intent(1, { balance_before_minor: 1_000, expected_balance_after_minor: 700 }), /balance_before_minor - amount_minor/);
    reject(intent(2, { kind: 'credit_intent', balance_before_minor: 1_000, expected_balance_after_minor: 650 }), /balance_before_minor \+ amount_minor/);
    reject(committed(1, { balance_after_minor: -1 }), /balance_after_minor must be a non-negative/);
    reject(committed(1, { tmac_value: 'xyz' }), /tmac_value must be 1-16 bytes of hex/);
    reject(committed(1, { tmac_value: 'ABC' }), /tmac_value must be 1-16 bytes of hex/);
    reject(committed(1, { tmac_counter: 2 ** 32 }), /tmac_counter must be a card counter/);
  });

  it('keeps debit and credit services apart', () => {
    reject(intent(1, { service: 'top_up' as never }), /service must be one of library_fine/);
    reject(intent(1, { kind: 'credit_intent', service: 'parking' as never }), /service must be one of top_up/);
  });

  it('checks settled evidence as closely as the entry', () => {
    const settled = EXAMPLES[6] as Extract<PayloadInput, { kind: 'settled' }>;
    reject({ ...settled, evidence: { ...settled.evidence, note: 'x' } }, /evidence: has no field note/);
    reject({ ...settled, evidence: { ...settled.evidence, tmac_value: null } }, /tmac_value is given exactly when/);
    reject({ ...settled, evidence: { ...settled.evidence, tmac_value: null, proof: 'counter_unchanged' } }, /committed outcome needs the card’s record/);
    reject({ ...settled, evidence: { ...settled.evidence, source: 'neighbour' } }, /evidence.source/);
    reject({ ...settled, evidence: [] }, /evidence must be an object/);
  });

  it('names unknown kinds and non-objects', () => {
    reject({ kind: 'nope' }, /unknown ledger entry kind nope/);
    reject(null, /must be an object/);
    reject([intent(1)], /must be an object/);
    reject(Object.assign(Object.create({ inherited: 1 }), intent(1)), /plain object/);
    expect(CARD_A).toHaveLength(32);
  });
});

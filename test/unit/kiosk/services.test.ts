// KioskService: the fixed-fee stand-in, and its wiring into the resident
// machine through `.provide()`.
import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { ok, type PaymentTx, type RefundInput } from '../../../src/kiosk/machines/contracts';
import { residentMachine, type ResidentContext } from '../../../src/kiosk/machines/resident';
import { serviceActors } from '../../../src/kiosk/services/actors';
import { FixedFeeService } from '../../support/fixed-fee';
import { Driver } from './support/driver';
import { CREDIT_BACK_EVIDENCE, TEST_TIMEOUTS, TX_ID, progressAt } from './support/fixtures';
import { HAPPY, RESIDENT_ACTORS } from './support/resident-model';

const PARKING_FEE_MINOR = 350;

function txFor(quote_ref: string, amount_minor = PARKING_FEE_MINOR): PaymentTx {
  return { ...progressAt('recorded').tx, kind: 'parking', quote_ref, amount_minor };
}

describe('FixedFeeService', () => {
  const service = (): FixedFeeService => new FixedFeeService('parking', PARKING_FEE_MINOR);

  it('quotes its fixed fee, in minor units, for any reference', async () => {
    const q = await service().quote({ kind: 'parking', reference: 'ABC123', card_ref: 'c' });
    expect(q).toEqual(ok({ quote_ref: expect.stringMatching(/^fixed:parking:[0-9a-f-]{36}$/), kind: 'parking', amount_minor: 350, description_key: 'fixed_fee.parking' }));
    expect(JSON.stringify(q)).not.toContain('ABC123'); // a plate never travels into the ledger
  });

  it('finds nothing for an empty reference or another kind', async () => {
    expect(await service().quote({ kind: 'parking', reference: '  ', card_ref: 'c' })).toEqual({ ok: false, error: 'not_found' });
    expect(await service().quote({ kind: 'citation', reference: 'X', card_ref: 'c' })).toEqual({ ok: false, error: 'not_found' });
  });

  it('refuses a fee that is not a positive integer of minor units', () => {
    expect(() => new FixedFeeService('parking', 3.5)).toThrow(RangeError);
    expect(() => new FixedFeeService('parking', 0)).toThrow(RangeError);
  });

  it('fulfils idempotently by tx id and refuses a tx that does not match its quote', async () => {
    const s = service();
    const quote = { quote_ref: 'fixed:parking:ABC123', kind: 'parking', amount_minor: 350, description_key: 'fixed_fee.parking' } as const;
    const first = await s.fulfil({ tx: txFor(quote.quote_ref), quote });
    expect(first).toEqual({ status: 'fulfilled', service_ref: `fixed:${TX_ID}` });
    expect(await s.fulfil({ tx: txFor(quote.quote_ref), quote })).toEqual(first);
    expect(await s.fulfil({ tx: txFor(quote.quote_ref, 999), quote })).toEqual({ status: 'refused', reason: 'amount_mismatch' });
    expect(await s.fulfil({ tx: txFor('fixed:parking:OTHER'), quote })).toEqual({ status: 'refused', reason: 'unknown_quote' });
  });

  it('undoes a fulfilment once', async () => {
    const s = service();
    const quote = { quote_ref: 'fixed:parking:P1', kind: 'parking', amount_minor: 350, description_key: 'fixed_fee.parking' } as const;
    await s.fulfil({ tx: txFor(quote.quote_ref), quote });
    const input: RefundInput = { tx: txFor(quote.quote_ref), reason: 'x' };
    expect(await s.refund(input)).toEqual(ok({ undone: true }));
    expect(await s.refund(input)).toEqual(ok({ undone: false }));
  });
});

describe('serviceActors wired into the resident machine', () => {
  const compensations: RefundInput[] = [];
  const compensate = async (input: RefundInput) => {
    compensations.push(input);
    return ok({ status: 'credited_back' as const, balance_after_minor: CREDIT_BACK_EVIDENCE.balance_after_minor });
  };

  it('a resident pays a parking fee quoted and fulfilled by the fixed-fee service', async () => {
    const machine = residentMachine.provide({
      actors: serviceActors([new FixedFeeService('parking', PARKING_FEE_MINOR), new FixedFeeService('library_fine', 500)], compensate),
    });
    const faked = RESIDENT_ACTORS.filter((n) => !['quote', 'fulfil', 'refundOrCreditBack'].includes(n));
    const d = new Driver(machine, { actorNames: faked, input: { timeouts: TEST_TIMEOUTS }, responders: HAPPY });
    await d.settle();
    await d.act({ type: 'CARD_PRESENTED' });
    await d.act({ type: 'CONTINUE' });
    await d.act({ type: 'SELECT_SERVICE', kind: 'parking', reference: 'ABC123' });
    expect((d.snapshot.context as ResidentContext).quote?.amount_minor).toBe(PARKING_FEE_MINOR);
    await d.act({ type: 'CONFIRM' });
    expect(d.callsTo('debitCard')[0]?.input).toMatchObject({ tx: { kind: 'parking', amount_minor: 350, quote_ref: expect.stringMatching(/^fixed:parking:[0-9a-f-]{36}$/) } });
    expect(d.callsTo('printReceipt')[0]?.input).toMatchObject({ service_ref: `fixed:${TX_ID}`, outcome: 'paid' });
    expect(compensations).toEqual([]);
  });

  it('gives money back only after the service undid its side, and not at all if it cannot', async () => {
    const fixed = new FixedFeeService('parking', PARKING_FEE_MINOR);
    const input: RefundInput = { tx: txFor('fixed:parking:P9'), reason: 'payment_accepted_N' };
    const run = (service: FixedFeeService) =>
      toPromise(createActor(serviceActors([service], compensate).refundOrCreditBack, { input }).start());

    compensations.length = 0;
    expect(await run(fixed)).toEqual(ok({ status: 'credited_back', balance_after_minor: CREDIT_BACK_EVIDENCE.balance_after_minor }));
    expect(compensations).toEqual([input]);

    const unreachable = new FixedFeeService('parking', PARKING_FEE_MINOR);
    unreachable.refund = async () => ({ ok: false, error: 'service_unavailable' });
    expect(await run(unreachable)).toEqual({ ok: false, error: 'service_unavailable' });
    expect(compensations).toHaveLength(1);
  });

  it('refuses to build with two services for one kind', () => {
    expect(() => serviceActors([new FixedFeeService('parking', 1), new FixedFeeService('parking', 2)], compensate)).toThrow(/two services/);
  });
});

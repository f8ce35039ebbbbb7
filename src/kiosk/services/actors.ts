// Binds KioskService implementations to the resident machine's service actors:
//   residentMachine.provide({ actors: { ...serviceActors(services, compensate), … } })
// `compensate` is the money side of a refund (credit back to the card, or a
// refund entry in the ledger); it belongs to the card/ledger wiring, not to a
// service.
import { fromPromise } from 'xstate';
import {
  err,
  type FulfilInput,
  type FulfilResult,
  type PayableServiceKind,
  type QuoteInput,
  type QuoteResult,
  type RefundInput,
  type RefundResult,
} from '../machines/contracts';
import type { KioskService } from './types';

export type Compensate = (input: RefundInput) => Promise<RefundResult>;

export function serviceActors(services: readonly KioskService[], compensate: Compensate) {
  const byKind = new Map<PayableServiceKind, KioskService>();
  for (const service of services) {
    if (byKind.has(service.kind)) throw new Error(`two services for ${service.kind}`);
    byKind.set(service.kind, service);
  }
  const serviceFor = (kind: string): KioskService | undefined => byKind.get(kind as PayableServiceKind);

  return {
    quote: fromPromise<QuoteResult, QuoteInput>(async ({ input }) => {
      const service = serviceFor(input.kind);
      return service === undefined ? err('service_unavailable') : service.quote(input);
    }),
    fulfil: fromPromise<FulfilResult, FulfilInput>(async ({ input }) => {
      const service = serviceFor(input.quote.kind);
      return service === undefined ? { status: 'refused', reason: 'service_not_configured' } : service.fulfil(input);
    }),
    /**
     * Undo the service side first; only then give the money back. If the
     * service cannot confirm, nothing is paid out here and the machine sends
     * the resident to staff (value is never created twice).
     */
    refundOrCreditBack: fromPromise<RefundResult, RefundInput>(async ({ input }) => {
      const service = serviceFor(input.tx.kind);
      if (service !== undefined) {
        const undone = await service.refund(input);
        if (!undone.ok) return err('service_unavailable');
      }
      return compensate(input);
    }),
  };
}

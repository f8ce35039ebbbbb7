import type { FulfilInput, FulfilResult, PaymentTx, Quote } from '../machines/contracts';
import type { KioskLedgerPort } from '../runtime/ledger-port';
import type { KioskService } from './types';

// Store and forward: a service (the ILS, parking) is told of a payment through
// the ledger. The post is written (`service_post`) before it is sent and the
// answer (`service_result`) after, so a post that did not finish — the service
// down, the kiosk killed — is found after a restart and sent again with the
// same transaction id (SIP2 BK) until the service answers; it is never posted
// twice as a new payment. A refusal that comes back once the resident has left
// leaves a refund entry: money taken is given back, never met with silence.

/** Wraps `service` so its fulfil goes through the ledger. */
export function forwardedThroughLedger(service: KioskService, ledger: KioskLedgerPort): KioskService {
  return {
    kind: service.kind,
    quote: (input) => service.quote(input),
    refund: (input) => service.refund(input),
    async fulfil(input: FulfilInput): Promise<FulfilResult> {
      const posted = await ledger.recordServicePost(input.tx);
      // Without the post on record the service is not told at all: the machine gives the money back.
      if (!posted.ok) return { status: 'refused', reason: 'service_error' };
      const answer = await askService(service, input);
      if (answer.status === 'queued') return { status: 'queued', service_ref: `queued:${input.tx.tx_id}` };
      const recorded = await ledger.recordServiceResult(input.tx, answer.status === 'fulfilled' ? 'accepted' : 'refused');
      // An answer not written is asked for again later with the same id; the service answers the same.
      if (!recorded.ok && answer.status === 'fulfilled') return { status: 'queued', service_ref: answer.service_ref };
      return answer;
    },
  };
}

export interface ForwardReport {
  accepted: number;
  refused: number;
  unanswered: number;
}

/** Sends every unanswered post again, oldest first (at boot, and from time to time while the kiosk runs). */
export async function postUnanswered(ledger: KioskLedgerPort, services: readonly KioskService[]): Promise<ForwardReport> {
  const report: ForwardReport = { accepted: 0, refused: 0, unanswered: 0 };
  for (const tx of await ledger.unansweredServicePosts()) {
    const service = services.find((s) => s.kind === tx.kind);
    const answer = service ? await askService(service, { tx, quote: quoteOf(tx) }) : ({ status: 'queued' } as const);
    if (answer.status === 'queued') {
      report.unanswered++;
      continue;
    }
    const accepted = answer.status === 'fulfilled';
    if (!(await ledger.recordServiceResult(tx, accepted ? 'accepted' : 'refused')).ok) {
      report.unanswered++;
      continue;
    }
    if (accepted) report.accepted++;
    else {
      // The resident and the card are gone: what the service refused is owed back as a refund.
      await ledger.recordRefund(tx, answer.reason);
      report.refused++;
    }
  }
  return report;
}

/** The service's answer; an exception or a queue of its own means "not answered yet". */
async function askService(service: KioskService, input: FulfilInput): Promise<FulfilResult> {
  try {
    return await service.fulfil(input);
  } catch {
    return { status: 'queued', service_ref: `queued:${input.tx.tx_id}` };
  }
}

/** What was quoted, as far as the ledger keeps it: the opaque quote reference, kind and amount. */
function quoteOf(tx: PaymentTx): Quote {
  return { quote_ref: tx.quote_ref ?? '', kind: tx.kind as Quote['kind'], amount_minor: tx.amount_minor, description_key: `service.${tx.kind}` };
}

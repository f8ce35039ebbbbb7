import type { CardEvidence, FulfilInput, FulfilResult, LedgerWriteResult, PaymentTx, Quote } from '../machines/contracts';
import type { KioskLedgerPort } from '../runtime/ledger-port';
import type { KioskService } from './types';

// Store and forward: a service (the ILS, parking) is told of a payment through
// the ledger. The post is written (`service_post`) before it is sent and the
// answer (`service_result`) after, so a post that did not finish — the service
// down, the kiosk killed — is found after a restart and sent again with the
// same transaction id (SIP2 BK) until the service answers; it is never posted
// twice as a new payment. A refusal that comes back once the resident has left
// leaves a refund entry: money taken is given back, never met with silence.

export interface ForwardReport {
  accepted: number;
  refused: number;
  unanswered: number;
}

/**
 * The kiosk's services, told through the ledger. One per kiosk: it knows which
 * payments are being told right now, so that sending unanswered posts again
 * never races the payment in progress (an ILS does not always de-duplicate).
 */
export class ServiceForwarder {
  private readonly inFlight = new Set<string>();
  /** The services as the machine sees them: fulfil goes through the ledger. */
  readonly services: readonly KioskService[];

  constructor(
    private readonly ledger: KioskLedgerPort,
    private readonly plain: readonly KioskService[],
  ) {
    this.services = plain.map((s) => this.forwarded(s));
  }

  /**
   * A service payment's committed entry, written together with its post (one
   * fsync): from here the payment belongs to the one telling its service.
   */
  async recordCommittedAndPost(tx: PaymentTx, evidence: CardEvidence): Promise<LedgerWriteResult> {
    this.inFlight.add(tx.tx_id);
    return this.ledger.recordCommittedAndPost(tx, evidence);
  }

  /** Sends every unanswered post again, oldest first (at boot, and from time to time while the kiosk runs). */
  async postUnanswered(): Promise<ForwardReport> {
    const report: ForwardReport = { accepted: 0, refused: 0, unanswered: 0 };
    for (const tx of await this.ledger.unansweredServicePosts()) {
      if (this.inFlight.has(tx.tx_id)) continue; // the payment in progress tells its service itself
      const service = this.plain.find((s) => s.kind === tx.kind);
      const answer = service ? await askService(service, { tx, quote: quoteOf(tx) }) : ({ status: 'queued' } as const);
      if (answer.status === 'queued') {
        report.unanswered++;
        continue;
      }
      const accepted = answer.status === 'fulfilled';
      if (!(await this.ledger.recordServiceResult(tx, accepted ? 'accepted' : 'refused')).ok) {
        report.unanswered++;
        continue;
      }
      if (accepted) report.accepted++;
      else {
        // The resident and the card are gone: what the service refused is owed back as a refund,
        // unless the service cannot undo its side (part of several fees was taken): staff settle that.
        const undone = service === undefined ? true : (await service.refund({ tx, reason: answer.reason }).catch(() => ({ ok: false }))).ok;
        if (undone) await this.ledger.recordRefund(tx, answer.reason);
        report.refused++;
      }
    }
    return report;
  }

  private forwarded(service: KioskService): KioskService {
    return {
      kind: service.kind,
      quote: (input) => service.quote(input),
      refund: (input) => service.refund(input),
      fulfil: async (input: FulfilInput): Promise<FulfilResult> => {
        this.inFlight.add(input.tx.tx_id);
        try {
          // Written with the committed entry already, as a rule (`exists`, nothing to sync); here for any other path.
          const posted = await this.ledger.recordServicePost(input.tx);
          // Without the post on record the service is not told at all: the machine gives the money back.
          if (!posted.ok) return { status: 'refused', reason: 'service_error' };
          const answer = await askService(service, input);
          if (answer.status === 'queued') return { status: 'queued', service_ref: `queued:${input.tx.tx_id}` };
          const recorded = await this.ledger.recordServiceResult(input.tx, answer.status === 'fulfilled' ? 'accepted' : 'refused');
          // An answer not written is asked for again later with the same id; the service answers the same.
          if (!recorded.ok && answer.status === 'fulfilled') return { status: 'queued', service_ref: answer.service_ref };
          return answer;
        } finally {
          this.inFlight.delete(input.tx.tx_id);
        }
      },
    };
  }
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

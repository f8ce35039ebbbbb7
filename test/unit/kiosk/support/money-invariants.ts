// Money invariants checked after every step of a model-based run (what
// TigerBeetle's VOPR does: whatever the path, the books must hold). They read
// only what the machine asked of its actors and what those answered, so they
// hold for the resident kiosk and the attendant station alike:
//   1. no card write without a durable intent for that transaction;
//   2. nothing aborted after the card committed;
//   3. at most one reversal per transaction (one credit back or refund of a
//      payment; one void of a top-up once a void intent is durable);
//   4. a replacement credit is exactly what the back office authorised, names
//      that authorisation, and takes no cash (outside the shift).
import type { Answer, Call } from './driver';

interface TxLike {
  readonly tx_id: string;
  readonly kind?: string;
  readonly reverses_tx_id?: string | null;
  readonly amount_minor?: number;
  readonly quote_ref?: string | null;
  readonly shift_id?: string | null;
}

const txOf = (c: Call): TxLike | undefined => (c.input as { tx?: TxLike } | undefined)?.tx;
const okOutput = (a: Answer): boolean => (a.output as { ok?: unknown } | undefined)?.ok === true;

export class MoneyInvariantError extends Error {
  override name = 'MoneyInvariantError';
}

/**
 * Throws naming the first broken invariant. `committedBefore` lists transactions
 * the card had already committed when the run began (a restart after the commit).
 */
export function checkMoneyInvariants(calls: readonly Call[], answers: readonly Answer[], committedBefore: readonly string[] = []): void {
  const durableIntents = new Set<string>();
  const committed = new Set(committedBefore);
  for (const a of answers) {
    const tx = txOf(a);
    if (tx === undefined) continue;
    if (a.name === 'writeIntent' && okOutput(a)) durableIntents.add(tx.tx_id);
    if ((a.name === 'debitCard' || a.name === 'creditCard') && (a.output as { status?: string }).status === 'committed') committed.add(tx.tx_id);
    if (a.name === 'settleUncertain' && okOutput(a) && (a.output as { value: { outcome: string } }).value.outcome === 'committed') committed.add(tx.tx_id);
  }
  const answeredBefore = (call: Call, name: string, tx_id: string, ok: boolean): boolean => {
    const callAt = calls.indexOf(call);
    return answers.some((a) => a.name === name && txOf(a)?.tx_id === tx_id && (!ok || okOutput(a)) && calls.findIndex((c) => c.id === a.id && c.name === a.name && c.input === a.input) < callAt);
  };
  const creditBacks = new Map<string, number>();
  for (const call of calls) {
    const tx = txOf(call);
    if (tx === undefined) continue;
    if ((call.name === 'debitCard' || call.name === 'creditCard') && !answeredBefore(call, 'writeIntent', tx.tx_id, true)) {
      throw new MoneyInvariantError(`${call.name} for ${tx.tx_id} without a durable intent`);
    }
    if (call.name === 'recordAborted' && committed.has(tx.tx_id)) {
      throw new MoneyInvariantError(`${tx.tx_id} recorded as aborted after the card committed it`);
    }
    if (call.name === 'refundOrCreditBack') {
      const n = (creditBacks.get(tx.tx_id) ?? 0) + 1;
      creditBacks.set(tx.tx_id, n);
      if (n > 1) throw new MoneyInvariantError(`${tx.tx_id} credited back or refunded ${n} times`);
    }
    if (call.name === 'writeIntent' && tx.kind === 'replacement') {
      const callAt = calls.indexOf(call);
      const authorised = answers.some((a) => {
        const v = (a.output as { ok?: boolean; value?: { id: string; amount_minor: number } }).value;
        return a.name === 'fetchReplacement' && okOutput(a) && v?.id === tx.quote_ref && v?.amount_minor === tx.amount_minor && calls.findIndex((c) => c.id === a.id && c.input === a.input) < callAt;
      });
      if (!authorised) throw new MoneyInvariantError(`replacement ${tx.tx_id} of ${tx.amount_minor} is not what the back office authorised (${String(tx.quote_ref)})`);
      if (tx.shift_id !== null) throw new MoneyInvariantError(`replacement ${tx.tx_id} counted in the cash shift`);
    }
    if (call.name === 'writeIntent' && tx.kind === 'void' && tx.reverses_tx_id) {
      const target = tx.reverses_tx_id;
      const earlier = answers.find((a) => a.name === 'writeIntent' && okOutput(a) && txOf(a)?.kind === 'void' && txOf(a)?.reverses_tx_id === target && calls.findIndex((c) => c.input === a.input) < calls.indexOf(call));
      if (earlier) throw new MoneyInvariantError(`a second void of ${target} after a void intent of it was durable`);
    }
  }
}

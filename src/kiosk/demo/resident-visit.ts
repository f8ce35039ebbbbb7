import { waitFor, type SnapshotFrom } from 'xstate';
import type { PayableServiceKind, QuoteOption } from '../machines/contracts';
import type { MessageKey } from '../machines/messages';
import type { ResidentKiosk } from '../runtime/resident-kiosk';

// A scripted resident at the kiosk: presents a card, picks a service, confirms,
// taps the same card again when the kiosk asks, and answers every notice the
// way a person would (OK). Used by `civicard demo` and the recovery harness, so
// both drive the real machine exactly as the touch screen will.

/** The resident's hand: puts the card on the reader and takes it away. */
export interface CardHand {
  present(): Promise<void>;
  withdraw(): Promise<void>;
  isPresent(): boolean;
}

export interface VisitPlan {
  kind: PayableServiceKind;
  reference: string;
  /** How many times the resident comes back with the same card when asked. */
  patience?: number;
  /** Called at the confirm screen, just before the resident confirms (the story may let time pass). */
  atConfirm?: () => void;
  /** The patron's library PIN, typed if the service asks for it (never kept by the kiosk). */
  pin?: string;
  /** What the resident picks when asked to choose (fines, a duration): option ids; by default the preselected ones. */
  choose?: (options: readonly QuoteOption[]) => string[];
}

export interface VisitOutcome {
  /** What the resident went home with: paid, or not (and the notices they saw). */
  paid: boolean;
  tx_id: string | null;
  /** What the service quoted (the last quote seen). */
  amount_minor: number | null;
  notices: MessageKey[];
  retaps: number;
}

type Snapshot = SnapshotFrom<ResidentKiosk>;
const MAX_STEPS = 200;

/** States where the machine waits for the resident rather than for a device. */
function waitsForPerson(s: Snapshot): boolean {
  return (
    Object.keys(s.children).length === 0 ||
    s.matches({ session: 'confirming' }) ||
    s.matches({ session: 'balanceShown' }) ||
    s.matches({ payment: { uncertain: 'waitingForSameCard' } })
  );
}

export async function residentVisit(actor: ResidentKiosk, hand: CardHand, plan: VisitPlan, step_timeout_ms = 30_000): Promise<VisitOutcome> {
  const outcome: VisitOutcome = { paid: false, tx_id: null, amount_minor: null, notices: [], retaps: 0 };
  let pins = 0;
  let choices = 0;
  const seen = actor.subscribe((s) => {
    const key = s.context.notice?.key;
    if (key && outcome.notices.at(-1) !== key) outcome.notices.push(key);
    if (s.context.payment) outcome.tx_id = s.context.payment.tx.tx_id;
    if (s.context.quote) outcome.amount_minor = s.context.quote.amount_minor;
    if (s.matches({ payment: 'done' }) || s.matches({ payment: 'noReceipt' })) outcome.paid = true;
  });
  try {
    await hand.present();
    // A real reader notices a card at its next presence poll, a few hundred ms later.
    await waitFor(actor, (s) => !s.matches('idle'), { timeout: step_timeout_ms });
    for (let steps = 0; steps < MAX_STEPS; steps++) {
      const s = await waitFor(actor, waitsForPerson, { timeout: step_timeout_ms });
      if (s.matches({ session: 'balanceShown' })) actor.send({ type: 'CONTINUE' });
      else if (s.matches({ session: 'chooseService' })) actor.send({ type: 'SELECT_SERVICE', kind: plan.kind, reference: plan.reference });
      else if (s.matches({ session: 'patronPin' })) {
        // Asked once, the resident types the PIN; asked again (wrong), they give up.
        if (plan.pin === undefined || pins++ > 0) actor.send({ type: 'CANCEL' });
        else actor.send({ type: 'SUBMIT_PIN', pin: plan.pin });
      } else if (s.matches({ session: 'choosing' })) {
        const options = s.context.quote?.choose?.options ?? [];
        if (choices++ > 0) actor.send({ type: 'CANCEL' });
        else actor.send({ type: 'CHOOSE', option_ids: plan.choose?.(options) ?? options.filter((o) => o.preselected).map((o) => o.id) });
      } else if (s.matches({ session: 'confirming' })) {
        plan.atConfirm?.();
        actor.send({ type: 'CONFIRM' });
      }
      else if (s.matches({ payment: { uncertain: 'waitingForSameCard' } })) {
        if (outcome.retaps++ >= (plan.patience ?? 3)) actor.send({ type: 'ACK' });
        else {
          if (hand.isPresent()) await hand.withdraw();
          await hand.present(); // "please tap the same card again"
          await waitFor(actor, (x) => !x.matches({ payment: { uncertain: 'waitingForSameCard' } }), { timeout: step_timeout_ms });
        }
      } else if (s.matches({ payment: 'done' })) actor.send({ type: 'FINISH' });
      else if (s.matches('idle')) break;
      else if (s.matches('session')) actor.send({ type: 'CANCEL' }); // a refusal, or the card is gone: the resident leaves
      else actor.send({ type: 'ACK' });
      await new Promise((r) => setImmediate(r));
      if (steps === MAX_STEPS - 1) throw new Error(`the visit did not end; kiosk at ${JSON.stringify(actor.getSnapshot().value)}`);
    }
  } finally {
    seen.unsubscribe();
    if (hand.isPresent()) await hand.withdraw();
  }
  return outcome;
}

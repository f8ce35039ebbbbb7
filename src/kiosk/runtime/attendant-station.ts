import { createActor, fromPromise, type Actor } from 'xstate';
import { newTxId } from '../../shared/ids';
import type { RuntimeLedger } from './runtime-ledger';
import type { ReceiptPrinter } from '../../../hardware/printer/types';
import type { CardReader } from '../../../hardware/pcsc/types';
import {
  err,
  ok,
  type CardWriteInput,
  type CardWriteResult,
  type CloseShiftInput,
  type CloseShiftResult,
  type FetchReplacementInput,
  type FetchReplacementResult,
  type OpenShiftInput,
  type OpenShiftResult,
  type ReadStaffCardResult,
  type VerifyPinInput,
  type VerifyPinResult,
} from '../machines/contracts';
import { attendantMachine, type AttendantInput } from '../machines/attendant';
import type { KioskReceiptContext } from '../receipt';
import type { ReceiptLanguage } from '../receipt/model';
import type { CardStation } from './card-station';
import { commonActors, forwardCardEvents } from './common-actors';
import { markInterruptedIntents } from './settlement';
import type { StaffRoster } from './staff';
import { startKioskSync, type KioskSyncSettings } from '../../sync/background';
import { fetchReplacement, type BackOfficeLink } from './replacement-client';

// The parking attendant's station: the attendant machine with every actor
// supplied by real parts. Its card station holds the credit key (top-ups) —
// a void is a reversing Debit, which the credit key's ReadWrite right allows —
// and never the resident kiosks' debit-only keyset.

export interface AttendantStationParts {
  reader: CardReader;
  station: CardStation;
  roster: StaffRoster;
  ledger: RuntimeLedger;
  printer: ReceiptPrinter;
  receipt: KioskReceiptContext;
  language: () => ReceiptLanguage;
  now: () => Date;
  input?: AttendantInput;
  /** Upload the ledger to the back office in the background (docs/sync-protocol.md); no transaction waits for it. */
  sync?: Omit<KioskSyncSettings, 'ledger'>;
  /** Where lost cards' replacements are looked up; without it a replacement is refused as offline. */
  backoffice?: BackOfficeLink;
}

export type AttendantStation = Actor<typeof attendantMachine>;

export function attendantActors(parts: AttendantStationParts) {
  const { station, ledger } = parts;
  return {
    ...commonActors(parts),
    readStaffCard: fromPromise<ReadStaffCardResult, void>(async ({ signal }) => {
      const read = await station.readCard(signal);
      await station.release(); // a staff card is only looked at, never written
      if (!read.ok) return read;
      const member = parts.roster.byCardRef(read.value.card_ref);
      if (!member) return err('not_a_staff_card');
      return ok({ staff_ref: member.staff_ref, role: member.role, masked_serial: read.value.masked_serial });
    }),
    verifyPin: fromPromise<VerifyPinResult, VerifyPinInput>(async ({ input }) => {
      if (parts.roster.isLockedOut(input.staff_ref)) return { status: 'locked_out' };
      return { status: (await parts.roster.checkPin(input.staff_ref, input.pin)) ? 'accepted' : 'rejected' };
    }),
    openShift: fromPromise<OpenShiftResult, OpenShiftInput>(async ({ input }) => {
      try {
        const shift_id = newTxId();
        ledger.append({ kind: 'shift_opened', shift_id, staff_ref: input.staff_ref, opening_float_minor: input.opening_float_minor });
        return ok({ shift_id });
      } catch {
        return err('ledger_unavailable');
      }
    }),
    closeShift: fromPromise<CloseShiftResult, CloseShiftInput>(async ({ input }) => {
      try {
        const expected_minor = ledger.shiftExpectedCashMinor(input.shift_id);
        ledger.append({ kind: 'shift_closed', shift_id: input.shift_id, staff_ref: input.staff_ref, expected_minor, counted_minor: input.counted_minor });
        return ok({ shift_id: input.shift_id, expected_minor, counted_minor: input.counted_minor, over_short_minor: input.counted_minor - expected_minor });
      } catch {
        return err('ledger_unavailable');
      }
    }),
    creditCard: fromPromise<CardWriteResult, CardWriteInput>(({ input }) => station.write({ ...input.tx, direction: 'credit' })),
    debitCard: fromPromise<CardWriteResult, CardWriteInput>(({ input }) => station.write({ ...input.tx, direction: 'debit' })),
    fetchReplacement: fromPromise<FetchReplacementResult, FetchReplacementInput>(async ({ input }) => {
      const answer = await fetchReplacement(parts.backoffice, input.code);
      // The back office learns of a use only when this ledger syncs: until then this station remembers it.
      if (answer.ok && replacementCreditedHere(ledger, answer.value.id)) return err('already_used');
      return answer;
    }),
  };
}

/** A replacement credit naming this authorisation, committed or not known to have failed, is in this station's ledger. */
export function replacementCreditedHere(ledger: RuntimeLedger, id: string): boolean {
  return (
    ledger.db
      .prepare(
        `SELECT 1 FROM entries i WHERE i.kind = 'credit_intent'
           AND json_extract(i.payload, '$.service') = 'replacement' AND json_extract(i.payload, '$.service_ref') = ?
           AND NOT EXISTS (SELECT 1 FROM entries c WHERE c.tx_id = i.tx_id
                           AND (c.kind = 'aborted' OR (c.kind = 'settled' AND json_extract(c.payload, '$.outcome') <> 'committed')))
         LIMIT 1`,
      )
      .get(id) !== undefined
  );
}

/**
 * Starts the attendant station and forwards card arrivals and removals to it.
 * First every intent a crash left open is recorded as uncertain (settled when
 * its card is next read); a ledger that refuses that keeps the station shut.
 */
export async function startAttendantStation(parts: AttendantStationParts): Promise<AttendantStation> {
  const interrupted = await markInterruptedIntents(parts.ledger);
  if (!interrupted.ok) throw new Error(`the attendant station cannot start: its ledger refused to record interrupted transactions (${interrupted.error})`);
  const actor = createActor(attendantMachine.provide({ actors: attendantActors(parts) }), { input: parts.input ?? {} });
  forwardCardEvents(parts.reader, actor);
  const sync = parts.sync ? startKioskSync({ ...parts.sync, ledger: parts.ledger }) : null;
  if (sync) actor.subscribe({ complete: () => void sync.stop() });
  actor.start();
  return actor;
}

// Which screen shows each state of the machines. Keys are the view's
// `screen` (the machine's state path with timed() sub-states folded away);
// test/unit/renderer/screen-registry.test.ts walks both machine definitions
// and fails for any state without an entry here. Data only (no React), so
// that test and the speech guidance read it without rendering.
import type { MessageCatalog } from '../i18n/locales/en';

export type MessageKeyOf = keyof MessageCatalog;

export interface ScreenEntry<Id extends string> {
  id: Id;
  title: MessageKeyOf;
  body?: MessageKeyOf;
}

export type ResidentScreenId =
  | 'attract'
  | 'starting'
  | 'outOfService'
  | 'presentCard'
  | 'working'
  | 'refused'
  | 'balance'
  | 'history'
  | 'chooseService'
  | 'quoteRefused'
  | 'patronPin'
  | 'choosing'
  | 'confirm'
  | 'insufficientFunds'
  | 'processing'
  | 'serviceRefused'
  | 'noReceipt'
  | 'done'
  | 'notTaken'
  | 'uncertain'
  | 'unresolved'
  | 'maintenance';

const working = (body: MessageKeyOf = 'working.title'): ScreenEntry<'working'> => ({ id: 'working', title: 'working.title', body });
const processing: ScreenEntry<'processing'> = { id: 'processing', title: 'processing.title', body: 'processing.body' };
const outOfService: ScreenEntry<'outOfService'> = { id: 'outOfService', title: 'out_of_service.title', body: 'out_of_service.body' };

export const RESIDENT_SCREENS: Readonly<Record<string, ScreenEntry<ResidentScreenId>>> = {
  boot: { id: 'starting', title: 'starting.title', body: 'starting.body' },
  recovering: { id: 'starting', title: 'starting.title', body: 'starting.body' },
  recordingUnrecorded: outOfService,
  outOfService,
  readerLost: outOfService,
  idle: { id: 'attract', title: 'attract.title', body: 'attract.body' },
  // a staff card's screen: the figures arrive in view.maintenance (apps.tsx shows MaintenanceScreen then)
  maintenance: { id: 'maintenance', title: 'maintenance.title', body: 'working.title' },
  'session.waitingForCard': { id: 'presentCard', title: 'present_card.title', body: 'present_card.body' },
  'session.reading': working('working.reading'),
  'session.cardUnreadable': { id: 'refused', title: 'refused.title' },
  'session.checkingCard': working('working.checking'),
  'session.refused': { id: 'refused', title: 'refused.title' },
  'session.balanceShown': { id: 'balance', title: 'balance.title' },
  'session.history.reading': working('working.history'),
  'session.history.shown': { id: 'history', title: 'history.title' },
  'session.chooseService': { id: 'chooseService', title: 'choose.title', body: 'choose.scan_hint' },
  'session.quoting': working('working.quoting'),
  'session.quoteRefused': { id: 'quoteRefused', title: 'quote_refused.title' },
  'session.patronPin': { id: 'patronPin', title: 'patron_pin.title', body: 'patron_pin.body' },
  'session.choosing': { id: 'choosing', title: 'choosing.title' },
  'session.confirming': { id: 'confirm', title: 'confirm.title' },
  'session.insufficientFunds': { id: 'insufficientFunds', title: 'insufficient.title' },
  'session.checkingRisk': working('working.checking'),
  'payment.allocating': processing,
  'payment.writingIntent': processing,
  'payment.debiting': processing,
  'payment.recordingCommitted': processing,
  'payment.recordRetry': processing,
  'payment.fulfilling': processing,
  'payment.creditingBack': processing,
  'payment.serviceRefusedNotice': { id: 'serviceRefused', title: 'service_refused.title' },
  'payment.printing': processing,
  'payment.noReceipt': { id: 'noReceipt', title: 'no_receipt.title' },
  'payment.done': { id: 'done', title: 'done.title', body: 'done.body' },
  'payment.aborting': processing,
  'payment.aborted': { id: 'notTaken', title: 'not_taken.title' },
  'payment.uncertain.recording': processing,
  'payment.uncertain.waitingForSameCard': { id: 'uncertain', title: 'uncertain.title' },
  'payment.uncertain.settling': processing,
  'payment.uncertain.unresolved': { id: 'unresolved', title: 'unresolved.title' },
  // transient (`always`) states, never at rest, shown as "one moment" if ever seen
  'payment.resume': processing,
  'payment.leaving': working(),
};

/** Screens built for states another engineer is adding to the resident machine now. */
export const RESIDENT_SCREENS_AHEAD_OF_MACHINE: readonly string[] = ['session.patronPin', 'session.choosing'];

export type AttendantScreenId =
  | 'staffAttract'
  | 'working'
  | 'staffNotice'
  | 'pin'
  | 'lockedOut'
  | 'openShift'
  | 'menu'
  | 'presentCard'
  | 'amount'
  | 'confirmTopUp'
  | 'replacementCode'
  | 'confirmReplacement'
  | 'processing'
  | 'txnDone'
  | 'uncertain'
  | 'countCash'
  | 'shiftSummary';

const staffWorking: ScreenEntry<'working'> = working();
const txnProcessing: ScreenEntry<'processing'> = { id: 'processing', title: 'txn.title', body: 'processing.body' };
const staffNotice: ScreenEntry<'staffNotice'> = { id: 'staffNotice', title: 'staff_notice.title' };

export const ATTENDANT_SCREENS: Readonly<Record<string, ScreenEntry<AttendantScreenId>>> = {
  'signedOut.waitingForStaffCard': { id: 'staffAttract', title: 'staff_attract.title', body: 'staff_attract.body' },
  'signedOut.readingStaffCard': staffWorking,
  'signedOut.staffCardRefused': staffNotice,
  'signedOut.enteringPin': { id: 'pin', title: 'pin.title' },
  'signedOut.verifyingPin': staffWorking,
  'signedOut.lockedOut': { id: 'lockedOut', title: 'lockout.title', body: 'lockout.body' },
  'signedIn.routing': staffWorking,
  'signedIn.shiftBusy': staffNotice,
  'signedIn.shiftClosed': { id: 'openShift', title: 'open_shift.title' },
  'signedIn.openingShift': staffWorking,
  'signedIn.menu': { id: 'menu', title: 'menu.title' },
  'signedIn.topUp.waitingForCard': { id: 'presentCard', title: 'top_up.present', body: 'present_card.body' },
  'signedIn.topUp.reading': staffWorking,
  'signedIn.topUp.cardRefused': staffNotice,
  'signedIn.topUp.enteringAmount': { id: 'amount', title: 'top_up.amount' },
  'signedIn.topUp.confirming': { id: 'confirmTopUp', title: 'top_up.confirm_title' },
  'signedIn.void.waitingForSupervisorCard': { id: 'presentCard', title: 'void.supervisor_card' },
  'signedIn.void.readingSupervisorCard': staffWorking,
  'signedIn.void.enteringSupervisorPin': { id: 'pin', title: 'pin.supervisor_title' },
  'signedIn.void.verifyingSupervisorPin': staffWorking,
  'signedIn.void.waitingForCard': { id: 'presentCard', title: 'void.present', body: 'present_card.body' },
  'signedIn.void.reading': staffWorking,
  'signedIn.void.voidRefused': staffNotice,
  'signedIn.replacement.enteringCode': { id: 'replacementCode', title: 'replacement.code_title' },
  'signedIn.replacement.fetching': staffWorking,
  'signedIn.replacement.waitingForCard': { id: 'presentCard', title: 'replacement.present', body: 'present_card.body' },
  'signedIn.replacement.reading': staffWorking,
  'signedIn.replacement.refused': staffNotice,
  'signedIn.replacement.confirming': { id: 'confirmReplacement', title: 'replacement.confirm_title' },
  'signedIn.cardTxn.allocating': txnProcessing,
  'signedIn.cardTxn.writingIntent': txnProcessing,
  'signedIn.cardTxn.crediting': txnProcessing,
  'signedIn.cardTxn.debiting': txnProcessing,
  'signedIn.cardTxn.recordingCommitted': txnProcessing,
  'signedIn.cardTxn.recordFailed': staffNotice,
  'signedIn.cardTxn.printing': txnProcessing,
  'signedIn.cardTxn.noReceipt': staffNotice,
  'signedIn.cardTxn.done': { id: 'txnDone', title: 'txn.done_top_up' },
  'signedIn.cardTxn.aborting': txnProcessing,
  'signedIn.cardTxn.aborted': staffNotice,
  'signedIn.cardTxn.uncertain.recording': txnProcessing,
  'signedIn.cardTxn.uncertain.waitingForSameCard': { id: 'uncertain', title: 'uncertain.title' },
  'signedIn.cardTxn.uncertain.settling': txnProcessing,
  'signedIn.cardTxn.uncertain.unresolved': staffNotice,
  'signedIn.countingCash': { id: 'countCash', title: 'count.title' },
  'signedIn.closingShift': staffWorking,
  'signedIn.shiftSummary': { id: 'shiftSummary', title: 'summary.title' },
};

export const UNKNOWN_SCREEN: ScreenEntry<'working'> = working();

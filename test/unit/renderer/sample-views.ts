// Sample views for rendering each screen: what the core would send in that
// state. The patron's name is in every quote's screen_params on purpose, so
// the privacy test sees it shown only where it belongs.
import type { AttendantView, ResidentView } from '../../../renderer/src/api/views';
import type { MaintenanceView } from '../../../src/shared/maintenance-api';
import type { Language } from '../../../src/shared/kiosk-api';

export const PATRON_NAME = 'Ana Example-Person';
export const MASKED_SERIAL = '**** **** 4821';
export const TX_ID = 'tx-01JZ9K2Q';

export function residentView(screen: string, language: Language, over: Partial<ResidentView> = {}): ResidentView {
  const payment = screen.startsWith('payment.');
  return {
    screen,
    timeout_warning: false,
    notice: null,
    language,
    card: screen === 'idle' || screen === 'session.waitingForCard' || screen === 'maintenance' ? null : {
      masked_serial: MASKED_SERIAL,
      balance_minor: 4_250,
      expires_on: '2028-06-30',
      recent: [
        { tx_tag: 'a1', direction: 'debit', amount_minor: 300, balance_after_minor: 4_250 },
        { tx_tag: 'a2', direction: 'credit', amount_minor: 2_000, balance_after_minor: 4_550 },
      ],
    },
    quote: screen.startsWith('session.') && !['session.waitingForCard', 'session.reading', 'session.checkingCard', 'session.balanceShown'].includes(screen) || payment
      ? {
          kind: 'library_fine',
          amount_minor: 1_275,
          description_key: 'library.fines_total',
          multiple: true,
          options: [
            { id: 'f1', amount_minor: 500, label_key: 'library.fine_item', label_params: { text: 'Overdue item', amount: 500 }, preselected: true },
            { id: 'f2', amount_minor: 775, label_key: 'library.fine_item', label_params: { text: 'Lost item', amount: 775 }, preselected: true },
          ],
          screen_params: { patron_name: PATRON_NAME },
        }
      : null,
    payment: payment ? { tx_id: TX_ID, amount_minor: 1_275, stage: 'debit_in_flight' } : null,
    receipt_available: true,
    maintenance: screen === 'maintenance' ? MAINTENANCE : null,
    ...over,
  };
}

export function attendantView(screen: string, language: Language, over: Partial<AttendantView> = {}): AttendantView {
  const signedIn = screen.startsWith('signedIn.');
  return {
    screen,
    timeout_warning: false,
    notice: null,
    language,
    staff: screen === 'signedOut.waitingForStaffCard' ? null : { role: 'attendant', masked_serial: 'S-**07' },
    shift_open: signedIn,
    card: screen.includes('topUp.') || screen.includes('cardTxn') ? { masked_serial: MASKED_SERIAL, balance_minor: 1_000 } : null,
    amount_minor: screen.includes('confirming') || screen.includes('cardTxn') ? 2_000 : null,
    limits: { max_top_up_minor: 20_000, purse_max_minor: 50_000 },
    txn: screen.includes('cardTxn') ? { tx_id: TX_ID, kind: 'top_up', amount_minor: 2_000, stage: 'card_in_flight' } : null,
    void_available: screen === 'signedIn.menu',
    close: screen === 'signedIn.shiftSummary' ? { expected_minor: 7_000, counted_minor: 6_950, over_short_minor: -50 } : null,
    ...over,
  };
}

export const MAINTENANCE: MaintenanceView = {
  staff_masked_serial: 'S-**02',
  devices: [
    { name: 'card_reader', state: 'ok', detail_key: null },
    { name: 'printer', state: 'fault', detail_key: 'printer.paper_out' },
    { name: 'scanner', state: 'absent', detail_key: null },
    { name: 'network', state: 'ok', detail_key: null },
  ],
  sync: { online: false, unsynced_entries: 12, oldest_unsynced_age_ms: 3 * 3_600_000, unsynced_debits_minor: 9_900, last_sync_at: '2026-12-01T22:10:00Z', last_error: 'GET /v1/sync/status: fetch failed (connect ECONNREFUSED)', hotlist_age_ms: 5 * 3_600_000 },
  limits: { offline_tx_max_minor: 5_000, unsynced_cap_minor: 200_000, daily_card_max_minor: 20_000, hotlist_max_age_ms: 72 * 3_600_000 },
  versions: { app: '0.1.0', config: 'cfg-2026-11-30', ledger_schema: 7, card_keys: null },
  self_test: { at: '2026-12-02T06:00:00Z', ok: false, failed: ['reader'] },
};

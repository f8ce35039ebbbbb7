import type { SnapshotFrom } from 'xstate';
import type { AttendantView } from '../../shared/attendant-api';
import type { Language } from '../../shared/kiosk-api';
import type { AttendantStation } from '../runtime/attendant-station';
import { screenOf } from './view';

// What the attendant station's UI may see: screens, message keys, amounts and
// masked serials. Staff and card references, the shift id and the expected
// cash before the blind count stay inside; a PIN is never in context at all.

export function attendantViewOf(s: SnapshotFrom<AttendantStation>, language: Language): AttendantView {
  const c = s.context;
  return {
    screen: screenOf(s.value),
    timeout_warning: s.hasTag('timeout_warning'),
    notice: c.notice ? { key: c.notice.key, tx_id: c.notice.tx_id } : null,
    language,
    staff: c.staff ? { role: c.staff.role, masked_serial: c.staff.masked_serial } : null,
    shift_open: c.shift !== null,
    card: c.card ? { masked_serial: c.card.masked_serial, balance_minor: c.card.balance_minor } : null,
    amount_minor: c.amount_minor,
    limits: { max_top_up_minor: c.limits.max_top_up_minor, purse_max_minor: c.limits.purse_max_minor },
    txn: c.txn ? { tx_id: c.txn.tx.tx_id, kind: c.txn.tx.kind === 'void' ? 'void' : 'top_up', amount_minor: c.txn.tx.amount_minor, stage: c.txn.stage } : null,
    void_available: c.last_top_up !== null,
    close: c.close ? { expected_minor: c.close.expected_minor, counted_minor: c.close.counted_minor, over_short_minor: c.close.over_short_minor } : null,
  };
}

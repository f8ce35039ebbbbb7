import type { SnapshotFrom } from 'xstate';
import type { KioskView, Language, ServiceKind } from '../../shared/kiosk-api';
import type { MaintenanceView } from '../../shared/maintenance-api';
import type { ResidentKiosk } from '../runtime/resident-kiosk';

// What the UI may see of the resident machine: the screen, message keys and
// amounts. Card references, UIDs and everything else in context stay inside.

/** The state path a UI shows a screen for; timed() sub-states are folded into their parent. */
export function screenOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', null];
  const rest = screenOf(inner);
  // timed() sub-states ('active'/'warning') are not screens of their own
  return rest === 'active' || rest === 'warning' ? key : `${key}.${rest}`;
}

/** `maintenance`: the latest maintenance figures (maintenance-figures.ts), shown only while a staff card has that screen open. */
export function viewOf(s: SnapshotFrom<ResidentKiosk>, language: Language, maintenance: MaintenanceView | null = null): KioskView {
  const c = s.context;
  return {
    screen: screenOf(s.value),
    timeout_warning: s.hasTag('timeout_warning'),
    notice: c.notice ? { key: c.notice.key, tx_id: c.notice.tx_id } : null,
    language,
    card: c.card
      ? {
          masked_serial: c.card.masked_serial,
          balance_minor: c.card.balance_minor,
          expires_on: c.card.expires_on,
          recent: c.card.recent.map((r) => ({ tx_tag: r.tx_tag, direction: r.direction, amount_minor: r.amount_minor, balance_after_minor: r.balance_after_minor })),
        }
      : null,
    quote: c.quote
      ? {
          kind: c.quote.kind as ServiceKind,
          amount_minor: c.quote.amount_minor,
          description_key: c.quote.description_key,
          options:
            c.quote.choose?.options.map((o) => ({ id: o.id, amount_minor: o.amount_minor, label_key: o.label_key, label_params: { ...o.label_params }, preselected: o.preselected })) ?? null,
          multiple: c.quote.choose?.multiple ?? false,
          screen_params: { ...c.quote.screen_params },
        }
      : null,
    payment: c.payment ? { tx_id: c.payment.tx.tx_id, amount_minor: c.payment.tx.amount_minor, stage: c.payment.stage } : null,
    receipt_available: c.receipt_available,
    maintenance: s.hasTag('maintenance') ? maintenance : null,
  };
}

// ReceiptModel -> ReceiptDocument: the receipt's layout, in the resident's
// language. Only the model's own fields are read, one by one (never spread),
// so nothing else that happens to travel with the object reaches the paper.

import type { ReceiptBlock, ReceiptDocument } from '../../../hardware/printer/types';
import type { ReceiptInput } from '../machines/contracts';
import { formatDateTime, formatMoney } from './format';
import { RECEIPT_LABELS } from './labels';
import { checkReceiptModel, isPrintableLine, type ReceiptLanguage, type ReceiptModel } from './model';

export function buildReceiptDocument(m: ReceiptModel): ReceiptDocument {
  checkReceiptModel(m);
  const L = RECEIPT_LABELS[m.language];
  const money = (minor: number) => formatMoney(minor, m.currency, m.language, m.country);
  const blocks: ReceiptBlock[] = [
    { kind: 'text', text: L.title, align: 'center', bold: true, size: 'large' },
    { kind: 'text', text: m.location_label, align: 'center' },
    { kind: 'feed', lines: 1 },
    { kind: 'text', text: L.outcome[m.outcome], align: 'center', bold: true },
    { kind: 'rule' },
    { kind: 'pair', label: L.date, value: formatDateTime(m.occurred_at, m.time_zone, m.language) },
    { kind: 'pair', label: L.kiosk, value: m.kiosk_id },
    { kind: 'pair', label: L.service, value: L.service_name[m.service] },
    { kind: 'pair', label: L.card, value: m.masked_serial },
    ...(m.lines ?? []).map(
      (line): ReceiptBlock => ({
        kind: 'pair',
        label: L.line[line.key],
        // read by key, never spread: only the listed value reaches the paper
        value: line.key === 'parking.expires_at' ? formatDateTime(line.value, m.time_zone, m.language) : line.value,
      }),
    ),
    { kind: 'rule' },
    { kind: 'pair', label: L.amount, value: money(m.amount_minor), bold: true },
  ];
  if (m.balance_after_minor !== null) blocks.push({ kind: 'pair', label: L.balance, value: money(m.balance_after_minor) });
  blocks.push({ kind: 'rule' });
  if (m.outcome === 'refund_failed') blocks.push({ kind: 'text', text: L.refund_failed_note, align: 'center', bold: true }, { kind: 'feed', lines: 1 });
  blocks.push(
    { kind: 'text', text: L.transaction, align: 'center' },
    { kind: 'text', text: m.tx_id, align: 'center', bold: true },
    { kind: 'qr', data: m.tx_id, align: 'center' },
    ...L.footer.map((text): ReceiptBlock => ({ kind: 'text', text, align: 'center' })),
  );
  return { blocks, duplicate: m.duplicate, duplicate_label: L.duplicate };
}

/** Where the kiosk is and how it writes numbers: from its configuration. */
export interface KioskReceiptContext {
  readonly kiosk_id: string;
  readonly location_label: string;
  readonly time_zone: string;
  readonly country: string;
  readonly currency: string;
}

/** The model for what a transaction machine hands over (contracts.ts ReceiptInput). */
export function receiptModelFrom(
  input: ReceiptInput,
  kiosk: KioskReceiptContext,
  opts: { language: ReceiptLanguage; occurred_at: string; duplicate?: boolean },
): ReceiptModel {
  return {
    language: opts.language,
    kiosk_id: kiosk.kiosk_id,
    location_label: kiosk.location_label,
    occurred_at: opts.occurred_at,
    time_zone: kiosk.time_zone,
    country: kiosk.country,
    currency: kiosk.currency,
    service: input.kind,
    outcome: input.outcome,
    amount_minor: input.amount_minor,
    balance_after_minor: input.balance_after_minor,
    masked_serial: input.masked_serial,
    tx_id: input.tx_id,
    duplicate: opts.duplicate ?? false,
    // A line not on the list, or whose value has another shape, is left off: the receipt still prints.
    lines: (input.lines ?? []).filter(isPrintableLine).map((l) => ({ key: l.key, value: l.value })),
    // input.service_ref is left out on purpose: it can be a patron id or a plate.
  };
}

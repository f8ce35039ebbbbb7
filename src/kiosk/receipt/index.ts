// Receipts: the model (what may be printed), the layout in es/en/pt, the
// print journal, and printing with no duplicates on retry.
export { buildReceiptDocument, receiptModelFrom, type KioskReceiptContext } from './build';
export { formatDateTime, formatMoney } from './format';
export { FilePrintJournal } from './journal';
export { RECEIPT_LABELS, type ReceiptLabels } from './labels';
export {
  checkReceiptModel,
  ReceiptModelError,
  RECEIPT_LANGUAGES,
  RECEIPT_MODEL_FIELDS,
  MASKED_SERIAL,
  RECEIPT_LINE_KEYS,
  isPrintableLine,
  type ReceiptLineKey,
  type ReceiptLanguage,
  type ReceiptModel,
} from './model';
export { printReceipt, printResultFor, printerStatusResult, reprintLastReceipt, type ReprintResult } from './print';

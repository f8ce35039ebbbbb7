export { assertDurable, LedgerDurabilityError, LedgerSchemaError, openLedgerDatabase } from './db';
export { canonicalJson, ENCODING_VERSION, entryHash, GENESIS_HASH, hashText } from './encoding';
export { rowToEntry, type EntryRow, type LedgerEntry } from './entry';
export { loadOrCreateKioskKey, loadPublicKey, type KioskKey } from './kiosk-key';
export { KioskLedger, LedgerIntegrityError, type AppendResult } from './ledger';
export { LedgerMigrationError, MIGRATIONS, migrate, type Migration } from './migrations';
export {
  LedgerPayloadError,
  parsePayload,
  REFUND_REASONS,
  type AbortReasonCode,
  type CreditService,
  type DebitService,
  type EntryKind,
  type EntryPayload,
  type IntentInput,
  type IntentPayload,
  type PayloadInput,
  type RefundReason,
  type SettleEvidence,
  type UncertainCause,
  type Unbranded,
} from './payload';
export { type TxBalance, type TxState } from './queries';
export { LedgerConflictError } from './rules';
export { checkTail, verifyLedger, type VerifyResult } from './verify';

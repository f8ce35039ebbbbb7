export { openLedgerDatabase, assertDurable, LedgerDurabilityError } from './db';
export { canonicalJson, entryHash, GENESIS_HASH, type EntryKind, type EntryPayload, type LedgerEntry } from './entry';
export { loadOrCreateKioskKey, type KioskKey } from './kiosk-key';
export { KioskLedger } from './ledger';
export { MIGRATIONS, migrate } from './migrations';
export { verifyLedger, type VerifyResult } from './verify';

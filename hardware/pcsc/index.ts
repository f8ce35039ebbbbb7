// The card reader: its contract (types.ts), the real driver over nfc-pcsc and
// pcscd, and an in-memory fake for unit tests.

import { NfcPcscCardReader, type NfcPcscReaderOptions } from './nfc-pcsc-reader';
import type { CardReader } from './types';

export * from './types';
export { NfcPcscCardReader, type NfcPcscReaderOptions } from './nfc-pcsc-reader';
export { FakeCardReader, FAKE_READER_NAME, type FakeTearPlan, type RecordedExchange } from './fake-reader';

export type OpenCardReaderOptions = NfcPcscReaderOptions;

/**
 * Watches the PC/SC readers through pcscd. Returns at once: readers appear
 * (event 'reader-attached') as soon as pcscd lists them, normally within
 * milliseconds; waitForCard() waits for them too. Never throws for a missing
 * pcscd or reader: it keeps looking (500 ms -> 5 s backoff) until close().
 */
export function openCardReader(opts: OpenCardReaderOptions = {}): CardReader {
  return new NfcPcscCardReader(opts);
}

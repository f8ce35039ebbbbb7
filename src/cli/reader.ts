import { openCardReader } from '../../hardware/pcsc';
import type { ApduTransport } from '../card/transport';

/** Opens the PC/SC readers, waits for a card, runs `fn` holding the card exclusively, then lets go of everything. */
export async function withCardOnReader<T>(opts: { reader?: string | undefined; timeout_ms: number }, fn: (transport: ApduTransport) => Promise<T>): Promise<T> {
  const reader = openCardReader(opts.reader ? { readerName: opts.reader } : {});
  try {
    const session = await reader.waitForCard({ reader: opts.reader, timeout_ms: opts.timeout_ms });
    try {
      return await fn(session);
    } finally {
      await session.release();
    }
  } finally {
    await reader.close();
  }
}

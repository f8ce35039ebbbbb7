// The kiosk's print journal on disk: which receipts printed (so a retry, even
// after a restart, never prints a second one) and the last receipt (for
// "reprint last receipt"). One small JSON file, replaced atomically (write,
// fsync, rename); bounded to the newest `max_ids` job ids.
//
// What is stored is what the receipt printed: a masked serial, amounts, a
// transaction id; nothing personal (see model.ts).
//
// A crash after the printer finished but before record() means the receipt is
// printed again on retry: a second copy is better than none.
//
// The file is written with synchronous calls, as the ledger commits: five
// awaited fs calls (open, write, fsync, close, rename) each went through the
// thread pool and cost a payment about 1.5 ms of waiting (bench:kiosk).

import { mkdirSync } from 'node:fs';
import { readFileIfExists, replaceFileDurably } from '../../shared/durable-file';
import { dirname } from 'node:path';
import type { PrintJournal, ReceiptDocument } from '../../../hardware/printer/types';

interface JournalFile {
  readonly version: 1;
  readonly ids: string[];
  readonly last: { readonly job_id: string; readonly doc: ReceiptDocument } | null;
}

export class FilePrintJournal implements PrintJournal {
  /** Printed job ids, oldest first (a Set keeps insertion order). */
  private readonly ids: Set<string>;
  private lastJob: JournalFile['last'];

  private constructor(
    private readonly path: string,
    state: JournalFile,
    private readonly max_ids: number,
  ) {
    this.ids = new Set(state.ids.slice(-max_ids));
    this.lastJob = state.last;
  }

  /** Opens (or starts) the journal at `path`. A corrupt file is an error, not a fresh start. */
  static open(path: string, max_ids = 1000): FilePrintJournal {
    mkdirSync(dirname(path), { recursive: true });
    const text = readFileIfExists(path);
    if (text === null) return new FilePrintJournal(path, { version: 1, ids: [], last: null }, max_ids);
    const parsed = JSON.parse(text) as Partial<JournalFile>;
    if (parsed.version !== 1 || !Array.isArray(parsed.ids) || parsed.ids.some((id) => typeof id !== 'string')) {
      throw new Error(`print journal ${path} is not a version 1 journal; move it aside to start a new one`);
    }
    return new FilePrintJournal(path, { version: 1, ids: parsed.ids, last: parsed.last ?? null }, max_ids);
  }

  async has(jobId: string): Promise<boolean> {
    return this.ids.has(jobId);
  }

  async record(jobId: string, doc: ReceiptDocument): Promise<void> {
    this.ids.delete(jobId); // recorded again: it becomes the newest
    this.ids.add(jobId);
    for (const oldest of this.ids) {
      if (this.ids.size <= this.max_ids) break;
      this.ids.delete(oldest);
    }
    this.lastJob = { job_id: jobId, doc };
    this.persist({ version: 1, ids: [...this.ids], last: this.lastJob });
  }

  async last(): Promise<{ job_id: string; doc: ReceiptDocument } | null> {
    return this.lastJob;
  }

  private persist(state: JournalFile): void {
    // No directory sync: a journal entry lost to a power cut costs at most a second copy of a receipt.
    replaceFileDurably(this.path, JSON.stringify(state), { mode: 0o644, sync_dir: false });
  }
}

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

import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PrintJournal, ReceiptDocument } from '../../../hardware/printer/types';

interface JournalFile {
  readonly version: 1;
  readonly ids: string[];
  readonly last: { readonly job_id: string; readonly doc: ReceiptDocument } | null;
}

export class FilePrintJournal implements PrintJournal {
  private ids: string[];
  private idSet: Set<string>;
  private lastJob: JournalFile['last'];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    state: JournalFile,
    private readonly max_ids: number,
  ) {
    this.ids = state.ids.slice(-max_ids);
    this.idSet = new Set(this.ids);
    this.lastJob = state.last;
  }

  /** Opens (or starts) the journal at `path`. A corrupt file is an error, not a fresh start. */
  static open(path: string, max_ids = 1000): FilePrintJournal {
    mkdirSync(dirname(path), { recursive: true });
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text === null) return new FilePrintJournal(path, { version: 1, ids: [], last: null }, max_ids);
    const parsed = JSON.parse(text) as Partial<JournalFile>;
    if (parsed.version !== 1 || !Array.isArray(parsed.ids) || parsed.ids.some((id) => typeof id !== 'string')) {
      throw new Error(`print journal ${path} is not a version 1 journal; move it aside to start a new one`);
    }
    return new FilePrintJournal(path, { version: 1, ids: parsed.ids, last: parsed.last ?? null }, max_ids);
  }

  async has(jobId: string): Promise<boolean> {
    return this.idSet.has(jobId);
  }

  async record(jobId: string, doc: ReceiptDocument): Promise<void> {
    if (this.idSet.has(jobId)) this.ids = this.ids.filter((id) => id !== jobId);
    this.ids.push(jobId);
    if (this.ids.length > this.max_ids) this.ids = this.ids.slice(-this.max_ids);
    this.idSet = new Set(this.ids);
    this.lastJob = { job_id: jobId, doc };
    const snapshot: JournalFile = { version: 1, ids: [...this.ids], last: this.lastJob };
    const write = this.writing.then(() => this.persist(snapshot));
    this.writing = write.catch(() => undefined);
    await write;
  }

  async last(): Promise<{ job_id: string; doc: ReceiptDocument } | null> {
    return this.lastJob;
  }

  private async persist(state: JournalFile): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const f = await open(tmp, 'w');
    try {
      await f.writeFile(JSON.stringify(state));
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, this.path);
  }
}

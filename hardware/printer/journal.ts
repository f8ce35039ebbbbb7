// The job ids a printer connection has printed, in memory (lost on restart; the
// kiosk uses the file-backed journal in src/kiosk/receipt). Bounded: the oldest
// ids are forgotten first.

import type { PrintJournal, ReceiptDocument } from './types';

export const DEFAULT_JOURNAL_IDS = 1000;

export class MemoryPrintJournal implements PrintJournal {
  private readonly ids = new Set<string>();
  private lastJob: { job_id: string; doc: ReceiptDocument } | null = null;

  constructor(private readonly max_ids = DEFAULT_JOURNAL_IDS) {}

  async has(jobId: string): Promise<boolean> {
    return this.ids.has(jobId);
  }

  async record(jobId: string, doc: ReceiptDocument): Promise<void> {
    this.ids.delete(jobId);
    this.ids.add(jobId);
    while (this.ids.size > this.max_ids) this.ids.delete(this.ids.values().next().value!);
    this.lastJob = { job_id: jobId, doc };
  }

  async last(): Promise<{ job_id: string; doc: ReceiptDocument } | null> {
    return this.lastJob;
  }
}

import { STATUS } from '../../../src/card/status';
import type { ApplicationState, CyclicRecordFileState, TransactionMacFileState, ValueFileState } from './state';
import { computeTransactionMac } from './tmac';

// The open card transaction: Credit, Debit, LimitedCredit and WriteRecord are
// held here, never in the committed state, until CommitTransaction. Abort,
// power-off, a new authentication, a SelectApplication or any error answer
// simply drop this object's contents. Commit applies everything at once.

interface PendingValue {
  value: number;
  /** Sum of the Debits on this file in this transaction. */
  debited: number;
  limitedCredited: boolean;
}

export type TxStatus = number; // a STATUS code

export interface CommitOutcome {
  status: TxStatus;
  /** True when the committed state changed (and must be persisted). */
  changed: boolean;
}

export class PendingTransaction {
  private readonly values = new Map<number, PendingValue>();
  private readonly records = new Map<number, Buffer>();
  private readonly tmi: Buffer[] = [];

  /** Every change adds a TMI entry, so no entries means nothing to commit. */
  get isEmpty(): boolean {
    return this.tmi.length === 0;
  }

  clear(): void {
    this.values.clear();
    this.records.clear();
    this.tmi.length = 0;
  }

  private valueOf(fileNo: number, file: ValueFileState): PendingValue {
    return this.values.get(fileNo) ?? { value: file.value, debited: 0, limitedCredited: false };
  }

  debit(fileNo: number, file: ValueFileState, amount: number, tmiEntry: Buffer): TxStatus {
    const p = this.valueOf(fileNo, file);
    if (p.value - amount < file.lowerLimit) return STATUS.BOUNDARY_ERROR;
    this.values.set(fileNo, { ...p, value: p.value - amount, debited: p.debited + amount });
    this.tmi.push(tmiEntry);
    return STATUS.OPERATION_OK;
  }

  credit(fileNo: number, file: ValueFileState, amount: number, tmiEntry: Buffer): TxStatus {
    const p = this.valueOf(fileNo, file);
    if (p.value + amount > file.upperLimit) return STATUS.BOUNDARY_ERROR;
    this.values.set(fileNo, { ...p, value: p.value + amount });
    this.tmi.push(tmiEntry);
    return STATUS.OPERATION_OK;
  }

  /**
   * At most once per transaction, only when enabled at file creation, and at
   * most the sum of the Debits of the last committed transaction that had any.
   */
  limitedCredit(fileNo: number, file: ValueFileState, amount: number, tmiEntry: Buffer): TxStatus {
    if (!file.limitedCreditEnabled) return STATUS.PERMISSION_DENIED;
    const p = this.valueOf(fileNo, file);
    if (p.limitedCredited) return STATUS.PERMISSION_DENIED;
    if (amount > file.limitedCreditAvailable) return STATUS.BOUNDARY_ERROR;
    if (p.value + amount > file.upperLimit) return STATUS.BOUNDARY_ERROR;
    this.values.set(fileNo, { ...p, value: p.value + amount, limitedCredited: true });
    this.tmi.push(tmiEntry);
    return STATUS.OPERATION_OK;
  }

  /** The first WriteRecord of a transaction starts a new zero-filled record; later ones modify it. */
  writeRecord(fileNo: number, file: CyclicRecordFileState, offset: number, data: Buffer, tmiEntry: Buffer): TxStatus {
    if (offset + data.length > file.recordSize) return STATUS.BOUNDARY_ERROR;
    const record = this.records.get(fileNo) ?? Buffer.alloc(file.recordSize);
    data.copy(record, offset);
    this.records.set(fileNo, record);
    this.tmi.push(tmiEntry);
    return STATUS.OPERATION_OK;
  }

  /** Applies every pending change to `app` (committed state) and updates its Transaction MAC file. */
  commitInto(app: ApplicationState, uid: Buffer): CommitOutcome {
    if (this.isEmpty) return { status: STATUS.OPERATION_OK, changed: false };
    const tmacFile = findTransactionMacFile(app);
    // A card whose counter is exhausted refuses every further transaction.
    if (tmacFile && tmacFile.tmc >= 0xffffffff) return { status: STATUS.PERMISSION_DENIED, changed: false };

    for (const [fileNo, p] of this.values) {
      const file = app.files[fileNo] as ValueFileState;
      file.value = p.value;
      if (p.debited > 0) file.limitedCreditAvailable = p.debited;
      else if (p.limitedCredited) file.limitedCreditAvailable = 0;
    }
    for (const [fileNo, record] of this.records) {
      const file = app.files[fileNo] as CyclicRecordFileState;
      file.recordsHex.push(record.toString('hex').toUpperCase());
      while (file.recordsHex.length > file.maxRecords - 1) file.recordsHex.shift();
    }
    if (tmacFile) {
      const tmv = computeTransactionMac(Buffer.from(tmacFile.keyHex, 'hex'), tmacFile.tmc, uid, Buffer.concat(this.tmi));
      tmacFile.tmc += 1;
      tmacFile.tmvHex = tmv.toString('hex').toUpperCase();
    }
    this.clear();
    return { status: STATUS.OPERATION_OK, changed: true };
  }
}

export function findTransactionMacFile(app: ApplicationState): TransactionMacFileState | null {
  for (const file of Object.values(app.files)) if (file.type === 'transactionMac') return file;
  return null;
}

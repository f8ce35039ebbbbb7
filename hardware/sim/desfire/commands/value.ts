import { STATUS } from '../../../../src/card/status';
import { i32le } from '../bytes';
import type { ValueFileState } from '../state';
import { buildTmiEntry } from '../tmac';
import type { PendingTransaction } from '../transaction';
import { ok, planFileCommand, refuse, type NativeCommandHandler } from './context';

// Value file: GetValue (6C), Credit (0C), Debit (DC), LimitedCredit (1C).
// Header FileNo; Credit/Debit/LimitedCredit carry a 4-byte LE amount, which
// must not be negative. The changes wait in the transaction until commit;
// GetValue answers the committed value.
// Rights: GetValue and Debit need Read, Write or ReadWrite; LimitedCredit Write
// or ReadWrite; Credit ReadWrite.

const HEADER_BYTES = 1;
const AMOUNT_BYTES = 4;

export const getValue: NativeCommandHandler = {
  name: 'GetValue',
  plan: (ctx, data) => planFileCommand(ctx, data, ['value'], ['read', 'write', 'readWrite'], HEADER_BYTES),
  run(ctx, { header, payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    const file = ctx.app!.files[header[0]!] as ValueFileState;
    return ok(i32le(file.value));
  },
};

type ValueOperation = 'debit' | 'credit' | 'limitedCredit';

function valueCommand(name: string, code: number, operation: ValueOperation, rights: ('read' | 'write' | 'readWrite')[]): NativeCommandHandler {
  return {
    name,
    plan: (ctx, data) => planFileCommand(ctx, data, ['value'], rights, HEADER_BYTES),
    run(ctx, { header, payload }) {
      if (payload.length !== AMOUNT_BYTES) return refuse(STATUS.LENGTH_ERROR);
      const amount = payload.readInt32LE(0);
      if (amount < 0) return refuse(STATUS.PARAMETER_ERROR);
      const fileNo = header[0]!;
      const file = ctx.app!.files[fileNo] as ValueFileState;
      const tx: PendingTransaction = ctx.tx;
      const status = tx[operation](fileNo, file, amount, buildTmiEntry(code, header, payload));
      return status === STATUS.OPERATION_OK ? ok() : refuse(status);
    },
  };
}

export const debit = valueCommand('Debit', 0xdc, 'debit', ['read', 'write', 'readWrite']);
export const credit = valueCommand('Credit', 0x0c, 'credit', ['readWrite']);
export const limitedCredit = valueCommand('LimitedCredit', 0x1c, 'limitedCredit', ['write', 'readWrite']);

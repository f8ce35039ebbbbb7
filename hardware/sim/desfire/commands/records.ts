import { STATUS } from '../../../../src/card/status';
import { readLe24 } from '../bytes';
import type { CyclicRecordFileState } from '../state';
import { buildTmiEntry } from '../tmac';
import { ok, planFileCommand, refuse, type NativeCommandHandler } from './context';

// Cyclic record file: WriteRecord (8B, header FileNo ‖ Offset(3) ‖ Length(3),
// then data; waits for commit) and ReadRecords (BB, header FileNo ‖ RecNo(3) ‖
// RecCount(3)). RecNo 0 is the newest committed record, counting back; count 0
// means from RecNo back to the oldest. Records come out oldest first.

const HEADER_BYTES = 7;
const CMD_WRITE_RECORD = 0x8b;

export const writeRecord: NativeCommandHandler = {
  name: 'WriteRecord',
  plan: (ctx, data) => planFileCommand(ctx, data, ['cyclicRecord'], ['write', 'readWrite'], HEADER_BYTES),
  run(ctx, { header, payload }) {
    const fileNo = header[0]!;
    const file = ctx.app!.files[fileNo] as CyclicRecordFileState;
    const offset = readLe24(header, 1);
    const length = readLe24(header, 4);
    if (length === 0 || payload.length !== length) return refuse(STATUS.LENGTH_ERROR);
    const status = ctx.tx.writeRecord(fileNo, file, offset, payload, buildTmiEntry(CMD_WRITE_RECORD, header, payload));
    return status === STATUS.OPERATION_OK ? ok() : refuse(status);
  },
};

export const readRecords: NativeCommandHandler = {
  name: 'ReadRecords',
  plan: (ctx, data) => planFileCommand(ctx, data, ['cyclicRecord'], ['read', 'readWrite'], HEADER_BYTES),
  run(ctx, { header, payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    const file = ctx.app!.files[header[0]!] as CyclicRecordFileState;
    const held = file.recordsHex.length;
    const recNo = readLe24(header, 1);
    const requested = readLe24(header, 4);
    if (recNo >= held) return refuse(STATUS.BOUNDARY_ERROR);
    const count = requested === 0 ? held - recNo : requested;
    if (recNo + count > held) return refuse(STATUS.BOUNDARY_ERROR);
    const selected = file.recordsHex.slice(held - recNo - count, held - recNo);
    return ok(Buffer.from(selected.join(''), 'hex'));
  },
};

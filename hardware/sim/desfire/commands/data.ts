import { STATUS } from '../../../../src/card/status';
import { readLe24, u32le } from '../bytes';
import type { StdDataFileState, TransactionMacFileState } from '../state';
import { changed, ok, planFileCommand, refuse, type NativeCommandHandler } from './context';

// ReadData (BD) and WriteData (3D): header FileNo ‖ Offset(3) ‖ Length(3).
// A standard data file is not transactional: WriteData is committed at once.
// ReadData also reads the Transaction MAC file: TMC (4, LE) ‖ TMV (8).

const HEADER_BYTES = 7;

function contents(file: StdDataFileState | TransactionMacFileState): Buffer {
  if (file.type === 'stdData') return Buffer.from(file.dataHex, 'hex');
  return Buffer.concat([u32le(file.tmc), Buffer.from(file.tmvHex, 'hex')]);
}

export const readData: NativeCommandHandler = {
  name: 'ReadData',
  plan: (ctx, data) => planFileCommand(ctx, data, ['stdData', 'transactionMac'], ['read', 'readWrite'], HEADER_BYTES),
  run(ctx, { header, payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    const file = ctx.app!.files[header[0]!] as StdDataFileState | TransactionMacFileState;
    const bytes = contents(file);
    const offset = readLe24(header, 1);
    const requested = readLe24(header, 4);
    if (offset >= bytes.length) return refuse(STATUS.BOUNDARY_ERROR);
    const length = requested === 0 ? bytes.length - offset : requested; // 0 = to the end
    if (offset + length > bytes.length) return refuse(STATUS.BOUNDARY_ERROR);
    return ok(bytes.subarray(offset, offset + length));
  },
};

export const writeData: NativeCommandHandler = {
  name: 'WriteData',
  writes: true,
  plan: (ctx, data) => planFileCommand(ctx, data, ['stdData', 'transactionMac'], ['write', 'readWrite'], HEADER_BYTES),
  run(ctx, { header, payload }) {
    const file = ctx.app!.files[header[0]!] as StdDataFileState | TransactionMacFileState;
    if (file.type === 'transactionMac') return refuse(STATUS.PERMISSION_DENIED); // only the card writes it
    const bytes = Buffer.from(file.dataHex, 'hex');
    const offset = readLe24(header, 1);
    const length = readLe24(header, 4);
    if (length === 0 || payload.length !== length) return refuse(STATUS.LENGTH_ERROR);
    if (offset + length > bytes.length) return refuse(STATUS.BOUNDARY_ERROR);
    payload.copy(bytes, offset);
    file.dataHex = bytes.toString('hex').toUpperCase();
    return changed();
  },
};

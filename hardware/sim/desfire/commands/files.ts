import { STATUS } from '../../../../src/card/status';
import { readLe24 } from '../bytes';
import { commModeFromOption, decodeAccessRights, MAX_FILE_NO, type ApplicationState, type FileState } from '../state';
import { findTransactionMacFile } from '../transaction';
import { changed, refuse, requireMasterKey, type CardContext, type NativeCommandHandler, type Plan, type Reply } from './context';

// Create*File: need authentication with K0 of the selected application.
// Common header: FileNo ‖ FileOption (low 2 bits CommMode) ‖ AccessRights (2).
// The whole data field is header (MAC mode), except CreateTransactionMACFile,
// whose key travels encrypted (Full mode).

const COMMON_HEADER_BYTES = 4;
/** The simulated card's per-file memory budget. */
const MAX_FILE_BYTES = 8192;
const TM_KEY_OPTION_AES = 0x02;
const KEY_BYTES = 16;

function planCreate(ctx: CardContext, data: Buffer): Plan | number {
  const app = requireMasterKey(ctx);
  if (typeof app === 'number') return app;
  return { mode: 'mac', headerBytes: data.length - 8 };
}

/** Checks the common header; calls `make` with the parsed parts when it is sound. */
function create(app: ApplicationState | null, header: Buffer, expected_bytes: number, make: (base: Pick<FileState, 'commMode' | 'access'>) => FileState | number): Reply {
  if (!app) return refuse(STATUS.PERMISSION_DENIED);
  if (header.length !== expected_bytes) return refuse(STATUS.LENGTH_ERROR);
  const fileNo = header[0]!;
  const fileOption = header[1]!;
  if (fileNo > MAX_FILE_NO || (fileOption & ~0x03) !== 0) return refuse(STATUS.PARAMETER_ERROR);
  if (app.files[fileNo]) return refuse(STATUS.DUPLICATE_ERROR);
  const file = make({ commMode: commModeFromOption(fileOption), access: decodeAccessRights(header[2]!, header[3]!) });
  if (typeof file === 'number') return refuse(file);
  app.files[fileNo] = file;
  return changed();
}

export const createStdDataFile: NativeCommandHandler = {
  name: 'CreateStdDataFile',
  writes: true,
  plan: planCreate,
  run: (ctx, { header }) =>
    create(ctx.app, header, COMMON_HEADER_BYTES + 3, (base) => {
      const size = readLe24(header, 4);
      if (size < 1) return STATUS.PARAMETER_ERROR;
      if (size > MAX_FILE_BYTES) return STATUS.OUT_OF_EEPROM;
      return { type: 'stdData', ...base, dataHex: '00'.repeat(size) };
    }),
};

export const createValueFile: NativeCommandHandler = {
  name: 'CreateValueFile',
  writes: true,
  plan: planCreate,
  run: (ctx, { header }) =>
    create(ctx.app, header, COMMON_HEADER_BYTES + 13, (base) => {
      const lowerLimit = header.readInt32LE(4);
      const upperLimit = header.readInt32LE(8);
      const value = header.readInt32LE(12);
      const options = header[16]!;
      if (lowerLimit > upperLimit || value < lowerLimit || value > upperLimit) return STATUS.BOUNDARY_ERROR;
      // Bit 0: LimitedCredit enabled. Other bits (free GetValue, …) are not simulated.
      if ((options & ~0x01) !== 0) return STATUS.PARAMETER_ERROR;
      return { type: 'value', ...base, lowerLimit, upperLimit, value, limitedCreditEnabled: options === 0x01, limitedCreditAvailable: 0 };
    }),
};

export const createCyclicRecordFile: NativeCommandHandler = {
  name: 'CreateCyclicRecordFile',
  writes: true,
  plan: planCreate,
  run: (ctx, { header }) =>
    create(ctx.app, header, COMMON_HEADER_BYTES + 6, (base) => {
      const recordSize = readLe24(header, 4);
      const maxRecords = readLe24(header, 7);
      // One slot is the transaction's, so a cyclic file needs at least two.
      if (recordSize < 1 || maxRecords < 2) return STATUS.PARAMETER_ERROR;
      if (recordSize * maxRecords > MAX_FILE_BYTES) return STATUS.OUT_OF_EEPROM;
      return { type: 'cyclicRecord', ...base, recordSize, maxRecords, recordsHex: [] };
    }),
};

export const createTransactionMacFile: NativeCommandHandler = {
  name: 'CreateTransactionMACFile',
  writes: true,
  plan(ctx) {
    const app = requireMasterKey(ctx);
    if (typeof app === 'number') return app;
    return { mode: 'full', headerBytes: COMMON_HEADER_BYTES };
  },
  run(ctx, { header, payload }) {
    if (payload.length !== 1 + KEY_BYTES + 1) return refuse(STATUS.LENGTH_ERROR);
    if (payload[0] !== TM_KEY_OPTION_AES) return refuse(STATUS.PARAMETER_ERROR);
    // One Transaction MAC file per application.
    if (ctx.app && findTransactionMacFile(ctx.app)) return refuse(STATUS.DUPLICATE_ERROR);
    return create(ctx.app, header, COMMON_HEADER_BYTES, (base) => ({
      type: 'transactionMac',
      ...base,
      keyHex: payload.subarray(1, 1 + KEY_BYTES).toString('hex').toUpperCase(),
      keyVersion: payload[1 + KEY_BYTES]!,
      tmc: 0,
      tmvHex: '00'.repeat(8),
    }));
  },
};

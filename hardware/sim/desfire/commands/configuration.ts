import { STATUS } from '../../../../src/card/status';
import { commModeFromOption, decodeAccessRights, type FileState } from '../state';
import { ACCESS_FREE, changed, findFile, ok, refuse, sessionMode, type CardContext, type NativeCommandHandler } from './context';

// What a card answers about itself, and how it is configured:
//   SetConfiguration (5C)   PICC level, PICC master key, Full: option 00 bit 1 turns Random ID on (for good)
//   ChangeFileSettings (5F) the file's Change key, Full (plain when Change is free): CommMode and access rights
//   GetKeySettings (45), GetKeyVersion (64), FreeMemory (6E), GetApplicationIDs (6A), GetDFNames (6D),
//   GetISOFileIDs (61)      free, and the same for every card of one layout and batch
//   GetFileIDs (6F), GetFileSettings (F5): free only when the application's key settings allow a
//   free directory list (bit 1); the Civicard application does not, so a reader without keys gets
//   AUTHENTICATION_ERROR — as a real DESFire EV2 answers.

const PICC_KEY_SETTINGS = Buffer.from([0x0f, 0x01]); // factory: everything free with the PICC key, one (AES) key
const PICC_OPTION = 0x00;
const RANDOM_ID_BIT = 0x02;
const FREE_DIRECTORY_BIT = 0x02;
const FILE_TYPE_CODE: Record<FileState['type'], number> = { stdData: 0x00, value: 0x02, cyclicRecord: 0x04, transactionMac: 0x05 };
const TOTAL_MEMORY_BYTES = 8192;

export const setConfiguration: NativeCommandHandler = {
  name: 'SetConfiguration',
  writes: true,
  plan(ctx) {
    if (ctx.aid !== null) return STATUS.PERMISSION_DENIED;
    if (ctx.authKeyNo === null) return STATUS.AUTHENTICATION_ERROR;
    return { mode: 'full', headerBytes: 1 };
  },
  run(ctx, { header, payload }) {
    if (header.length !== 1 || payload.length !== 1) return refuse(STATUS.LENGTH_ERROR);
    if (header[0] !== PICC_OPTION || (payload[0]! & ~RANDOM_ID_BIT) !== 0) return refuse(STATUS.PARAMETER_ERROR);
    if ((payload[0]! & RANDOM_ID_BIT) === 0) return ok(); // Random ID can be turned on, never off
    ctx.state.randomUid = true;
    return changed();
  },
};

export const changeFileSettings: NativeCommandHandler = {
  name: 'ChangeFileSettings',
  writes: true,
  plan(ctx, data) {
    const file = findFile(ctx, data[0], ['stdData', 'value', 'cyclicRecord', 'transactionMac']);
    if (typeof file === 'number') return file;
    if (file.access.change === ACCESS_FREE) return { mode: 'plain', headerBytes: 1 };
    if (ctx.authKeyNo === null) return STATUS.AUTHENTICATION_ERROR;
    if (ctx.authKeyNo !== file.access.change) return STATUS.PERMISSION_DENIED;
    return { mode: 'full', headerBytes: 1 };
  },
  run(ctx, { header, payload }) {
    if (header.length !== 1 || payload.length !== 3) return refuse(STATUS.LENGTH_ERROR);
    if ((payload[0]! & ~0x03) !== 0) return refuse(STATUS.PARAMETER_ERROR);
    const file = ctx.app!.files[header[0]!]!;
    file.commMode = commModeFromOption(payload[0]!);
    file.access = decodeAccessRights(payload[1]!, payload[2]!);
    return changed();
  },
};

export const getKeySettings: NativeCommandHandler = {
  name: 'GetKeySettings',
  plan: (ctx) => ({ mode: sessionMode(ctx), headerBytes: 0 }),
  run(ctx, { payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    return ok(ctx.app ? Buffer.from([ctx.app.keySettings1, ctx.app.keySettings2]) : PICC_KEY_SETTINGS);
  },
};

export const getKeyVersion: NativeCommandHandler = {
  name: 'GetKeyVersion',
  plan: (ctx) => ({ mode: sessionMode(ctx), headerBytes: 1 }),
  run(ctx, { header }) {
    const keyNo = header[0];
    if (keyNo === undefined) return refuse(STATUS.LENGTH_ERROR);
    const key = ctx.app ? ctx.app.keys[keyNo] : keyNo === 0 ? ctx.state.piccKey : undefined;
    return key ? ok(Buffer.from([key.version])) : refuse(STATUS.NO_SUCH_KEY);
  },
};

export const freeMemory: NativeCommandHandler = {
  name: 'FreeMemory',
  plan: (ctx) => ({ mode: sessionMode(ctx), headerBytes: 0 }),
  run(ctx) {
    const used = Object.values(ctx.state.applications)
      .flatMap((app) => Object.values(app.files))
      .reduce((sum, f) => sum + fileBytes(f), 0);
    const free = Math.max(0, TOTAL_MEMORY_BYTES - used);
    return ok(Buffer.from([free & 0xff, (free >> 8) & 0xff, (free >> 16) & 0xff]));
  },
};

export const getApplicationIds: NativeCommandHandler = {
  name: 'GetApplicationIDs',
  plan: (ctx) => (ctx.aid !== null ? STATUS.PERMISSION_DENIED : { mode: sessionMode(ctx), headerBytes: 0 }),
  run: (ctx) => ok(Buffer.concat(Object.keys(ctx.state.applications).map((aid) => Buffer.from(aid, 'hex')))),
};

/** No application of this card has an ISO DF name or ISO file ids. */
export const getDfNames: NativeCommandHandler = {
  name: 'GetDFNames',
  plan: (ctx) => (ctx.aid !== null ? STATUS.PERMISSION_DENIED : { mode: sessionMode(ctx), headerBytes: 0 }),
  run: () => ok(),
};

export const getIsoFileIds: NativeCommandHandler = {
  name: 'GetISOFileIDs',
  plan: (ctx) => planDirectory(ctx),
  run: () => ok(),
};

export const getFileIds: NativeCommandHandler = {
  name: 'GetFileIDs',
  plan: (ctx) => planDirectory(ctx),
  run: (ctx) => ok(Buffer.from(Object.keys(ctx.app!.files).map(Number))),
};

export const getFileSettings: NativeCommandHandler = {
  name: 'GetFileSettings',
  plan(ctx, data) {
    const planned = planDirectory(ctx);
    if (typeof planned === 'number') return planned;
    const file = findFile(ctx, data[0], ['stdData', 'value', 'cyclicRecord', 'transactionMac']);
    return typeof file === 'number' ? file : { ...planned, headerBytes: 1 };
  },
  run(ctx, { header }) {
    const file = ctx.app!.files[header[0]!]!;
    const option = file.commMode === 'mac' ? 0x01 : file.commMode === 'full' ? 0x03 : 0x00;
    const access = Buffer.from([((file.access.readWrite & 0xf) << 4) | (file.access.change & 0xf), ((file.access.read & 0xf) << 4) | (file.access.write & 0xf)]);
    return ok(Buffer.concat([Buffer.from([FILE_TYPE_CODE[file.type], option]), access, le24(fileBytes(file))]));
  },
};

/** Listing an application's files: free when its key settings say so, else with its master key. */
function planDirectory(ctx: CardContext) {
  if (!ctx.app) return STATUS.PERMISSION_DENIED;
  if ((ctx.app.keySettings1 & FREE_DIRECTORY_BIT) !== 0) return { mode: sessionMode(ctx), headerBytes: 0 };
  if (ctx.authKeyNo === null) return STATUS.AUTHENTICATION_ERROR;
  if (ctx.authKeyNo !== 0) return STATUS.PERMISSION_DENIED;
  return { mode: sessionMode(ctx), headerBytes: 0 };
}

function fileBytes(f: FileState): number {
  switch (f.type) {
    case 'stdData':
      return f.dataHex.length / 2;
    case 'value':
      return 4;
    case 'cyclicRecord':
      return f.recordSize * f.maxRecords;
    case 'transactionMac':
      return 12;
  }
}

function le24(n: number): Buffer {
  return Buffer.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);
}

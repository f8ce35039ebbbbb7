import { STATUS } from '../../../../src/card/status';
import { aidHex, MAX_APPLICATIONS, zeroKey } from '../state';
import { changed, ok, refuse, sessionMode, type NativeCommandHandler } from './context';

// Card and application level: SelectApplication, GetVersion, CreateApplication, GetCardUID.

const PICC_AID = '000000';
const KEY_TYPE_MASK = 0xc0;
const KEY_TYPE_AES = 0x80;
const KEY_COUNT_MASK = 0x0f;
const MAX_KEYS = 14;

/** GetVersion: an EV2 (HW 12.00, SW 2.1), 8 KB, ISO 14443-2 and -3. Fixed, plausible production data. */
const HW_VERSION = Buffer.from('04010112001A05', 'hex');
const SW_VERSION = Buffer.from('04010102011A05', 'hex');
const BATCH_NO = Buffer.from('BA7C4E2110', 'hex');
const PRODUCTION_WEEK = 0x17;
const PRODUCTION_YEAR = 0x21;

export const selectApplication: NativeCommandHandler = {
  name: 'SelectApplication',
  plan: () => ({ mode: 'plain', headerBytes: 0 }),
  run(ctx, { payload }) {
    if (payload.length !== 3) return refuse(STATUS.LENGTH_ERROR);
    const aid = aidHex(payload);
    if (aid === PICC_AID) {
      ctx.select(null);
      return ok();
    }
    if (!ctx.state.applications[aid]) return refuse(STATUS.APPLICATION_NOT_FOUND);
    ctx.select(aid);
    return ok();
  },
};

export const getVersion: NativeCommandHandler = {
  name: 'GetVersion',
  plan: (ctx) => ({ mode: sessionMode(ctx), headerBytes: 0 }),
  run(ctx, { payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    // With random ID on, the UID is only told to an authenticated reader.
    const uid = ctx.randomUid && ctx.authKeyNo === null ? Buffer.alloc(ctx.uid.length) : ctx.uid;
    const production = Buffer.concat([uid, BATCH_NO, Buffer.from([PRODUCTION_WEEK, PRODUCTION_YEAR])]);
    return { status: STATUS.OPERATION_OK, data: Buffer.concat([HW_VERSION, SW_VERSION, production]), frameSizes: [HW_VERSION.length, SW_VERSION.length] };
  },
};

export const createApplication: NativeCommandHandler = {
  name: 'CreateApplication',
  writes: true,
  plan(ctx, data) {
    if (ctx.aid !== null) return STATUS.PERMISSION_DENIED;
    const mode = sessionMode(ctx);
    return { mode, headerBytes: data.length - (mode === 'mac' ? 8 : 0) };
  },
  run(ctx, { header }) {
    if (header.length !== 5) return refuse(STATUS.LENGTH_ERROR);
    const aid = aidHex(header.subarray(0, 3));
    const keySettings1 = header[3]!;
    const keySettings2 = header[4]!;
    const keyCount = keySettings2 & KEY_COUNT_MASK;
    if (aid === PICC_AID) return refuse(STATUS.PARAMETER_ERROR);
    // AES keys only, no ISO file identifiers: the only kind of application this card makes.
    if ((keySettings2 & KEY_TYPE_MASK) !== KEY_TYPE_AES || (keySettings2 & 0x30) !== 0) return refuse(STATUS.PARAMETER_ERROR);
    if (keyCount < 1 || keyCount > MAX_KEYS) return refuse(STATUS.PARAMETER_ERROR);
    if (ctx.state.applications[aid]) return refuse(STATUS.DUPLICATE_ERROR);
    if (Object.keys(ctx.state.applications).length >= MAX_APPLICATIONS) return refuse(STATUS.COUNT_ERROR);
    ctx.state.applications[aid] = { keySettings1, keySettings2, keys: Array.from({ length: keyCount }, zeroKey), files: {} };
    return changed();
  },
};

export const getCardUid: NativeCommandHandler = {
  name: 'GetCardUID',
  plan: (ctx) => (ctx.authKeyNo === null ? STATUS.AUTHENTICATION_ERROR : { mode: 'full', headerBytes: 0 }),
  run(ctx, { payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    return ok(Buffer.from(ctx.uid));
  },
};

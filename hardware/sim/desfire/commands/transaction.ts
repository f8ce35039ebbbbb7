import { STATUS } from '../../../../src/card/status';
import { u32le } from '../bytes';
import { findTransactionMacFile } from '../transaction';
import { ok, refuse, sessionMode, type NativeCommandHandler, type Reply } from './context';

// CommitTransaction (C7, optional option byte: 01 = answer TMC ‖ TMV) and
// AbortTransaction (A7). MAC mode while authenticated, plain otherwise.

const OPTION_RETURN_TMAC = 0x01;

export const commitTransaction: NativeCommandHandler = {
  name: 'CommitTransaction',
  writes: true,
  plan(ctx, data) {
    if (!ctx.app) return STATUS.PERMISSION_DENIED;
    const mode = sessionMode(ctx);
    return { mode, headerBytes: data.length - (mode === 'mac' ? 8 : 0) };
  },
  run(ctx, { header }) {
    if (header.length > 1) return refuse(STATUS.LENGTH_ERROR);
    const option = header[0] ?? 0x00;
    if (option !== 0x00 && option !== OPTION_RETURN_TMAC) return refuse(STATUS.PARAMETER_ERROR);
    const app = ctx.app!;
    const outcome = ctx.tx.commitInto(app, ctx.uid);
    if (outcome.status !== STATUS.OPERATION_OK) return refuse(outcome.status);
    const reply: Reply = { status: STATUS.OPERATION_OK, changed: outcome.changed };
    const tmacFile = findTransactionMacFile(app);
    if (option === OPTION_RETURN_TMAC && tmacFile) reply.data = Buffer.concat([u32le(tmacFile.tmc), Buffer.from(tmacFile.tmvHex, 'hex')]);
    return reply;
  },
};

export const abortTransaction: NativeCommandHandler = {
  name: 'AbortTransaction',
  plan: (ctx) => ({ mode: sessionMode(ctx), headerBytes: 0 }),
  run(ctx, { payload }) {
    if (payload.length !== 0) return refuse(STATUS.LENGTH_ERROR);
    ctx.tx.clear();
    return ok();
  },
};

import type { CommMode } from '../../../../src/card/ev2/messaging';
import { STATUS } from '../../../../src/card/status';
import type { OpenedCommand } from '../session';
import type { AccessRightsState, ApplicationState, CardState, FileState } from '../state';
import type { PendingTransaction } from '../transaction';

// What a native command handler sees of the card, and the shape of a handler.
// Each command is split in two steps, as the card orders its checks:
//   plan()  reads the plain header, finds the file, checks the access rights
//           and decides the communication mode, before any MAC is verified;
//   run()   gets the verified, decrypted command and answers.
// The simulator (sim.ts) does the secure messaging in between and around.

export interface CardContext {
  /** Committed state, live. Only handlers marked `writes` may change it, and say so with `changed`. */
  readonly state: CardState;
  /** Selected application (wire hex), null at PICC level. */
  readonly aid: string | null;
  readonly app: ApplicationState | null;
  /** Key number of the authenticated session, null when not authenticated. */
  readonly authKeyNo: number | null;
  /** The real UID. */
  readonly uid: Buffer;
  readonly randomUid: boolean;
  readonly tx: PendingTransaction;
  random(bytes: number): Buffer;
  /** Selects an application (null = PICC level); ends the session and the transaction. */
  select(aid: string | null): void;
}

export interface Plan {
  /** Protection of both the command and its answer. */
  mode: CommMode;
  /** Bytes at the start of the data field that are never encrypted. */
  headerBytes: number;
}

export interface Reply {
  status: number;
  data?: Buffer;
  /** Sizes of the leading answer frames, when the command fixes them (GetVersion). */
  frameSizes?: number[];
  /** Answer a plain OK and end the session (ChangeKey of the authenticated key). */
  endsSession?: boolean;
  /** The committed state changed and must be persisted before the answer leaves. */
  changed?: boolean;
}

export interface NativeCommandHandler {
  name: string;
  /** May change the committed state: the simulator keeps a copy to roll back to if persisting fails. */
  writes?: boolean;
  plan(ctx: CardContext, data: Buffer): Plan | number;
  run(ctx: CardContext, cmd: OpenedCommand): Reply;
}

export const ok = (data?: Buffer): Reply => (data ? { status: STATUS.OPERATION_OK, data } : { status: STATUS.OPERATION_OK });
export const changed = (): Reply => ({ status: STATUS.OPERATION_OK, changed: true });
export const refuse = (status: number): Reply => ({ status });

export const ACCESS_FREE = 0xe;
export const ACCESS_NEVER = 0xf;

/** MAC while authenticated, plain otherwise: commands not tied to a file. */
export function sessionMode(ctx: CardContext): CommMode {
  return ctx.authKeyNo === null ? 'plain' : 'mac';
}

/** Creating files and changing keys: authenticated with the application master key K0. */
export function requireMasterKey(ctx: CardContext): ApplicationState | number {
  if (!ctx.app) return STATUS.PERMISSION_DENIED;
  if (ctx.authKeyNo === null) return STATUS.AUTHENTICATION_ERROR;
  if (ctx.authKeyNo !== 0) return STATUS.PERMISSION_DENIED;
  return ctx.app;
}

export function findFile<T extends FileState['type']>(ctx: CardContext, fileNo: number | undefined, types: T[]): Extract<FileState, { type: T }> | number {
  if (!ctx.app) return STATUS.PERMISSION_DENIED;
  if (fileNo === undefined) return STATUS.LENGTH_ERROR;
  const file = ctx.app.files[fileNo];
  if (!file) return STATUS.FILE_NOT_FOUND;
  if (!(types as string[]).includes(file.type)) return STATUS.PARAMETER_ERROR;
  return file as Extract<FileState, { type: T }>;
}

/**
 * The communication mode of a file access, or the refusal. Authenticated with
 * a key that one of `rights` names: the file's own mode. Otherwise a free
 * right (E) allows it in plain. Otherwise: not authenticated → AUTHENTICATION_ERROR,
 * authenticated with another key (or no right at all) → PERMISSION_DENIED.
 */
export function fileAccessMode(ctx: CardContext, file: FileState, rights: (keyof AccessRightsState)[]): CommMode | number {
  const nibbles = rights.map((r) => file.access[r]);
  if (ctx.authKeyNo !== null && nibbles.includes(ctx.authKeyNo)) return file.commMode;
  if (nibbles.includes(ACCESS_FREE)) return 'plain';
  if (nibbles.every((n) => n === ACCESS_NEVER)) return STATUS.PERMISSION_DENIED;
  return ctx.authKeyNo === null ? STATUS.AUTHENTICATION_ERROR : STATUS.PERMISSION_DENIED;
}

/** plan() for a command on one file: look it up, check the rights, fix the header length. */
export function planFileCommand<T extends FileState['type']>(
  ctx: CardContext,
  data: Buffer,
  types: T[],
  rights: (keyof AccessRightsState)[],
  headerBytes: number,
): Plan | number {
  const file = findFile(ctx, data[0], types);
  if (typeof file === 'number') return file;
  const mode = fileAccessMode(ctx, file, rights);
  if (typeof mode === 'number') return mode;
  return { mode, headerBytes };
}

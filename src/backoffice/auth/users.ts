import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { BackOfficeStore } from '../db/connect';
import type { UserRole } from '../db/schema';

// Staff accounts of the dashboard (docs/dashboard.md). Passwords are kept as
// scrypt hashes with their own salt and parameters in the string
// (`scrypt$N$r$p$SALT$HASH`, base64url), so the cost can be raised later
// without breaking accounts made before. Kiosks never log in here: they sign
// their requests (request-signing.ts).

export type { UserRole };
export const ROLES: readonly UserRole[] = ['finance', 'administrator'];

export interface UserRecord {
  username: string;
  role: UserRole;
  created_at: string;
  disabled: boolean;
}

export class UserError extends Error {
  override name = 'UserError';
}

const PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
export const MIN_PASSWORD_LENGTH = 12;

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err === null ? resolve(key) : reject(err))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEY_BYTES, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant time in the hash's length; false for any malformed hash string. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0) || N > 1_048_576) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(actual, expected);
}

/** A hash no password matches, checked when the username is unknown so that answer takes as long as a wrong password. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString('base64url'));
  return decoy;
}

export function checkUsername(username: string): string {
  if (!USERNAME.test(username)) throw new UserError('a username is 2 to 64 characters: lower-case letters, digits, dot, dash, underscore, starting with a letter or digit');
  return username;
}

export function checkPassword(password: string): string {
  if (password.length < MIN_PASSWORD_LENGTH) throw new UserError(`a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new UserError('a password has at most 1024 characters');
  return password;
}

export async function addUser(store: BackOfficeStore, input: { username: string; password: string; role: UserRole; now?: Date }): Promise<UserRecord> {
  const username = checkUsername(input.username);
  if (!ROLES.includes(input.role)) throw new UserError(`a role is finance or administrator, not ${String(input.role)}`);
  const password_hash = await hashPassword(checkPassword(input.password));
  const created_at = (input.now ?? new Date()).toISOString();
  if ((await store.db.selectFrom('users').select('username').where('username', '=', username).executeTakeFirst()) !== undefined) {
    throw new UserError(`a user ${username} already exists`);
  }
  await store.db.insertInto('users').values({ username, password_hash, role: input.role, created_at, disabled: 0 }).execute();
  return { username, role: input.role, created_at, disabled: false };
}

/** Refuses the account's logins from now on and ends its sessions. */
export async function disableUser(store: BackOfficeStore, username: string): Promise<UserRecord> {
  return store.db.transaction().execute(async (trx) => {
    const res = await trx.updateTable('users').set({ disabled: 1 }).where('username', '=', username).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new UserError(`no user ${username}`);
    await trx.deleteFrom('sessions').where('username', '=', username).execute();
    const row = await trx.selectFrom('users').select(['username', 'role', 'created_at', 'disabled']).where('username', '=', username).executeTakeFirstOrThrow();
    return { ...row, disabled: row.disabled !== 0 };
  });
}

export async function findUserForLogin(store: BackOfficeStore, username: string) {
  return store.db.selectFrom('users').select(['username', 'role', 'password_hash', 'disabled']).where('username', '=', username).executeTakeFirst();
}

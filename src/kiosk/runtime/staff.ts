import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { StaffRole } from '../machines/contracts';
import type { PinAttempts } from './pin-attempts';

// Who may open the attendant station: staff carry their own Civicard, listed in
// the station's roster by card reference, with a salted scrypt hash of their
// PIN. The PIN is checked here and nowhere kept or logged. Wrong PINs are
// counted per staff_ref in a file that outlives a restart.

export interface StaffMember {
  staff_ref: string;
  role: StaffRole;
  card_ref: string;
  /** scrypt$<16-byte salt hex>$<32-byte hash hex> */
  pin_hash: string;
}

const SALT_BYTES = 16;
const SCRYPT_KEYLEN = 32;
const PIN_HASH_SHAPE = new RegExp(`^scrypt\\$([0-9a-f]{${SALT_BYTES * 2}})\\$([0-9a-f]{${SCRYPT_KEYLEN * 2}})$`, 'i');
const scryptAsync = promisify(scrypt) as (pin: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export class StaffRosterError extends Error {
  override name = 'StaffRosterError';
}

export function hashPin(pin: string): string {
  const salt = randomBytes(SALT_BYTES);
  return `scrypt$${salt.toString('hex')}$${scryptSync(pin, salt, SCRYPT_KEYLEN).toString('hex')}`;
}

/**
 * Exactly the shape hashPin writes, or null. Anything looser is dangerous: an
 * empty expected hash made scrypt derive zero bytes and match every PIN, and a
 * truncated one matches on a prefix.
 */
function parsePinHash(pin_hash: string): { salt: Buffer; hash: Buffer } | null {
  const m = PIN_HASH_SHAPE.exec(pin_hash);
  if (!m) return null;
  return { salt: Buffer.from(m[1]!, 'hex'), hash: Buffer.from(m[2]!, 'hex') };
}

/** Runs scrypt on the libuv thread pool, so the station keeps serving while a PIN is checked. */
export async function pinMatches(pin: string, pin_hash: string): Promise<boolean> {
  const parsed = parsePinHash(pin_hash);
  if (!parsed) return false;
  const actual = await scryptAsync(pin, parsed.salt, SCRYPT_KEYLEN);
  return timingSafeEqual(actual, parsed.hash);
}

export class StaffRoster {
  private readonly byCard = new Map<string, StaffMember>();
  private readonly byRef = new Map<string, StaffMember>();

  constructor(
    members: readonly StaffMember[],
    private readonly attempts: PinAttempts,
  ) {
    for (const m of members) {
      if (!parsePinHash(m.pin_hash)) {
        throw new StaffRosterError(`the stored PIN hash of ${m.staff_ref} is malformed (expected scrypt$<16-byte salt hex>$<32-byte hash hex>); set a new PIN for this staff member`);
      }
      if (this.byRef.has(m.staff_ref) || this.byCard.has(m.card_ref)) throw new StaffRosterError(`${m.staff_ref} is on the roster twice (same staff_ref or same card)`);
      this.byCard.set(m.card_ref, m);
      this.byRef.set(m.staff_ref, m);
    }
  }

  /** Locked out by wrong PINs (the count survives a restart of the station). */
  isLockedOut(staff_ref: string): boolean {
    return this.attempts.isLockedOut(staff_ref);
  }

  byCardRef(card_ref: string): StaffMember | undefined {
    return this.byCard.get(card_ref);
  }

  /** True for the right PIN of a staff member who is not locked out; counts a wrong one. */
  async checkPin(staff_ref: string, pin: string): Promise<boolean> {
    const member = this.byRef.get(staff_ref);
    if (!member || this.attempts.isLockedOut(staff_ref)) return false;
    return this.settle(staff_ref, await pinMatches(pin, member.pin_hash));
  }

  private settle(staff_ref: string, matched: boolean): boolean {
    if (matched) this.attempts.recordSuccess(staff_ref);
    else this.attempts.recordFailure(staff_ref);
    return matched;
  }
}

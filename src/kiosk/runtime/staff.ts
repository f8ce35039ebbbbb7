import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { StaffRole } from '../machines/contracts';

// Who may open the attendant station: staff carry their own Civicard, listed in
// the station's roster by card reference, with a salted scrypt hash of their
// PIN. The PIN is checked here and nowhere kept or logged.

export interface StaffMember {
  staff_ref: string;
  role: StaffRole;
  card_ref: string;
  /** scrypt$<salt hex>$<hash hex> */
  pin_hash: string;
}

const SCRYPT_KEYLEN = 32;

export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(pin, salt, SCRYPT_KEYLEN).toString('hex')}`;
}

export function pinMatches(pin: string, pin_hash: string): boolean {
  const [scheme, saltHex, hashHex] = pin_hash.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = scryptSync(pin, Buffer.from(saltHex, 'hex'), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export class StaffRoster {
  private readonly byCard = new Map<string, StaffMember>();
  private readonly byRef = new Map<string, StaffMember>();

  constructor(members: readonly StaffMember[]) {
    for (const m of members) {
      this.byCard.set(m.card_ref, m);
      this.byRef.set(m.staff_ref, m);
    }
  }

  byCardRef(card_ref: string): StaffMember | undefined {
    return this.byCard.get(card_ref);
  }

  verifyPin(staff_ref: string, pin: string): boolean {
    const member = this.byRef.get(staff_ref);
    return member !== undefined && pinMatches(pin, member.pin_hash);
  }
}

import { diversifyAes128 } from '../crypto/diversify';

// Master keys stay behind this interface: callers ask for the key of one card
// (AN10922-diversified) and never see a master key. A SAM in a reader slot will
// implement the same interface later.

/**
 * `ident`, the identification key, is the one key that is NOT diversified: every
 * station holds it, and it only unlocks the card's (encrypted) identity file,
 * from which the other keys are diversified. Its theft allows tracking, never
 * moving money.
 */
export type KeyRole = 'issuer' | 'debit' | 'credit' | 'read' | 'tmac' | 'ident';
export const KEY_ROLES: readonly KeyRole[] = ['issuer', 'debit', 'credit', 'read', 'tmac', 'ident'];

export interface KeyVault {
  /** Human label (e.g. the keyset file name); never key material. */
  readonly label: string;
  /** True for keysets made by `civicard keys generate`: refused for real money by policy. */
  readonly testOnly: boolean;
  has(role: KeyRole): boolean;
  /** The card key for `role`, diversified with M = card id ‖ AID ‖ system id. */
  cardKey(role: Exclude<KeyRole, 'ident'>, diversificationInput: Buffer): Buffer;
  /** The identification key, the same on every card (see KeyRole). */
  identificationKey(): Buffer;
}

export class KeyNotHeldError extends Error {
  override name = 'KeyNotHeldError';
  constructor(role: KeyRole, label: string) {
    super(`the keyset "${label}" does not hold the ${role} master key (this station is not allowed to do that)`);
  }
}

/** Software keystore: master keys in process memory, loaded from a keyset file. */
export class SoftwareKeyVault implements KeyVault {
  private readonly masters: Map<KeyRole, Buffer>;

  constructor(
    readonly label: string,
    readonly testOnly: boolean,
    masters: Partial<Record<KeyRole, Buffer>>,
  ) {
    this.masters = new Map();
    for (const role of KEY_ROLES) {
      const key = masters[role];
      if (!key) continue;
      if (key.length !== 16) throw new RangeError(`${role} master key must be 16 bytes`);
      this.masters.set(role, Buffer.from(key));
    }
  }

  has(role: KeyRole): boolean {
    return this.masters.has(role);
  }

  cardKey(role: Exclude<KeyRole, 'ident'>, diversificationInput: Buffer): Buffer {
    const master = this.masters.get(role);
    if (!master) throw new KeyNotHeldError(role, this.label);
    return diversifyAes128(master, diversificationInput);
  }

  identificationKey(): Buffer {
    const key = this.masters.get('ident');
    if (!key) throw new KeyNotHeldError('ident', this.label);
    return Buffer.from(key);
  }

  /** A narrower vault holding only `roles` and the identification key every station holds (a resident kiosk never holds the credit key). */
  restrictedTo(roles: readonly KeyRole[]): SoftwareKeyVault {
    const subset: Partial<Record<KeyRole, Buffer>> = {};
    for (const role of [...roles, 'ident' as const]) {
      const key = this.masters.get(role);
      if (key) subset[role] = key;
    }
    return new SoftwareKeyVault(this.label, this.testOnly, subset);
  }
}

import { createPublicKey } from 'node:crypto';
import type { BackOfficeStore } from '../db/connect';
import type { KiosksTable } from '../db/schema';
import { kioskIdOf } from './request-signing';

// Which kiosks the back office listens to. A kiosk is its public key; enrolling
// approves it (or re-approves a revoked one), revoking refuses its requests
// from then on. Its entries already held stay.

export type KioskRecord = Pick<KiosksTable, 'kiosk_id' | 'name' | 'status' | 'enrolled_at' | 'enrolled_by' | 'last_sync_at'>;

export class EnrollmentError extends Error {
  override name = 'EnrollmentError';
}

export interface EnrollInput {
  publicKeyPem: string;
  name?: string | null;
  /** Who approved it (the admin's login, or `cli`). */
  by: string;
  now?: Date;
}

export async function enrollKiosk(store: BackOfficeStore, input: EnrollInput): Promise<KioskRecord> {
  let pem: string;
  let kiosk_id: string;
  try {
    const key = createPublicKey(input.publicKeyPem);
    kiosk_id = kioskIdOf(key);
    pem = key.export({ type: 'spki', format: 'pem' }).toString();
  } catch (e) {
    throw new EnrollmentError(`not an Ed25519 public key: ${e instanceof Error ? e.message : String(e)}`);
  }
  const name = input.name === undefined || input.name === null || input.name.trim() === '' ? null : input.name.trim();
  const enrolled_at = (input.now ?? new Date()).toISOString();
  await store.db
    .insertInto('kiosks')
    .values({ kiosk_id, public_key_pem: pem, name, status: 'active', enrolled_at, enrolled_by: input.by, last_sync_at: null })
    .onConflict((oc) =>
      oc.column('kiosk_id').doUpdateSet((eb) => ({
        status: 'active',
        enrolled_at,
        enrolled_by: input.by,
        name: name === null ? eb.ref('kiosks.name') : name,
      })),
    )
    .execute();
  return (await findKiosk(store, kiosk_id))!;
}

export async function revokeKiosk(store: BackOfficeStore, kiosk_id: string): Promise<KioskRecord> {
  const result = await store.db.updateTable('kiosks').set({ status: 'revoked' }).where('kiosk_id', '=', kiosk_id).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new EnrollmentError(`no kiosk ${kiosk_id} is enrolled`);
  return (await findKiosk(store, kiosk_id))!;
}

export async function findKiosk(store: BackOfficeStore, kiosk_id: string): Promise<KioskRecord | undefined> {
  return store.db
    .selectFrom('kiosks')
    .select(['kiosk_id', 'name', 'status', 'enrolled_at', 'enrolled_by', 'last_sync_at'])
    .where('kiosk_id', '=', kiosk_id)
    .executeTakeFirst();
}

export async function listKiosks(store: BackOfficeStore): Promise<KioskRecord[]> {
  return store.db.selectFrom('kiosks').select(['kiosk_id', 'name', 'status', 'enrolled_at', 'enrolled_by', 'last_sync_at']).orderBy('enrolled_at').orderBy('kiosk_id').execute();
}

/** The enrolled key of an active kiosk, or why there is none. */
export async function activeKioskKey(store: BackOfficeStore, kiosk_id: string): Promise<{ publicKeyPem: string } | { refused: 'unknown' | 'revoked' }> {
  const row = await store.db.selectFrom('kiosks').select(['public_key_pem', 'status']).where('kiosk_id', '=', kiosk_id).executeTakeFirst();
  if (row === undefined) return { refused: 'unknown' };
  if (row.status !== 'active') return { refused: 'revoked' };
  return { publicKeyPem: row.public_key_pem };
}

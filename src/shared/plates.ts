import { createHash, createHmac } from 'node:crypto';

// Licence plates as the kiosks and the back office both see them. A plate is
// never stored by the back office: it holds the plate's keyed hash under the
// city's plate key (HMAC-SHA256), which every kiosk and the enforcement lookup
// share. A plain hash would not do: plates are a small space, and anyone with
// the table could hash every plate there is; without the key they cannot.

export const PLATE_KEY_BYTES = 32;

/** The plate as the kiosk keeps and hashes it: capitals and digits only (`abc-123` and `ABC 123` are one plate). */
export function normalizePlate(text: string): string | null {
  const plate = text.toUpperCase().replace(/[\s-]/g, '');
  return /^[A-Z0-9]{1,10}$/.test(plate) ? plate : null;
}

export function plateHash(plate_key: Buffer, normalized_plate: string): string {
  return createHmac('sha256', plate_key).update(normalized_plate, 'utf8').digest('hex');
}

/**
 * Names a plate key without revealing it (16 hex digits of a hash of it): sent
 * with every upload, so the lookup can say when sessions were hashed under a
 * key it was not given (a kiosk left on its own key, a key rotated).
 */
export function plateKeyId(plate_key: Buffer): string {
  return createHash('sha256').update('civicard plate key id\0').update(plate_key).digest('hex').slice(0, 16);
}

// A parking session as it travels from the kiosk to the back office
// (docs/sync-protocol.md): the plate only as its keyed hash (src/shared/plates.ts).
// The kiosk's session store sends it, the sync client carries it, the back
// office checks it field by field (src/backoffice/parking/shapes.ts).

export interface ParkingSessionUpload {
  readonly session_id: string;
  readonly zone: string;
  readonly space: string | null;
  readonly plate_hash: string | null;
  readonly stay_start: string;
  readonly start: string;
  readonly end: string;
  readonly status: 'paid' | 'cancelled';
}

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signBundle } from '../../../src/downlink';
import type { QuoteInput } from '../../../src/kiosk/machines/contracts';
import { DownlinkStore } from '../../../src/kiosk/runtime/downlink-store';
import { ParkingService } from '../../../src/kiosk/services/parking';
import { ParkingSessionStore } from '../../../src/kiosk/services/parking-sessions';
import type { Tariffs } from '../../../src/parking';

// Tariffs from a bundle price parking in the running kiosk from the next quote
// on: the parking service is handed a getter onto the store, not a copy.

const backOffice = generateKeyPairSync('ed25519');
const fixture = JSON.parse(readFileSync('test/fixtures/tariffs/chicago-downtown.json', 'utf8'));
const WED_10 = new Date('2025-07-09T15:00:00Z'); // Wednesday 10:00 CDT, first hour 5¢/min
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The sample tariffs with the first-hour rate set to `cents_per_minute`. */
function tariffsAt(cents_per_minute: number) {
  const t = structuredClone(fixture) as { data: { policies: { rules: { rate?: { rate: number; rate_unit: string }[] }[] }[] } };
  for (const rule of t.data.policies.flatMap((p) => p.rules)) for (const r of rule.rate ?? []) if (r.rate === 5 && r.rate_unit === 'minute') r.rate = cents_per_minute;
  return t;
}

describe('parking tariffs from the downlink', () => {
  it('a bundle with new tariffs changes the next quote, without restarting the service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'civicard-downlink-tariffs-'));
    dirs.push(dir);
    const store = DownlinkStore.open({ dir, backoffice_public_key: backOffice.publicKey });
    const bundle = (version: number, cents: number) =>
      signBundle({ format: 'civicard-bundle/1', version, issued_at: new Date().toISOString(), contents: { tariffs: tariffsAt(cents) } }, backOffice.privateKey);
    expect(store.applyBundle(bundle(1, 5))).toEqual({ applied: true, version: 1 });
    const service = new ParkingService({
      get tariffs(): Tariffs {
        return store.tariffs()!;
      },
      sessions: ParkingSessionStore.open(join(dir, 'parking-sessions.json')),
      plate_key: Buffer.alloc(32, 9),
      now: () => WED_10,
    });
    const hour = async () => {
      const q = await service.quote({ kind: 'parking', reference: 'plate:101/abc-123', card_ref: 'c1', chosen: ['m60'] } as QuoteInput);
      return q.ok ? q.value.amount_minor : q.error;
    };
    expect(await hour()).toBe(300);
    expect(store.applyBundle(bundle(2, 10))).toEqual({ applied: true, version: 2 });
    expect(await hour()).toBe(600);
  });
});

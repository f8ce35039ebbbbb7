import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { hostCore, startKioskCore, wantsSimulation, type KioskCoreHost } from '../../../src/electron/core';
import { startSimKiosk, type SimKiosk } from '../../../src/kiosk/demo/sim-kiosk';
import type { KioskView } from '../../../src/shared/kiosk-api';

// The shell's view of the core, over a real simulated kiosk (real ledger,
// in-memory reader): commands land exactly as through the HTTP API.

let dir: string;
let kiosk: SimKiosk;
let host: KioskCoreHost;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'civicard-electron-core-'));
  kiosk = await startSimKiosk({ dir, pcscd: false });
  host = hostCore(kiosk, () => kiosk.stop());
}, 30_000);

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the core host', () => {
  it('answers the view of the resident machine, with no card data before a card', () => {
    const view = host.view();
    expect(view.language).toBe(kiosk.language);
    expect(view.card).toBeNull();
    expect(typeof view.screen).toBe('string');
  });

  it('applies SET_LANGUAGE to the kiosk and tells every subscriber', () => {
    const seen: KioskView[] = [];
    const unsubscribe = host.subscribe((v) => seen.push(v));
    expect(host.apply({ type: 'SET_LANGUAGE', language: 'en' }).language).toBe('en');
    expect(kiosk.language).toBe('en');
    expect(seen.at(-1)?.language).toBe('en');
    unsubscribe();
    host.apply({ type: 'SET_LANGUAGE', language: 'pt' });
    expect(seen.at(-1)?.language).toBe('en');
  });

  it('sends machine commands to the machine and pushes the change', async () => {
    const card = await kiosk.issueCard('card-E', 1_500);
    const seen: KioskView[] = [];
    const unsubscribe = host.subscribe((v) => seen.push(v));
    await kiosk.counter.hand(card.card).present();
    await waitFor(kiosk.actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 10_000 });
    expect(seen.at(-1)?.card?.balance_minor).toBe(1_500);
    const after = host.apply({ type: 'CANCEL' });
    expect(after.screen).not.toBe('session.balanceShown');
    unsubscribe();
  });
});

describe('starting the core', () => {
  it('uses simulated devices with --sim or CIVICARD_SIM=1 only', () => {
    expect(wantsSimulation(['electron', '.', '--sim'], {})).toBe(true);
    expect(wantsSimulation(['electron', '.'], { CIVICARD_SIM: '1' })).toBe(true);
    expect(wantsSimulation(['electron', '.'], { CIVICARD_SIM: 'yes' })).toBe(false);
    expect(wantsSimulation(['electron', '.'], {})).toBe(false);
  });

  it('refuses to start on real devices until they are configured, saying how to simulate', async () => {
    await expect(startKioskCore({ sim: false, dir })).rejects.toThrow(/--sim or CIVICARD_SIM=1/);
  });
});

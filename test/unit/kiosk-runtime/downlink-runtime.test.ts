import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { signBundle, signHotlistDelta } from '../../../src/downlink';
import { DownlinkStore } from '../../../src/kiosk/runtime/downlink-store';
import { FixedFeeService } from '../../support/fixed-fee';
import { startTestKiosk } from '../../support/resident-kiosk';
import { memoryLedger } from '../ledger/helpers';

// What the back office sends takes hold in the running resident kiosk — real
// card station, real ledger — from the next card on, without a restart.

const backOffice = generateKeyPairSync('ed25519');
const dirs: string[] = [];
const stops: (() => void)[] = [];
afterEach(() => {
  stops.splice(0).forEach((stop) => stop());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const issued_at = () => new Date().toISOString();

async function kioskWithDownlink(opts: { online: boolean; fresh_hotlist: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-downlink-rt-'));
  dirs.push(dir);
  const store = DownlinkStore.open({ dir, backoffice_public_key: backOffice.publicKey });
  if (opts.fresh_hotlist) store.applyHotlistDelta(signHotlistDelta({ format: 'civicard-hotlist/1', from_version: 0, to_version: 1, issued_at: issued_at(), add: [], remove: [] }, backOffice.privateKey));
  const ledger = memoryLedger();
  const kiosk = await startTestKiosk({
    ledger,
    services: [new FixedFeeService('library_fine', 350)],
    opening_minor: 5_000,
    risk: store.riskEnvironment({ online: () => opts.online, now: () => new Date() }),
    isHotlisted: store.isHotlisted,
  });
  stops.push(() => {
    kiosk.actor.stop();
    ledger.close();
  });
  /** A payment up to the risk check; the notice the resident is shown when refused, else null. */
  const attempt = async (): Promise<string | null> => {
    const { actor, reader, sim } = kiosk;
    reader.insertCard(sim);
    await waitFor(actor, (s) => s.matches({ session: 'balanceShown' }) || s.matches({ session: 'refused' }), { timeout: 5_000 });
    if (actor.getSnapshot().matches({ session: 'balanceShown' })) {
      actor.send({ type: 'CONTINUE' });
      actor.send({ type: 'SELECT_SERVICE', kind: 'library_fine', reference: 'FINE-2' });
      await waitFor(actor, (s) => s.matches({ session: 'confirming' }), { timeout: 5_000 });
      actor.send({ type: 'CONFIRM' });
      await waitFor(actor, (s) => s.matches({ session: 'refused' }) || s.matches('payment'), { timeout: 5_000 });
    }
    const snapshot = actor.getSnapshot();
    const notice = snapshot.matches({ session: 'refused' }) ? (snapshot.context.notice?.key ?? 'no notice') : null;
    return notice;
  };
  const intents = () => ledger.entriesSince(0).filter((e) => (e.payload as { kind: string }).kind === 'intent').length;
  return { store, kiosk, attempt, intents };
}

const bundle = (version: number, offline_tx_max_minor: number) =>
  signBundle({ format: 'civicard-bundle/1', version, issued_at: issued_at(), contents: { offline_limits: { offline_tx_max_minor } } }, backOffice.privateKey);

describe('downlink in the running resident kiosk', () => {
  it('a bundle lowering the offline limit refuses a payment the kiosk took just before, without a restart', async () => {
    const { store, kiosk, attempt, intents } = await kioskWithDownlink({ online: false, fresh_hotlist: true });
    await kiosk.pay('FINE-1'); // 3.50 offline, under the default 50.00 limit
    expect(intents()).toBe(1);
    expect(store.applyBundle(bundle(1, 300))).toEqual({ applied: true, version: 1 });
    expect(await attempt()).toBe('risk.offline_tx_limit');
    expect(intents()).toBe(1); // nothing written, nothing taken from the card
  });

  it('a refused bundle changes nothing: the payment still goes through', async () => {
    const { store, kiosk, intents } = await kioskWithDownlink({ online: false, fresh_hotlist: true });
    const forged = { ...bundle(1, 300), version: 2 };
    expect(store.applyBundle(forged)).toMatchObject({ applied: false, code: 'bad_signature' });
    await kiosk.pay('FINE-1');
    expect(intents()).toBe(1);
  });

  it('a card hotlisted by a delta is refused at its next tap', async () => {
    const { store, kiosk, attempt, intents } = await kioskWithDownlink({ online: true, fresh_hotlist: true });
    await kiosk.pay('FINE-1');
    const card_ref = (kiosk.ledger.entriesSince(0).find((e) => (e.payload as { kind: string }).kind === 'intent')!.payload as { card_ref: string }).card_ref;
    await waitFor(kiosk.actor, (s) => s.matches('idle'), { timeout: 5_000 });
    const delta = signHotlistDelta({ format: 'civicard-hotlist/1', from_version: 1, to_version: 2, issued_at: issued_at(), add: [card_ref], remove: [] }, backOffice.privateKey);
    expect(store.applyHotlistDelta(delta)).toEqual({ applied: true, version: 2 });
    expect(await attempt()).toBe('risk.hotlisted');
    expect(intents()).toBe(1);
  });

  it('a kiosk that never received a hotlist refuses debits as stale', async () => {
    const { attempt, intents } = await kioskWithDownlink({ online: true, fresh_hotlist: false });
    expect(await attempt()).toBe('risk.hotlist_stale');
    expect(intents()).toBe(0);
  });
});

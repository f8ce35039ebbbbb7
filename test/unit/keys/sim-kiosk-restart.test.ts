import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { residentVisit } from '../../../src/kiosk/demo/resident-visit';
import { DEMO_PINS, startSimAttendant } from '../../../src/kiosk/demo/sim-attendant';
import { startSimKiosk } from '../../../src/kiosk/demo/sim-kiosk';
import { verifyLedger } from '../../../src/ledger';

// `civicard kiosk --sim --dir X` stopped and started again on the same X: the
// kiosk keeps its keyset, card-reference key, ledger and issued cards.

const dir = mkdtempSync(join(tmpdir(), 'civicard-sim-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const intentsOf = (entries: { payload: { kind: string } }[]) =>
  entries.filter((e) => e.payload.kind === 'intent').map((e) => (e.payload as unknown as { card_ref: string }).card_ref);

describe('the simulated kiosk restarted on its own directory', () => {
  it('reuses its keyset, kiosk key, config and ledger; the same card keeps the same card_ref', async () => {
    const first = await startSimKiosk({ dir, pcscd: false });
    const keyset = readFileSync(first.keys_path, 'utf8');
    const cardRefKey = Buffer.from(first.card_ref_key);
    const issued = await first.issueCard('A', 5_000);
    // the bundled simulators: a fixture library card's fines through the ILS simulator, then a fixture citation
    const paid = await residentVisit(first.actor, first.counter.hand(issued.card), { kind: 'library_fine', reference: '29000000000001' });
    expect(paid.paid).toBe(true);
    const entriesBefore = first.ledger.entriesSince(0).length;
    await first.stop();

    const second = await startSimKiosk({ dir, pcscd: false });
    try {
      expect(readFileSync(second.keys_path, 'utf8')).toBe(keyset);
      expect(second.card_ref_key.equals(cardRefKey)).toBe(true);
      expect(second.ledger.entriesSince(0).length).toBe(entriesBefore);

      const again = await second.issueCard('A', 5_000); // the desk hands back the card it already issued
      expect(again.masked_serial).toBe(issued.masked_serial);
      expect(again.card.state.uidHex).toBe(issued.card.state.uidHex);
      const paidAgain = await residentVisit(second.actor, second.counter.hand(again.card), { kind: 'citation', reference: '4000123051' });
      expect(paidAgain.paid).toBe(true);

      const refs = intentsOf(second.ledger.entriesSince(0));
      expect(refs).toHaveLength(2);
      expect(refs[1]).toBe(refs[0]);
      expect(verifyLedger(second.ledger.db).ok).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('the attendant booth beside it gets back the same staff cards and signs in with the kiosk key', async () => {
    const boothDir = mkdtempSync(join(tmpdir(), 'civicard-sim-booth-'));
    const uids: string[] = [];
    for (let run = 0; run < 2; run += 1) {
      const kiosk = await startSimKiosk({ dir: boothDir, pcscd: false });
      const booth = await startSimAttendant(kiosk);
      try {
        uids.push(booth.attendantCard.state.uidHex);
        await booth.signIn(booth.attendantCard, DEMO_PINS.attendant);
      } finally {
        await booth.stop();
        await kiosk.stop();
      }
    }
    expect(uids[1]).toBe(uids[0]);
    rmSync(boothDir, { recursive: true, force: true });
  });

  it('refuses a directory whose ledger outlived its kiosk config instead of minting a new card-reference key', async () => {
    const lostDir = mkdtempSync(join(tmpdir(), 'civicard-sim-lost-'));
    await (await startSimKiosk({ dir: lostDir, pcscd: false })).stop();
    unlinkSync(join(lostDir, 'kiosk-config.json'));
    await expect(startSimKiosk({ dir: lostDir, pcscd: false })).rejects.toThrow(/ledger but no kiosk-config.json/);
    rmSync(lostDir, { recursive: true, force: true });
  });
});

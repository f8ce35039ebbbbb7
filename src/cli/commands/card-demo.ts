import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { issueCard } from '../../card/issuance';
import { generateTestKeyset, loadKeyVault, writeKeysetFile } from '../../card/keys/keyset-file';
import { Purse } from '../../card/purse';
import { runBuiltInSelftest } from '../../card/selftest';
import { storyMoney } from '../../kiosk/demo/day';
import { newTxId } from '../../shared/ids';
import { openCardReader } from '../../../hardware/pcsc';
import { startPcscd } from '../../../hardware/pcsc/pcscd-process';
import type { CardSession } from '../../../hardware/pcsc/types';
import { DesfireSim, loadCardState, saveCardStateAtomic } from '../../../hardware/sim/desfire';
import { VirtualCardInserter } from '../../../hardware/sim/vpcd';

// `civicard card demo`: the README's main job for now. A blank simulated card is
// issued, topped up, charged and torn mid-payment, all through a real pcscd, and
// each step is told in plain words.

const READER = 'Virtual PCD 00 00';

export function registerCardDemoCommand(card: Command): void {
  card
    .command('demo')
    .description('tell the story of one card: issued, topped up, charged and torn mid-payment, through real pcscd')
    .option('--dir <dir>', 'where to keep the card state and the test keyset (default: a new temp dir)')
    .action(async (opts: { dir?: string }) => {
      const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'civicard-demo-'));
      const say = (line: string) => process.stdout.write(`${line}\n`);
      say('Civicard — the story of one card, through a real pcscd, the vpcd driver and a simulated DESFire EV2 card.\n');

      const selftest = runBuiltInSelftest();
      if (!selftest.ok) throw new Error('the card-crypto self-test failed; this machine must not move money');
      say(`1. Crypto self-test: ${selftest.passed} published known answers (RFC 4493, AN10922, AN12196) reproduced.`);

      const pcscd = await startPcscd();
      const statePath = join(dir, 'card.json');
      const card = new DesfireSim({ state: loadCardState(statePath), onPersist: (s) => saveCardStateAtomic(statePath, s) });
      const inserter = new VirtualCardInserter({ port: 35963, handler: card });
      await inserter.insert();
      const reader = openCardReader({});
      say(`2. pcscd is up${pcscd.pid ? ` (pid ${pcscd.pid})` : ''}; a blank card lies on "${READER}" (state in ${statePath}).`);

      const keysPath = join(dir, 'test-keys.json');
      writeKeysetFile(keysPath, generateTestKeyset());
      say(`3. A test-only master keyset is written to ${keysPath}; stations get only the keys they need.`);

      const tap = async <T>(fn: (s: CardSession) => Promise<T>) => {
        const session = await reader.waitForCard({ reader: READER, timeout_ms: 10_000 });
        try {
          return await fn(session);
        } finally {
          await session.release();
        }
      };
      try {
        const issued = await tap((s) =>
          issueCard(s, { vault: loadKeyVault(keysPath, { simulated: true }), opening_balance_minor: 0, limit_minor: 50_000, program_id: 1, valid_years: 5, tx_id: newTxId() }),
        );
        say(`4. The issuing desk personalizes it: card ${issued.masked_serial}, balance ${storyMoney(issued.balance_minor)}, valid until ${issued.identity.expires_on}. No name, no photo, no document number goes on the card.`);

        const attendant = loadKeyVault(keysPath, { simulated: true, roles: ['credit', 'read'] });
        const topUp = await tap(async (s) => {
          const purse = new Purse(s, { vault: attendant });
          await purse.read();
          return purse.credit(newTxId(), 2_000);
        });
        if (topUp.outcome !== 'committed') throw new Error(`top-up failed: ${JSON.stringify(topUp)}`);
        say(`5. A parking attendant takes ${storyMoney(2_000)} in cash and tops the card up with the credit key: balance ${storyMoney(topUp.balance_after_minor)}, card transaction counter ${topUp.tmac_counter}.`);

        const kiosk = loadKeyVault(keysPath, { simulated: true, roles: ['debit', 'read'] });
        const fine = await tap(async (s) => {
          const purse = new Purse(s, { vault: kiosk });
          await purse.read();
          return purse.debit(newTxId(), 350);
        });
        if (fine.outcome !== 'committed') throw new Error(`fine payment failed: ${JSON.stringify(fine)}`);
        say(`6. At the library kiosk (debit key only) the resident pays a ${storyMoney(350)} fine: balance ${storyMoney(fine.balance_after_minor)}.`);

        const refused = await tap(async (s) => {
          const purse = new Purse(s, { vault: kiosk });
          await purse.read();
          return purse.debit(newTxId(), 5_000);
        });
        say(`7. A ${storyMoney(5_000)} parking citation is more than the card holds: refused (${refused.outcome === "refused" ? refused.reason : refused.outcome}), nothing moves.`);

        const parkingTx = newTxId();
        let counterBefore = 0;
        const torn = await tap(async (s) => {
          const purse = new Purse(s, { vault: kiosk });
          counterBefore = (await purse.read()).tmac_counter ?? 0;
          inserter.tearAt({ apdu: 3, when: 'after' }); // Debit, WriteRecord, then the commit: torn after the card ran it
          return purse.debit(parkingTx, 200);
        });
        say(`8. Paying ${storyMoney(200)} of parking, the resident pulls the card just as it commits. The kiosk cannot know what happened: outcome "${torn.outcome}". It asks for the same card again.`);
        await inserter.insert();
        const settled = await tap((s) => new Purse(s, { vault: kiosk }).settle(parkingTx, counterBefore));
        say(`9. The card is tapped again; its own history settles it: ${settled.outcome === 'committed' ? 'the payment did commit' : 'the payment did not happen'}, balance ${storyMoney(settled.balance_minor)}. Nothing charged twice, nothing lost.`);

        const reading = await tap((s) => new Purse(s, { vault: kiosk, records_to_read: 10 }).read());
        say(`10. The card's own history (oldest first):`);
        for (const r of reading.last_records) say(`    ${r.kind.padEnd(11)} ${storyMoney(r.amount_minor).padStart(8)}  → balance ${storyMoney(r.balance_after_minor).padStart(8)}`);
        say(`\nDone. Inspect the card again with: npx civicard card info --keys ${keysPath}  (while \`npx civicard sim card --state ${statePath}\` holds it on the reader)`);
      } finally {
        await reader.close();
        await inserter.remove();
        await pcscd.stop();
      }
    });
}

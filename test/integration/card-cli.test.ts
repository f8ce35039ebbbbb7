import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesfireClient } from '../../src/card/desfire';
import { txTagOf } from '../../src/card/layout';
import { createKioskConfig } from '../../src/kiosk/config/kiosk-config';
import { KioskLedger, loadOrCreateKioskKey } from '../../src/ledger';
import { blankCardState, DesfireSim, saveCardStateAtomic } from '../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../hardware/sim/in-memory-transport';
import { startPcscd, type PcscdHandle } from '../support/pcscd';
import { CIVICARD_CLI as CLI, runCivicard } from '../support/civicard-cli';

// The `civicard` command as an engineer at a branch library uses it: a virtual
// card in one process, `card issue` / `card info` in others, all via pcscd.

const dir = mkdtempSync(join(tmpdir(), 'civicard-cli-'));
const keys = join(dir, 'keys.json');
const otherKeys = join(dir, 'other-keys.json');
const deskLedger = join(dir, 'issuing.db');
const config = join(dir, 'kiosk-config.json');
const desk = ['--ledger', deskLedger, '--config', config];

const civicard = (...args: string[]) => runCivicard(args, { timeout_ms: 30_000 });

/** `civicard sim card` in its own process; resolves once the card is in the field. */
function simCard(state: string, ...extra: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'sim', 'card', '--state', state, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sim card did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('virtual card in the field')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`sim card exited (${code}): ${out}`)));
  });
}

async function stopSim(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

let pcscd: PcscdHandle;

beforeAll(async () => {
  pcscd = await startPcscd();
  expect((await civicard('keys', 'generate', '--out', keys)).code).toBe(0);
  expect((await civicard('keys', 'generate', '--out', otherKeys)).code).toBe(0);
  createKioskConfig(config, { kiosk_id: 'DESK-1', terminal_id: 1 });
});

afterAll(async () => {
  await pcscd?.stop();
});

describe('civicard card issue / info through pcscd', () => {
  it('issues a blank card and prints it as JSON; refuses to issue it twice; refuses foreign keys', async () => {
    const sim = await simCard(join(dir, 'card.json'));
    try {
      const unrecorded = await civicard('card', 'issue', '--test-keys', '--keys', keys, '--balance', '1500');
      expect(unrecorded.code).not.toBe(0);
      expect(unrecorded.stderr).toMatch(/an opening balance is money: give the issuing desk's --ledger/);

      const issued = await civicard('card', 'issue', '--test-keys', '--keys', keys, '--balance', '1500', ...desk);
      expect(issued.stderr).toBe('');
      expect(JSON.parse(issued.stdout)).toMatchObject({ issued: true, balance_minor: 1500 });

      const info = await civicard('card', 'info', '--test-keys', '--keys', keys);
      const card = JSON.parse(info.stdout);
      expect(card).toMatchObject({ balance_minor: 1500, status: 'active', program_id: 1 });
      expect(card.serial).toMatch(/^\d{12}$/);
      expect(card.expires_on).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      // Issued empty, then the opening balance went on as a credit the desk's ledger recorded first.
      expect(card.last_records).toEqual([
        expect.objectContaining({ kind: 'issue', amount_minor: 0, balance_after_minor: 0 }),
        expect.objectContaining({ kind: 'credit', amount_minor: 1500, balance_after_minor: 1500 }),
      ]);
      expect(info.stdout).not.toMatch(/uid/i);
      const ledger = KioskLedger.open(deskLedger, loadOrCreateKioskKey(`${deskLedger}.key.pem`));
      const entries = ledger.entriesSince(0).map((e) => e.payload as { kind: string; tx_id: string });
      expect(entries).toEqual([
        expect.objectContaining({ kind: 'credit_intent', service: 'opening_balance', amount_minor: 1500, balance_before_minor: 0 }),
        expect.objectContaining({ kind: 'credit_committed', balance_after_minor: 1500 }),
      ]);
      expect(txTagOf(entries[0]!.tx_id)).toBe(card.last_records[1].tx_tag); // the card keeps the tag, the ledger the whole id
      ledger.close();

      const again = await civicard('card', 'issue', '--test-keys', '--keys', keys);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/already has a Civicard application/);

      // A keyset without the identification key: the card shows nothing, and the command says why.
      const noIdent = join(dir, 'no-ident-keys.json');
      const keyset = JSON.parse(readFileSync(keys, 'utf8')) as { keys: Record<string, string> };
      delete keyset.keys.ident;
      writeFileSync(noIdent, JSON.stringify(keyset), { mode: 0o600 });
      const blind = await civicard('card', 'info', '--test-keys', '--keys', noIdent);
      expect(blind.code).not.toBe(0);
      expect(blind.stderr).toMatch(/no identification key: without it the card shows nothing/);
      expect(blind.stdout).toBe('');

      const wrong = await civicard('card', 'info', '--test-keys', '--keys', otherKeys);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/did not accept this station's keys/);
    } finally {
      await stopSim(sim);
    }
  });

  it('the card keeps its state file across a restart of the simulator', async () => {
    const sim = await simCard(join(dir, 'card.json'));
    try {
      const info = await civicard('card', 'info', '--test-keys', '--keys', keys);
      expect(JSON.parse(info.stdout).balance_minor).toBe(1500);
    } finally {
      await stopSim(sim);
    }
  });

  it('works with a card that hides its UID behind a fresh random one at every tap', async () => {
    const sim = await simCard(join(dir, 'random-uid.json'), '--random-uid');
    try {
      expect(JSON.parse((await civicard('card', 'issue', '--test-keys', '--keys', keys, '--balance', '700', ...desk)).stdout)).toMatchObject({ issued: true });
      expect(JSON.parse((await civicard('card', 'info', '--test-keys', '--keys', keys)).stdout)).toMatchObject({ balance_minor: 700 });
    } finally {
      await stopSim(sim);
    }
  });

  it('says so when the card belongs to another system', async () => {
    const foreign = new DesfireSim({ state: blankCardState() });
    await new DesfireClient(new InMemoryCardTransport(foreign)).createApplication(Buffer.from('112233', 'hex'), 0x0f, 1);
    const statePath = join(dir, 'foreign.json');
    saveCardStateAtomic(statePath, foreign.state);
    const sim = await simCard(statePath);
    try {
      const info = await civicard('card', 'info', '--test-keys', '--keys', keys);
      expect(info.code).not.toBe(0);
      expect(info.stderr).toMatch(/no Civicard application: it is blank or belongs to another system/);
    } finally {
      await stopSim(sim);
    }
  });

  it('says so when no card is on the reader, and when there is no reader at all', async () => {
    const noCard = await civicard('card', 'info', '--test-keys', '--keys', keys, '--timeout', '2');
    expect(noCard.code).not.toBe(0);
    expect(noCard.stderr).toMatch(/no card/i);

    await pcscd.stop();
    try {
      const noReader = await civicard('card', 'info', '--test-keys', '--keys', keys, '--timeout', '2');
      expect(noReader.code).not.toBe(0);
      expect(noReader.stderr).toMatch(/no card reader|pcscd/i);
    } finally {
      pcscd = await startPcscd();
    }
  });
});

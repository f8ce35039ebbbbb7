import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { signRequest } from '../../src/backoffice/auth/request-signing';
import { openBackOfficeDb } from '../../src/backoffice/db/connect';
import { ScenarioClock, ScenarioKiosk, TestCard } from '../support/reconcile-scenario';
import { CIVICARD_CLI as CLI, runCivicard } from '../support/civicard-cli';

// `civicard admin lost-card` on an SQLite back office holding a card's
// history, then `civicard server` answering the code to the station over HTTP.

const dir = mkdtempSync(join(tmpdir(), 'civicard-lost-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const REF = 'ab'.repeat(16);

const civicard = (...args: string[]) => runCivicard(args);

it('hotlists the card, prints one authorisation for its balance, and the server answers the code to an enrolled station', async () => {
  const db = `sqlite:${join(dir, 'bo.db')}`;
  const desk = new ScenarioKiosk('City Hall desk', new ScenarioClock('2026-03-02T15:00:00.000Z'));
  const store = await openBackOfficeDb(db);
  try {
    await desk.enroll(store);
    desk.pay(new TestCard(REF, 0, 1), 'top_up', 2_500);
    await desk.sync(store);
  } finally {
    await store.close();
  }

  const first = await civicard('admin', 'lost-card', '--db', db, '--card-ref', REF);
  expect(first.code).toBe(0);
  const auth = JSON.parse(first.stdout) as { replacement_id: string; code: string; amount_minor: number; hotlist_version: number; status: string };
  expect(auth).toMatchObject({ card_ref: REF, amount_minor: 2_500, status: 'pending', hotlist_version: 1 });
  const again = JSON.parse((await civicard('admin', 'lost-card', '--db', db, '--card-ref', REF)).stdout) as typeof auth;
  expect(again).toMatchObject({ replacement_id: auth.replacement_id, code: auth.code });

  const unknown = await civicard('admin', 'lost-card', '--db', db, '--card-ref', 'cd'.repeat(16));
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/^civicard: no transactions of card cdcdcdcd… are held by the back office/m);
  const badTime = await civicard('admin', 'lost-card', '--db', db, '--card-ref', REF, '--as-of', 'yesterday');
  expect(badTime.stderr).toMatch(/--as-of must be an ISO 8601 time/);

  const proc = spawn(process.execPath, [CLI, 'server', '--db', db, '--port', '0', '--no-nightly'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        const m = /^back office listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`civicard server exited (${code})`)));
    });
    const path = `/v1/replacements/${auth.code}`;
    const res = await fetch(`${url}${path}`, { headers: signRequest({ method: 'GET', path, body: '', key: desk.key.privateKey, kiosk_id: desk.kiosk_id, now: Date.now() }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: auth.replacement_id, code: auth.code, old_card_ref: REF, amount_minor: 2_500, status: 'pending' });
  } finally {
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  }
}, 30_000);

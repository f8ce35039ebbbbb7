import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CIVICARD_CLI as CLI, runCivicard } from '../support/civicard-cli';

// `civicard library ils-sim` and `civicard library fines` as a member of staff
// runs them: the simulator on a port the system picks, the lookup against it.

const DATA = join(process.cwd(), 'test/fixtures/ils/library.json');
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

async function startSim(profile: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, 'library', 'ils-sim', '--port', '0', '--data', DATA, '--profile', profile], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) return { port: Number(m[1]), child };
  }
  throw new Error(`the simulator did not start: ${out}`);
}

const civicard = (...args: string[]) => runCivicard(args);

describe('civicard library', () => {
  it('fines prints the fines and total in minor units as JSON, without the patron’s name, address or id', async () => {
    const { port } = await startSim('koha');
    const r = await civicard('library', 'fines', '--sip2', `127.0.0.1:${port}`, '--patron', '29000000000001', '--login', 'kiosk:kiosk-pass', '--institution', 'CIVICLIB', '--pin', '1234');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      status: 'found',
      pin: 'valid',
      currency: 'USD',
      total_minor: 525,
      payable: 'total_only',
      items: [
        { fee_id: null, amount_minor: 350, description: 'Overdue fine' },
        { fee_id: null, amount_minor: 175, description: 'Lost card replacement' },
      ],
    });
    expect(r.stdout).not.toMatch(/Sample Patron|Sample Street|29000000000001|1234/);
  });

  it('with the Evergreen 3m profile each item carries its fee id', async () => {
    const { port } = await startSim('evergreen-3m');
    const r = await civicard('library', 'fines', '--sip2', `127.0.0.1:${port}`, '--patron', '29000000000001', '--login', 'kiosk:kiosk-pass', '--profile', 'evergreen-3m');
    expect(JSON.parse(r.stdout)).toMatchObject({ payable: 'per_item', items: [{ fee_id: '1041', amount_minor: 350 }, { fee_id: '1042', amount_minor: 175 }] });
  });

  it('says wrong_pin or unknown_patron and exits 1; a refused SC login is said without the password or patron id', async () => {
    const { port } = await startSim('koha');
    const wrong = await civicard('library', 'fines', '--sip2', `127.0.0.1:${port}`, '--patron', '29000000000001', '--login', 'kiosk:kiosk-pass', '--pin', '9999');
    expect(wrong).toMatchObject({ code: 1, stdout: '{"status":"wrong_pin"}\n' });
    const unknown = await civicard('library', 'fines', '--sip2', `127.0.0.1:${port}`, '--patron', 'nobody', '--login', 'kiosk:kiosk-pass');
    expect(unknown).toMatchObject({ code: 1, stdout: '{"status":"unknown_patron"}\n' });
    const refused = await civicard('library', 'fines', '--sip2', `127.0.0.1:${port}`, '--patron', '29000000000001', '--login', 'kiosk:not-the-password');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the SC login/);
    expect(refused.stderr).not.toMatch(/not-the-password|29000000000001/);
  });
});

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTcpListening, VPCD_PORTS } from '../support/pcscd';

// `npm start` as a newcomer runs it (`civicard start`), with free ports and no
// browser of its own: the back office, the kiosk on a real pcscd + vpcd, the
// web shell. The printed URLs are all the test is told; real Chromium loads
// them, a card is tapped from the simulated-devices panel, and Ctrl-C (SIGINT)
// ends it all cleanly, its pcscd included. Run under flock /tmp/civicard-pcscd.lock.

const CLI = join(process.cwd(), 'bin/civicard.js');
const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'civicard-start-test-'));
let child: ChildProcess;
let stdout = '';
let kioskUrl = '';
let panelUrl = '';
let backofficeUrl = '';
let browser: Browser;

function pcscdChildren(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-x', 'pcscd'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash scripts/setup.sh (apt-get install chromium)`);
  if (await isTcpListening(VPCD_PORTS[0])) throw new Error(`a pcscd already listens on ${VPCD_PORTS[0]}: run this test alone, under flock /tmp/civicard-pcscd.lock`);
  child = spawn(process.execPath, [CLI, 'start', '--no-open', '--dir', dir, '--port', '0', '--sim-port', '0', '--backoffice-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DISPLAY: '' } });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`civicard start did not get ready: ${stdout}`)), 90_000);
    const read = (d: Buffer) => {
      stdout += d.toString();
      const kiosk = /kiosk screen: +(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)\n/.exec(stdout);
      const panel = /simulated devices \+ kiosk: +(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)\n/.exec(stdout);
      const bo = /back office at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (kiosk && panel && bo && stdout.includes('Ctrl-C stops everything.')) {
        clearTimeout(timer);
        [kioskUrl, panelUrl, backofficeUrl] = [kiosk[1]!, panel[1]!, bo[1]!];
        resolve();
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`civicard start exited (${code}) before it was ready: ${stdout}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for the kiosk's screen, reading GET /api/state with the token from the printed URL. */
async function kioskAt(screen: RegExp, timeout_ms = 15_000): Promise<Record<string, unknown>> {
  const url = new URL(kioskUrl);
  const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const view = (await (await fetch(`${url.origin}/api/state`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    if (screen.test(String(view.screen))) return view;
    if (Date.now() > deadline) throw new Error(`the kiosk stayed at ${String(view.screen)}, expected ${screen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** POST with the session token on the API (kiosk URL's origin) or the simulator (panel URL's origin). */
async function send(on: 'api' | 'sim', path: string, body: unknown): Promise<number> {
  const url = new URL(on === 'api' ? kioskUrl : panelUrl);
  const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
  const res = await fetch(`${url.origin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.status;
}

describe('civicard start (npm start)', () => {
  it('runs the kiosk through its own pcscd, says so, and serves the page and the API through the printed URL', async () => {
    expect(stdout).toContain('cards via pcscd');
    expect(pcscdChildren(child.pid!)).toHaveLength(1);
    const url = new URL(kioskUrl);
    const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
    const page = await fetch(`${url.origin}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect((await fetch(`${url.origin}/api/state`)).status).toBe(401);
    const state = await fetch(`${url.origin}/api/state`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await state.json()) as { screen: string }).screen).toBe('idle');
  });

  it('runs the embedded back office', async () => {
    const res = await fetch(`${backofficeUrl}/nope`);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('sells the bundled simulators and enrolls the kiosk and booth in its back office', () => {
    expect(stdout).toMatch(/selling library fines \(ILS simulator, SIP2 on 127\.0\.0\.1:\d+\), parking \(.*\), citations \(.*\)/);
    expect(stdout).toMatch(/kiosk \S+ \(active\) and booth \S+ \(active\) enrolled; their ledgers sync to it in the background/);
  });

  it('a payment made through the API shows up in the back office within seconds', async () => {
    const db = new Database(join(dir, 'backoffice.db'), { readonly: true, fileMustExist: true });
    try {
      const held = () => (db.prepare("SELECT count(*) AS n FROM entries WHERE kind = 'committed'").get() as { n: number }).n;
      expect(held()).toBe(0);
      expect(await send('sim', '/sim/card/present', { card: 'B' })).toBe(200);
      await kioskAt(/^session\.balanceShown$/);
      await send('api', '/api/command', { type: 'CONTINUE' });
      await send('api', '/api/command', { type: 'SELECT_SERVICE', kind: 'citation', reference: '4000123051' });
      await kioskAt(/^session\.confirming$/);
      await send('api', '/api/command', { type: 'CONFIRM' });
      await kioskAt(/^payment\.done$/);
      const paid_at = Date.now();
      await expect.poll(held, { timeout: 10_000, interval: 100 }).toBe(1);
      expect(Date.now() - paid_at).toBeLessThan(10_000);
      await send('sim', '/sim/card/withdraw', {});
      await send('api', '/api/command', { type: 'FINISH' });
      await kioskAt(/^idle$/);
    } finally {
      db.close();
    }
  }, 40_000);

  it('in Chromium: the kiosk shows its attract screen; "Tap card A" on the panel brings the balance screen, "Pull card" is told', async () => {
    const kiosk = await browser.newPage({ viewport: { width: 1080, height: 1920 } });
    await kiosk.goto(kioskUrl);
    await kiosk.locator('[data-screen="attract"][data-state="idle"]').waitFor({ timeout: 15_000 });

    const panel = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await panel.goto(panelUrl);
    const framed = panel.frameLocator('#kiosk');
    await framed.locator('[data-screen="attract"][data-state="idle"]').waitFor({ timeout: 15_000 });
    await panel.getByTestId('sim-tap-A').click();
    await framed.locator('[data-screen="balance"]').waitFor({ timeout: 20_000 });
    await kiosk.locator('[data-screen="balance"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => kiosk.getByTestId('balance').textContent()).toMatch(/20\.00/);
    await panel.getByTestId('sim-pull').click();
    // a card pulled on the balance screen: the kiosk says so and waits for it a moment before going back to idle
    await framed.locator('[data-state="session.waitingForCard"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => panel.getByTestId('sim-status').textContent()).toMatch(/pulled/);
  }, 90_000);

  it('stops cleanly on Ctrl-C (SIGINT): exit 0, its pcscd gone, the ports closed', async () => {
    const pcscd = pcscdChildren(child.pid!);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/SIGINT: stopping\n[\s\S]*stopped\n$/);
    for (const pid of pcscd) expect(alive(pid), `pcscd ${pid}`).toBe(false);
    expect(await isTcpListening(VPCD_PORTS[0])).toBe(false);
    await expect(fetch(new URL(kioskUrl).origin)).rejects.toThrow();
  }, 30_000);
});

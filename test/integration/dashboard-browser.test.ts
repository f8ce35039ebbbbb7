import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signRequest } from '../../src/backoffice/auth/request-signing';
import { newKioskKey, testKiosk, type TestKiosk } from '../support/backoffice-fixtures';

// The dashboard as a finance clerk meets it: a real `civicard server` process
// (SQLite file), the first accounts made with `civicard admin user add`, a
// kiosk enrolled with `civicard admin enroll` and synced over HTTP, then real
// Chromium at a 1366-wide laptop screen logging in and reading the day, the
// kiosks and a card — with an axe-core scan (WCAG 2 A/AA) of every page.

const run = promisify(execFile);
const CLI = join(process.cwd(), 'bin/civicard.js');
const CHROMIUM = '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'seven a.m. coffee first';
const CARD = 'c0ffee00c0ffee00c0ffee00c0ffee00';

let dir: string;
let server: ChildProcess;
let url: string;
let browser: Browser;
let kiosk: TestKiosk;

async function civicard(...args: string[]) {
  return run(process.execPath, [CLI, ...args]);
}

function signedPost(path: string, body: unknown) {
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', ...signRequest({ method: 'POST', path, body: text, key: kiosk.key.privateKey, kiosk_id: kiosk.kiosk_id, now: Date.now() }) };
  return fetch(`${url}${path}`, { method: 'POST', headers, body: text });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error('Chromium is not installed: run bash scripts/setup.sh');
  dir = mkdtempSync(join(tmpdir(), 'civicard-dashboard-'));
  const db = `sqlite:${join(dir, 'backoffice.db')}`;
  kiosk = testKiosk(newKioskKey(), '0190e000', join(dir, 'kiosk.db'));
  kiosk.pay(3);
  await civicard('admin', 'enroll', '--db', db, '--ledger', join(dir, 'kiosk.db'), '--name', 'Central Library <lobby>');
  writeFileSync(join(dir, 'password'), `${PASSWORD}\n`, { mode: 0o600 });
  await civicard('admin', 'user', 'add', '--db', db, '--username', 'fran', '--role', 'finance', '--password-file', join(dir, 'password'));

  server = spawn(process.execPath, [CLI, 'server', '--db', db, '--port', '0', '--time-zone', 'UTC', '--reports', join(dir, 'reports')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout! }).on('line', (line) => {
      const m = /^back office listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(line);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`civicard server exited (${code}) before listening: ${stderr}`)));
  });

  expect((await signedPost('/v1/sync/batch', { kiosk_id: kiosk.kiosk_id, entries: kiosk.rows() })).status).toBe(200);
  // The same number with a different entry: kept as evidence, raised today as a critical exception.
  const changed = { ...kiosk.rows(3, 3)[0]!, at: '2020-01-01T00:00:00.000Z' };
  expect((await signedPost('/v1/sync/batch', { kiosk_id: kiosk.kiosk_id, entries: [changed] })).status).toBe(409);

  // The night's run, for today (the kiosk's payments are today's): what the clerk reads in the morning.
  const today = new Date().toISOString().slice(0, 10);
  await civicard('reconcile', '--db', db, '--date', today, '--time-zone', 'UTC', '--out', join(dir, 'reports', today));

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (server !== undefined && server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  kiosk?.ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

/** axe-core in the page (evaluated as a string: the page's CSP allows no script of its own), every WCAG 2 A/AA violation listed. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(`(async () => {
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => v.id + ': ' + v.help + ' (' + v.nodes.map((n) => n.target.join(' ')).join(', ') + ')');
  })()`) as Promise<string[]>;
}

async function fitsTheScreen(page: Page): Promise<boolean> {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') as Promise<boolean>;
}

it('a finance clerk logs in on a laptop, reads the day, the kiosks and a card; every page passes axe', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') blocked.push(m.text());
  });
  const today = new Date().toISOString().slice(0, 10);

  await page.goto(`${url}/dashboard?date=${today}`);
  expect(page.url()).toContain('/login?next=');
  expect(await axeViolations(page)).toEqual([]);
  await page.getByLabel('Username').fill('fran');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();

  await page.waitForURL(`${url}/dashboard?date=${today}`);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`The day: ${today}`);
  expect(await page.getByText('Not reconciled yet').count()).toBe(0);
  const totals = page.getByRole('table', { name: 'Totals of the day' });
  expect(await totals.getByRole('row', { name: 'Debits (payments) 10.50' }).count()).toBe(1);
  expect(await page.getByRole('link', { name: 'report.pdf' }).count()).toBe(1);
  const exceptions = page.getByRole('table', { name: `Exceptions of ${today}` });
  expect(await exceptions.getByRole('cell', { name: 'sync_conflict' }).count()).toBe(1);
  expect(await exceptions.getByRole('cell', { name: 'Central Library <lobby>' }).count()).toBeGreaterThan(0);
  // The stylesheet loads under the CSP: the header has its colour.
  expect(await page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")).toBe('rgb(18, 50, 92)');
  expect(await axeViolations(page)).toEqual([]);
  expect(await fitsTheScreen(page)).toBe(true);

  await page.getByRole('link', { name: 'Kiosks' }).click();
  await page.waitForURL(`${url}/kiosks`);
  const kiosks = page.getByRole('table');
  expect(await kiosks.getByText('Synced within the hour', { exact: true }).count()).toBe(1);
  expect(await kiosks.getByRole('cell', { name: '6', exact: true }).count()).toBe(1);
  expect(await page.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
  expect(await axeViolations(page)).toEqual([]);
  expect(await fitsTheScreen(page)).toBe(true);

  await page.getByRole('link', { name: 'Cards' }).click();
  await page.getByLabel('Card reference (at least 8 hexadecimal digits)').fill(CARD.slice(0, 10));
  await page.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL(`${url}/cards/${CARD}`);
  expect(await page.getByRole('table', { name: /History by the card's own counter \(6 entries\)/ }).count()).toBe(1);
  expect(await axeViolations(page)).toEqual([]);
  expect(await fitsTheScreen(page)).toBe(true);

  for (const path of ['/cards', '/hotlist', '/config', '/kiosks?enrolled=%3Cb%3Ex']) {
    await page.goto(`${url}${path}`);
    expect(await axeViolations(page), path).toEqual([]);
  }

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(`${url}/login`);
  await page.goto(`${url}/kiosks`);
  expect(page.url()).toContain('/login?next=%2Fkiosks');
  expect(blocked).toEqual([]);
  await context.close();
});

it('civicard admin user add takes the password from stdin or a file, never from the command line', async () => {
  const db = `sqlite:${join(dir, 'accounts.db')}`;
  const piped = spawn(process.execPath, [CLI, 'admin', 'user', 'add', '--db', db, '--username', 'ada', '--role', 'administrator'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  piped.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  piped.stdin!.end(`${PASSWORD}\nignored second line\n`);
  const [code] = (await once(piped, 'exit')) as [number];
  expect(code).toBe(0);
  expect(JSON.parse(out)).toEqual({ username: 'ada', role: 'administrator' });
  await expect(civicard('admin', 'user', 'add', '--db', db, '--username', 'bob', '--role', 'finance', '--password', PASSWORD)).rejects.toThrow(/unknown option '--password'/);
  await expect(civicard('admin', 'user', 'add', '--db', db, '--username', 'bob', '--role', 'finance', '--password-file', join(dir, 'missing'))).rejects.toThrow(/ENOENT|no such file/);
  await expect(civicard('admin', 'user', 'add', '--db', db, '--username', 'ada', '--role', 'finance', '--password-file', join(dir, 'password'))).rejects.toThrow(/a user ada already exists/);
  const { stdout } = await civicard('admin', 'user', 'disable', '--db', db, '--username', 'ada');
  expect(JSON.parse(stdout)).toEqual({ username: 'ada', role: 'administrator', disabled: true });
});

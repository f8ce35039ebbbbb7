import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { enrollKiosk } from '../../../src/backoffice/auth/enrollment';
import { FAILURE_WINDOW_MS, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USERNAME } from '../../../src/backoffice/auth/login';
import { SESSION_IDLE_MS, SESSION_LIFETIME_MS } from '../../../src/backoffice/auth/sessions';
import { addUser, disableUser, hashPassword, passwordMatches, UserError } from '../../../src/backoffice/auth/users';
import type { DownlinkAdmin } from '../../../src/backoffice/dashboard/actions';
import { escapeHtml, html } from '../../../src/backoffice/dashboard/html';
import { buildServer, type ServerOptions } from '../../../src/backoffice/server';
import { newKioskKey } from '../../support/backoffice-fixtures';
import { forEachStore } from '../../support/backoffice-stores';
import { addStaff, Browser, PASSWORD } from '../../support/dashboard-client';

// Who may see and do what on the dashboard: login, sessions, CSRF, the role
// matrix of every route, and escaping. Through fastify.inject, both stores.

const T0 = Date.parse('2025-03-05T07:00:00.000Z');
const CARD = 'c0ffee00c0ffee00c0ffee00c0ffee00';

/** An in-memory stand-in for downlink's publishing (the real one is tested on its own branch). */
function memoryDownlink(): DownlinkAdmin {
  const cards = new Set<string>();
  let version = 0;
  const bundles: { version: number; published_at: string; contents_json: string }[] = [];
  return {
    hotlist: async () => ({ version, card_refs: [...cards].sort() }),
    changeHotlist: async (action, ref) => {
      if (action === 'add') cards.add(ref);
      else cards.delete(ref);
      return ++version;
    },
    latestBundle: async () => bundles.at(-1) ?? null,
    publishBundle: async (contents, now) => {
      const v = bundles.length + 1;
      bundles.push({ version: v, published_at: now.toISOString(), contents_json: JSON.stringify(contents, null, 2) });
      return v;
    },
  };
}

describe('password hashes', () => {
  it('are salted scrypt with their parameters in the string, and only the right password matches', async () => {
    const a = await hashPassword('a long passphrase');
    const b = await hashPassword('a long passphrase');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await passwordMatches('a long passphrase', a)).toBe(true);
    expect(await passwordMatches('a long passphrasE', a)).toBe(false);
    expect(await passwordMatches('x', 'garbage')).toBe(false);
  });
});

describe('the escaping helper', () => {
  it('escapes every interpolated string, in text and attributes, and leaves built Html alone', () => {
    const evil = `<script>alert("x")</script>' onmouseover=\``;
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe(`<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`);
    expect(html`<p title="${evil}">${evil}</p>`.text).not.toMatch(/<script|"x"|' on/);
    expect(html`<ul>${['<a>', html`<li>b</li>`]}</ul>`.text).toBe('<ul>&lt;a&gt;<li>b</li></ul>');
  });
});

forEachStore('dashboard access', (t) => {
  let clock: number;
  let app: FastifyInstance;
  let reports: string;
  let lines: string[];
  let kiosk_id: string;

  async function start(extra: Partial<ServerOptions['dashboard']> = {}) {
    await app?.close();
    app = buildServer({
      store: t.store,
      now: () => clock,
      log: (l) => lines.push(l),
      dashboard: {
        time_zone: 'America/Chicago',
        reports_dir: reports,
        actions: {
          reconcile: async (date) => {
            mkdirSync(join(reports, date), { recursive: true });
            writeFileSync(join(reports, date, 'exceptions.csv'), 'kind\n');
          },
          downlink: memoryDownlink(),
        },
        ...extra,
      },
    });
  }

  beforeEach(async () => {
    clock = T0;
    lines = [];
    reports = mkdtempSync(join(tmpdir(), 'civicard-reports-'));
    mkdirSync(join(reports, '2025-03-04'));
    writeFileSync(join(reports, '2025-03-04', 'exceptions.csv'), 'kind,severity\n');
    kiosk_id = (await enrollKiosk(t.store, { publicKeyPem: newKioskKey().publicKeyPem, name: 'Lobby', by: 'test' })).kiosk_id;
    await addStaff(t.store, 'fran', 'finance');
    await addStaff(t.store, 'ada', 'administrator');
    await start();
  });
  afterEach(async () => {
    await app.close();
    rmSync(reports, { recursive: true, force: true });
  });

  describe('login', () => {
    it('opens a session in an HttpOnly, SameSite=Strict cookie on Path=/ and lands on the day', async () => {
      const b = new Browser(app);
      const res = await b.login('fran');
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/dashboard');
      const set = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]).find((c) => c.startsWith('civicard_session='))!;
      expect(set).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
      expect(set).not.toMatch(/Secure/);
      const day = await b.get('/dashboard');
      expect(day.statusCode).toBe(200);
      expect(day.body).toContain('fran (finance)');
      expect(day.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      expect(lines.some((l) => l.includes('dashboard login: user=fran role=finance'))).toBe(true);
    });

    it('marks the cookies Secure (and __Host-) when the dashboard is served over TLS', async () => {
      await start({ secure_cookies: true });
      const res = await new Browser(app).login('fran');
      const set = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]).find((c) => c.startsWith('__Host-civicard_session='));
      expect(set).toMatch(/; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/);
    });

    it('refuses a wrong password or an unknown user the same way, and logs it without the password', async () => {
      for (const [user, password] of [
        ['fran', 'not the password at all'],
        ['nobody', PASSWORD],
      ] as const) {
        const b = new Browser(app);
        const res = await b.login(user, password);
        expect(res.statusCode).toBe(401);
        expect(res.body).toContain('That username and password do not match an active account.');
        expect(b.cookies.has('civicard_session')).toBe(false);
      }
      expect(lines.filter((l) => l.startsWith('dashboard login refused: bad_credentials'))).toHaveLength(2);
      expect(lines.join('\n')).not.toContain('not the password at all');
      expect(lines.join('\n')).not.toContain(PASSWORD);
    });

    it('refuses a disabled account, and disabling ends its open sessions', async () => {
      const b = new Browser(app);
      await b.login('fran');
      await disableUser(t.store, 'fran');
      expect((await b.get('/dashboard')).statusCode).toBe(303);
      expect((await new Browser(app).login('fran')).statusCode).toBe(401);
    });

    it('limits failures per username (from anywhere), says how long to wait, and forgives after the window', async () => {
      const guesser = new Browser(app, '198.51.100.1');
      for (let i = 0; i < MAX_FAILURES_PER_USERNAME; i++) expect((await guesser.login('fran', `guess ${i} guess ${i}`)).statusCode).toBe(401);
      const blocked = await guesser.login('fran');
      expect(blocked.statusCode).toBe(429);
      expect(blocked.body).toContain('Too many failed logins for this username or from this computer. Wait 15 min and try again');
      expect(blocked.headers['retry-after']).toBe(String(FAILURE_WINDOW_MS / 1000));
      // The same username from elsewhere waits too (even with the right password); another username does not.
      expect((await new Browser(app, '192.0.2.9').login('fran')).statusCode).toBe(429);
      expect((await guesser.login('ada')).statusCode).toBe(303);
      clock += FAILURE_WINDOW_MS;
      expect((await guesser.login('fran')).statusCode).toBe(303);
      expect(lines.some((l) => l.startsWith('dashboard login refused: rate_limited user="fran" ip=198.51.100.1'))).toBe(true);
    });

    it('limits failures per address across usernames, more loosely (an office may share one address)', async () => {
      const sprayer = new Browser(app, '198.51.100.2');
      for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) expect((await sprayer.login(`user${i}`, 'some wrong password')).statusCode).toBe(401);
      expect((await sprayer.login('ada')).statusCode).toBe(429);
      expect((await new Browser(app, '198.51.100.3').login('ada')).statusCode).toBe(303);
    });

    it('refuses a login form not served by the dashboard (login CSRF)', async () => {
      const b = new Browser(app);
      const res = await b.post('/login', { csrf: 'forged', username: 'fran', password: PASSWORD });
      expect(res.statusCode).toBe(403);
      expect(b.cookies.has('civicard_session')).toBe(false);
    });

    it('only sends the browser on to a path of this site after login', async () => {
      const b = new Browser(app);
      const form = await b.get('/login?next=//evil.example/x');
      expect(form.body).toContain('name="next" value="/dashboard"');
      const res = await b.post('/login', { csrf: /name="csrf" value="([^"]+)"/.exec(form.body)![1]!, username: 'fran', password: PASSWORD, next: 'https://evil.example/' });
      expect(res.headers.location).toBe('/dashboard');
    });
  });

  describe('sessions', () => {
    it('end 8 h after login even when used all along', async () => {
      const b = new Browser(app);
      await b.login('fran');
      for (let at = 0; at < SESSION_LIFETIME_MS; at += SESSION_IDLE_MS / 2) {
        clock = T0 + at;
        expect((await b.get('/kiosks')).statusCode).toBe(200);
      }
      clock = T0 + SESSION_LIFETIME_MS;
      const res = await b.get('/kiosks');
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/login?next=%2Fkiosks');
    });

    it('end after 30 min without a request', async () => {
      const b = new Browser(app);
      await b.login('fran');
      clock = T0 + SESSION_IDLE_MS - 1000;
      expect((await b.get('/dashboard')).statusCode).toBe(200);
      clock += SESSION_IDLE_MS;
      expect((await b.get('/dashboard')).statusCode).toBe(303);
    });

    it('end at logout: the old cookie opens nothing', async () => {
      const b = new Browser(app);
      await b.login('fran');
      const cookie = b.cookies.get('civicard_session')!;
      const out = await b.post('/logout', { csrf: await b.csrf() });
      expect(out.statusCode).toBe(303);
      const replay = await app.inject({ method: 'GET', url: '/dashboard', headers: { cookie: `civicard_session=${cookie}` } });
      expect(replay.statusCode).toBe(303);
    });
  });

  describe('CSRF', () => {
    it('refuses a POST without the session token, or with another session token, and changes nothing', async () => {
      const admin = new Browser(app);
      await admin.login('ada');
      const other = new Browser(app);
      await other.login('ada');
      const key = newKioskKey().publicKeyPem;
      for (const csrf of [undefined, 'x', await other.csrf()]) {
        const res = await admin.post('/kiosks/enroll', { ...(csrf === undefined ? {} : { csrf }), public_key_pem: key, name: 'Forged' });
        expect(res.statusCode).toBe(403);
        expect(res.body).toContain('This form is out of date or did not come from this dashboard, so nothing was changed.');
      }
      expect(await t.store.db.selectFrom('kiosks').select('name').where('name', '=', 'Forged').execute()).toEqual([]);
      expect((await admin.post('/kiosks/enroll', { csrf: await admin.csrf(), public_key_pem: key, name: 'Real' })).statusCode).toBe(303);
    });
  });

  describe('role matrix', () => {
    const gets = () => ['/', '/dashboard', '/dashboard?date=2025-03-04', '/kiosks', '/cards', `/cards?q=${CARD.slice(0, 8)}`, `/cards/${CARD}`, '/hotlist', '/config', '/reports/2025-03-04/exceptions.csv'];
    const adminPosts = (): [string, Record<string, string>][] => [
      ['/kiosks/enroll', { public_key_pem: newKioskKey().publicKeyPem, name: 'New' }],
      [`/kiosks/${kiosk_id}/revoke`, {}],
      ['/reconcile', { date: '2025-03-03' }],
      ['/hotlist', { action: 'add', card_ref: CARD }],
      ['/config', { contents: '{"fees":{}}' }],
    ];

    it('anonymous: every page sends to the login, every POST is refused', async () => {
      const anon = new Browser(app);
      for (const url of gets()) {
        const res = await anon.get(url);
        expect(res.statusCode, url).toBe(303);
        expect(res.headers.location, url).toMatch(/^\/(login\?next=|dashboard$)/);
      }
      for (const [url, form] of [...adminPosts(), ['/logout', {}] as [string, Record<string, string>]]) {
        expect((await anon.post(url, { ...form, csrf: 'x' })).statusCode, url).toBe(401);
      }
      expect((await anon.get('/login')).statusCode).toBe(200);
    });

    it('finance: reads every page, and gets 403 on each administrator action', async () => {
      const fran = new Browser(app);
      await fran.login('fran');
      for (const url of gets()) expect((await fran.get(url)).statusCode, url).toBeLessThan(400);
      const csrf = await fran.csrf();
      for (const [url, form] of adminPosts()) {
        const res = await fran.post(url, { ...form, csrf });
        expect(res.statusCode, url).toBe(403);
        expect(res.body, url).toContain('Only an administrator may do this.');
      }
      expect(await t.store.db.selectFrom('kiosks').select('status').where('kiosk_id', '=', kiosk_id).executeTakeFirst()).toEqual({ status: 'active' });
      const pages = [await fran.get('/kiosks'), await fran.get('/hotlist'), await fran.get('/config'), await fran.get('/dashboard?date=2025-03-01')];
      for (const p of pages) expect(p.body).not.toMatch(/action="\/(kiosks\/enroll|kiosks\/[^"]+\/revoke|hotlist|config|reconcile)"/);
    });

    it('administrator: reads every page and may do each action', async () => {
      const ada = new Browser(app);
      await ada.login('ada');
      for (const url of gets()) expect((await ada.get(url)).statusCode, url).toBeLessThan(400);
      const csrf = await ada.csrf();
      for (const [url, form] of adminPosts()) expect((await ada.post(url, { ...form, csrf })).statusCode, url).toBe(303);
      expect(await t.store.db.selectFrom('kiosks').select('status').where('kiosk_id', '=', kiosk_id).executeTakeFirst()).toEqual({ status: 'revoked' });
      expect((await ada.get('/hotlist')).body).toContain(CARD);
      expect((await ada.get('/config')).body).toContain('&quot;fees&quot;');
    });
  });

  it('shows hostile strings as text on every page they reach', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const k = await enrollKiosk(t.store, { publicKeyPem: newKioskKey().publicKeyPem, name: evil, by: 'test' });
    await t.store.db
      .insertInto('exceptions')
      .values({ kind: 'sync_conflict', severity: 'critical', kiosk_id: k.kiosk_id, card_ref: CARD, tx_id: null, business_date: '2025-03-04', explanation: evil, detail: '{}', raised_at: new Date(T0).toISOString() })
      .execute();
    const b = new Browser(app);
    await b.login('fran');
    for (const url of ['/kiosks', '/dashboard?date=2025-03-04', `/cards/${CARD}`, `/cards?q=${encodeURIComponent(evil)}`, `/dashboard?date=${encodeURIComponent(evil)}`]) {
      const res = await b.get(url);
      expect(res.body, url).not.toContain('<script>alert');
      expect(res.body, url).not.toContain('<img src=x');
    }
    expect((await b.get('/kiosks')).body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('user accounts', () => {
  it('refuse a weak password or a bad username before touching the store', async () => {
    const store = undefined as never;
    await expect(addUser(store, { username: 'ok-name', password: 'short', role: 'finance' })).rejects.toThrow(UserError);
    await expect(addUser(store, { username: 'Bad Name', password: PASSWORD, role: 'finance' })).rejects.toThrow(/lower-case letters/);
  });
});

import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EnrollmentError, enrollKiosk, revokeKiosk } from '../auth/enrollment';
import { attemptLogin, loginThrottles } from '../auth/login';
import { endSession, findSession, sameToken, SESSION_IDLE_MS, SESSION_LIFETIME_MS, type SessionTimes } from '../auth/sessions';
import type { BackOfficeStore } from '../db/connect';
import type { UserRole } from '../db/schema';
import { LostCardError, reportLostCard } from '../lost-card/replacements';
import type { DashboardActions } from './actions';
import {
  CARD_REF_PREFIX,
  cardHistory,
  exceptionsOfCard,
  exceptionsOfDay,
  kioskHealth,
  readSummary,
  REPORT_FILES,
  reportDir,
  reportFilesOf,
  searchCards,
  type ExceptionRow,
  type SummaryView,
} from './data';
import { age, isDate, localDate, localTime, money, nextDate, previousDate, shortRef } from './format';
import { html, type Html } from './html';
import { CSP, csrfField, page, STYLESHEET, type Viewer } from './layout';

// The finance dashboard (docs/dashboard.md): server-rendered pages for staff
// who log in. finance reads everything; only an administrator may change
// anything (enroll, revoke, hotlist, configuration, run a reconciliation).
// Every POST carries the session's CSRF token; every answer forbids framing,
// scripts and caching.

export interface DashboardOptions {
  /** The back office's time zone: what "yesterday" and a business day mean. */
  time_zone?: string;
  /** Where reconciliation output lives: DIR/YYYY-MM-DD/summary.json, report.pdf, *.csv. */
  reports_dir?: string;
  /** Mark the cookies Secure (set when the dashboard is served over TLS, e.g. behind a proxy). */
  secure_cookies?: boolean;
  session?: Partial<SessionTimes>;
  actions?: DashboardActions;
}

interface Context {
  store: BackOfficeStore;
  now: () => number;
  log?: (line: string) => void;
}

const FORM_BYTES = 256 * 1024;
/** A day with more exceptions than this lists the most severe; the CSV download has all. */
const EXCEPTIONS_SHOWN = 500;

type Form = Record<string, string>;

class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), decodeURIComponent(part.slice(i + 1).trim()));
  }
  return out;
}

function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/[a-z]/i.test(next) && !next.startsWith('//') && !next.includes('\\') ? next : '/dashboard';
}

export function registerDashboard(app: FastifyInstance, ctx: Context, opts: DashboardOptions = {}): void {
  const time_zone = opts.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const times: SessionTimes = { lifetime_ms: SESSION_LIFETIME_MS, idle_ms: SESSION_IDLE_MS, ...opts.session };
  const secure = opts.secure_cookies === true;
  const SESSION_COOKIE = secure ? '__Host-civicard_session' : 'civicard_session';
  const LOGIN_COOKIE = secure ? '__Host-civicard_login' : 'civicard_login';
  const throttles = loginThrottles();
  const actions = opts.actions ?? {};
  const viewers = new WeakMap<FastifyRequest, Viewer & { token: string }>();
  /** One reconciliation at a time from the dashboard (the date running). */
  let reconciling: string | null = null;

  const cookie = (name: string, value: string, max_age_s: number) =>
    `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${max_age_s}${secure ? '; Secure' : ''}`;

  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BYTES }, (_req, body: string, done) => {
      const form: Form = {};
      for (const [k, v] of new URLSearchParams(body)) if (!(k in form)) form[k] = v;
      done(null, form);
    });

    scope.addHook('onSend', async (_req, reply) => {
      reply.header('content-security-policy', CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('cache-control', 'no-store');
    });

    scope.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
      if (err instanceof PageError) return sendPage(reply, err.status, err.title, html`<p class="error" role="alert">${err.message}</p>`, viewers.get(req));
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendPage(reply, 413, 'Form too large', html`<p class="error" role="alert">That form is over ${FORM_BYTES / 1024} KiB.</p>`, viewers.get(req));
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendPage(reply, err.statusCode, 'Request refused', html`<p class="error" role="alert">${err.message}</p>`, viewers.get(req));
      ctx.log?.(`dashboard error: ${err.name}: ${err.message}`);
      return sendPage(reply, 500, 'Something went wrong', html`<p class="error" role="alert">The back office could not show this page. Try again; if it keeps happening, tell the administrator.</p>`, viewers.get(req));
    });

    function sendPage(reply: FastifyReply, status: number, title: string, body: Html, viewer?: Viewer, current?: string) {
      return reply.code(status).type('text/html; charset=utf-8').send(page({ title, body, viewer, current }));
    }

    /** Loads the session; when `role` is given, refuses anyone else. POSTs must carry the session's CSRF token. */
    function guard(role?: UserRole) {
      return async (req: FastifyRequest, reply: FastifyReply) => {
        const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
        const session = token === undefined ? undefined : await findSession(ctx.store, token, ctx.now(), times);
        if (session === undefined || token === undefined) {
          if (req.method === 'GET') return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
          reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0));
          throw new PageError(401, 'Please log in again', 'Your session has ended (or you were not logged in), so nothing was changed. Log in and try again.');
        }
        const viewer = { ...session, token };
        viewers.set(req, viewer);
        if (req.method === 'POST') {
          const form = (req.body ?? {}) as Form;
          if (typeof form.csrf !== 'string' || !sameToken(form.csrf, session.csrf)) {
            throw new PageError(403, 'Form expired', 'This form is out of date or did not come from this dashboard, so nothing was changed. Reload the page and try again.');
          }
        }
        if (role !== undefined && session.role !== role) {
          throw new PageError(403, 'Not allowed', `Only an ${role} may do this. You are logged in as ${session.username} (${session.role}).`);
        }
      };
    }
    const anyone = guard();
    const admin = guard('administrator');
    const viewerOf = (req: FastifyRequest) => viewers.get(req)!;
    const formOf = (req: FastifyRequest) => (req.body ?? {}) as Form;

    scope.get('/dashboard.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-store').send(STYLESHEET));
    scope.get('/', async (_req, reply) => reply.redirect('/dashboard', 303));
    // Browsers ask for it on every page; no icon, and no 404 in their console.
    scope.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

    // ---- login / logout
    scope.get('/login', async (req, reply) => {
      const q = req.query as { next?: string };
      const nonce = randomBytes(24).toString('base64url');
      reply.header('set-cookie', cookie(LOGIN_COOKIE, nonce, 3600));
      return sendPage(reply, 200, 'Log in', loginForm(nonce, safeNext(q.next)));
    });

    scope.post('/login', async (req, reply) => {
      const form = formOf(req);
      const nonce = parseCookies(req.headers.cookie).get(LOGIN_COOKIE);
      const fresh = randomBytes(24).toString('base64url');
      const again = (status: number, message: string) => {
        reply.header('set-cookie', cookie(LOGIN_COOKIE, fresh, 3600));
        return sendPage(reply, status, 'Log in', html`<p class="error" role="alert">${message}</p>${loginForm(fresh, safeNext(form.next), form.username)}`);
      };
      if (nonce === undefined || typeof form.csrf !== 'string' || !sameToken(form.csrf, nonce)) return again(403, 'This login form is out of date. Please enter your username and password again.');
      const username = (form.username ?? '').trim().toLowerCase();
      const result = await attemptLogin(ctx.store, throttles, times, { username, password: form.password ?? '', ip: req.ip, now_ms: ctx.now() });
      if (!result.ok) {
        ctx.log?.(`dashboard login refused: ${result.reason} user=${JSON.stringify(username.slice(0, 64))} ip=${req.ip}`);
        if (result.reason === 'rate_limited') {
          reply.header('retry-after', String(result.wait_s));
          return again(429, `Too many failed logins for this username or from this computer. Wait ${Math.ceil(result.wait_s / 60)} min and try again, or ask an administrator.`);
        }
        return again(401, 'That username and password do not match an active account.');
      }
      ctx.log?.(`dashboard login: user=${result.username} role=${result.role} ip=${req.ip}`);
      reply.header('set-cookie', [cookie(SESSION_COOKIE, result.token, Math.floor(times.lifetime_ms / 1000)), cookie(LOGIN_COOKIE, '', 0)]);
      return reply.redirect(safeNext(form.next), 303);
    });

    scope.post('/logout', { preHandler: anyone }, async (req, reply) => {
      await endSession(ctx.store, viewerOf(req).token);
      reply.header('set-cookie', cookie(SESSION_COOKIE, '', 0));
      return reply.redirect('/login', 303);
    });

    // ---- the day
    scope.get('/dashboard', { preHandler: anyone }, async (req, reply) => {
      const q = req.query as { date?: string };
      const date = q.date === undefined || q.date === '' ? previousDate(localDate(ctx.now(), time_zone)) : q.date;
      if (!isDate(date)) throw new PageError(400, 'Not a date', 'Give the date as YYYY-MM-DD, e.g. 2025-03-04.');
      const v = viewerOf(req);
      const summary = opts.reports_dir === undefined ? null : readSummary(opts.reports_dir, date);
      const files = opts.reports_dir === undefined ? [] : reportFilesOf(opts.reports_dir, date);
      const exceptions = await exceptionsOfDay(ctx.store, date, time_zone);
      const body = html`
<form method="get" action="/dashboard" class="notice">
  <label for="date">Business day (${time_zone})</label>
  <input type="date" id="date" name="date" value="${date}" required>
  <button type="submit">Show</button>
  <a href="/dashboard?date=${previousDate(date)}">Previous day</a> · <a href="/dashboard?date=${nextDate(date)}">Next day</a>
</form>
${summaryView(summary, date, v)}
${files.length === 0 ? '' : html`<h2>Downloads</h2><ul>${files.map((f) => html`<li><a href="/reports/${date}/${f}" download>${f}</a></li>`)}</ul>`}
<h2 id="exceptions">Exceptions (${exceptions.length})</h2>
${exceptionTable(exceptions, `Exceptions of ${date}`)}`;
      return sendPage(reply, 200, `The day: ${date}`, body, v, '/dashboard');
    });

    scope.get('/reports/:date/:file', { preHandler: anyone }, async (req, reply) => {
      const { date, file } = req.params as { date: string; file: string };
      if (opts.reports_dir === undefined || !isDate(date) || !REPORT_FILES.includes(file)) throw new PageError(404, 'No such report', 'There is no such report file.');
      const path = join(reportDir(opts.reports_dir, date), file);
      if (!existsSync(path)) throw new PageError(404, 'No such report', `The ${date} reconciliation has no ${file} (not reconciled yet?).`);
      const type = file.endsWith('.pdf') ? 'application/pdf' : file.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/json';
      return reply.type(type).header('content-disposition', `attachment; filename="civicard-${date}-${file}"`).send(createReadStream(path));
    });

    scope.post('/reconcile', { preHandler: admin }, async (req, reply) => {
      const date = formOf(req).date;
      if (!isDate(date)) throw new PageError(400, 'Not a date', 'Give the date as YYYY-MM-DD.');
      if (actions.reconcile === undefined || opts.reports_dir === undefined) throw new PageError(503, 'Not available', 'This server was started without reconciliation; run civicard reconcile from the command line.');
      if (reconciling !== null) throw new PageError(409, 'Reconciliation running', `The reconciliation of ${reconciling} is running now. Reload the day in a minute.`);
      ctx.log?.(`dashboard reconcile: date=${date} by=${viewerOf(req).username}`);
      reconciling = date;
      try {
        await actions.reconcile(date);
      } finally {
        reconciling = null;
      }
      return reply.redirect(`/dashboard?date=${date}`, 303);
    });

    // ---- kiosks
    scope.get('/kiosks', { preHandler: anyone }, async (req, reply) => {
      const v = viewerOf(req);
      const q = req.query as { enrolled?: string; revoked?: string };
      const now = ctx.now();
      const kiosks = await kioskHealth(ctx.store, now);
      const notice =
        q.enrolled !== undefined
          ? html`<p class="notice" role="status">Kiosk enrolled. Its kiosk ID is <code>${q.enrolled}</code>: configure the kiosk with this back office and it may sync from now on.</p>`
          : q.revoked !== undefined
            ? html`<p class="notice" role="status">Kiosk <code>${q.revoked}</code> revoked: its requests are refused from now on; its entries already held stay.</p>`
            : '';
      const rows = kiosks.map((k) => {
        const lastSync = k.last_sync_at === null ? 'never' : `${localTime(k.last_sync_at, time_zone)} (${age(now - Date.parse(k.last_sync_at))} ago)`;
        const word = { green: 'Synced within the hour', amber: 'No sync for over an hour', red: k.last_sync_at === null ? 'Never synced' : 'No sync for over a day' }[k.freshness];
        const unsynced = k.outbox === null ? 'unknown (the kiosk does not report it)' : String(k.outbox.unsynced);
        const oldest = k.outbox === null ? 'unknown' : k.outbox.oldest_at === null ? '—' : `${age(now - Date.parse(k.outbox.oldest_at))} (as of ${localTime(k.outbox.reported_at, time_zone)})`;
        return html`<tr>
  <td>${k.name ?? '(no name)'}<br><code>${k.kiosk_id}</code></td>
  <td>${k.status}</td>
  <td><span class="badge ${k.freshness}">${word}</span><br>${lastSync}</td>
  <td class="num">${k.last_seq}</td>
  <td>${unsynced}</td>
  <td>${oldest}</td>
  <td>${v.role === 'administrator' && k.status === 'active' ? html`<form class="inline" method="post" action="/kiosks/${k.kiosk_id}/revoke">${csrfField(v)}<button type="submit" class="secondary" aria-label="Revoke ${k.name ?? k.kiosk_id}">Revoke</button></form>` : ''}</td>
</tr>`;
      });
      const body = html`${notice}
<table>
<caption>Kiosk health at ${localTime(now, time_zone)} (${time_zone}). Green: synced within the hour; amber: within a day; red: longer, or never.</caption>
<thead><tr><th scope="col">Kiosk</th><th scope="col">Status</th><th scope="col">Last sync</th><th scope="col" class="num">Last entry held</th><th scope="col">Unsynced entries</th><th scope="col">Oldest unsynced</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="7">No kiosk is enrolled yet.</td></tr>` : rows}</tbody>
</table>
${
  v.role === 'administrator'
    ? html`<h2>Enroll a kiosk</h2>
<form method="post" action="/kiosks/enroll">${csrfField(v)}
  <label for="name">Name staff recognise</label>
  <input type="text" id="name" name="name" maxlength="120" placeholder="Central Library lobby">
  <label for="public_key_pem">The kiosk's public key (PEM)</label>
  <textarea id="public_key_pem" name="public_key_pem" rows="4" required placeholder="-----BEGIN PUBLIC KEY-----"></textarea>
  <p><button type="submit">Enroll</button></p>
</form>`
    : ''
}`;
      return sendPage(reply, 200, 'Kiosks', body, v, '/kiosks');
    });

    scope.post('/kiosks/enroll', { preHandler: admin }, async (req, reply) => {
      const form = formOf(req);
      const v = viewerOf(req);
      try {
        const kiosk = await enrollKiosk(ctx.store, { publicKeyPem: form.public_key_pem ?? '', name: (form.name ?? '').slice(0, 120), by: `dashboard:${v.username}`, now: new Date(ctx.now()) });
        ctx.log?.(`dashboard enroll: kiosk=${kiosk.kiosk_id} by=${v.username}`);
        return reply.redirect(`/kiosks?enrolled=${encodeURIComponent(kiosk.kiosk_id)}`, 303);
      } catch (e) {
        if (e instanceof EnrollmentError) throw new PageError(400, 'Kiosk not enrolled', `Nothing was enrolled: ${e.message}. Paste the whole key, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----.`);
        throw e;
      }
    });

    scope.post('/kiosks/:kiosk_id/revoke', { preHandler: admin }, async (req, reply) => {
      const { kiosk_id } = req.params as { kiosk_id: string };
      try {
        await revokeKiosk(ctx.store, kiosk_id);
      } catch (e) {
        if (e instanceof EnrollmentError) throw new PageError(404, 'No such kiosk', e.message);
        throw e;
      }
      ctx.log?.(`dashboard revoke: kiosk=${kiosk_id} by=${viewerOf(req).username}`);
      return reply.redirect(`/kiosks?revoked=${encodeURIComponent(kiosk_id)}`, 303);
    });

    // ---- cards
    scope.get('/cards', { preHandler: anyone }, async (req, reply) => {
      const v = viewerOf(req);
      const q = ((req.query as { q?: string }).q ?? '').trim().toLowerCase();
      let results: Html | string = '';
      if (q !== '') {
        if (!CARD_REF_PREFIX.test(q)) {
          results = html`<p class="error" role="alert">Type at least 8 hexadecimal digits (0–9, a–f) of the card reference.</p>`;
        } else {
          const found = await searchCards(ctx.store, q);
          if (found.length === 1) return reply.redirect(`/cards/${found[0]}`, 303);
          results =
            found.length === 0
              ? html`<p role="status">No card reference starts with <code>${q}</code>.</p>`
              : html`<h2>Card references starting with <code>${q}</code></h2><ul>${found.map((r) => html`<li><a class="mono" href="/cards/${r}">${r}</a></li>`)}</ul>`;
        }
      }
      return sendPage(reply, 200, 'Cards', html`${searchForm(q)}${results}`, v, '/cards');
    });

    scope.get('/cards/:card_ref', { preHandler: anyone }, async (req, reply) => {
      const v = viewerOf(req);
      const { card_ref } = req.params as { card_ref: string };
      if (!/^[0-9a-f]{32,64}$/.test(card_ref)) throw new PageError(404, 'No such card', 'A card reference is 32 lower-case hexadecimal digits.');
      const history = await cardHistory(ctx.store, card_ref);
      const exceptions = await exceptionsOfCard(ctx.store, card_ref);
      const rows = history.map(
        (h) => html`<tr>
  <td class="num">${h.counter ?? '?'}</td><td>${localTime(h.at, time_zone)}</td><td>${h.kiosk_name ?? h.kiosk_id.slice(0, 12)}</td>
  <td>${h.kind}</td><td>${h.service ?? ''}</td><td>${h.direction ?? ''}</td>
  <td class="num">${h.amount_minor === null ? '' : money(h.amount_minor)}</td>
  <td class="num">${h.balance_before_minor === null ? '' : money(h.balance_before_minor)}</td>
  <td class="num">${h.balance_after_minor === null ? '' : money(h.balance_after_minor)}</td>
  <td>${h.outcome ?? ''}</td><td><code>${h.tx_id ?? ''}</code></td>
</tr>`,
      );
      const body = html`${searchForm('')}
<p>Card reference <code>${card_ref}</code>. The back office holds card references only: no names.</p>
<table>
<caption>History by the card's own counter (${history.length} entries)</caption>
<thead><tr><th scope="col" class="num">Card counter</th><th scope="col">Time</th><th scope="col">Kiosk</th><th scope="col">Entry</th><th scope="col">Service</th><th scope="col">Direction</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Balance before</th><th scope="col" class="num">Balance after</th><th scope="col">Outcome</th><th scope="col">Transaction</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="11">No entry of this card has been synced.</td></tr>` : rows}</tbody>
</table>
<h2>Exceptions of this card (${exceptions.length})</h2>
${exceptionTable(exceptions, 'Exceptions naming this card')}
${
  v.role === 'administrator'
    ? html`<h2>Lost card</h2><form method="post" action="/cards/${card_ref}/lost">${csrfField(v)}
<p>Hotlists this card and authorises its reconciled balance, once, for a replacement card at an attendant station (docs/lost-card.md).</p>
<p><button type="submit">Report lost and authorise a replacement</button></p></form>`
    : ''
}`;
      return sendPage(reply, 200, `Card ${shortRef(card_ref)}`, body, v, '/cards');
    });

    // A lost card: the same as `civicard admin lost-card`. Reported again while pending, the same code.
    scope.post('/cards/:card_ref/lost', { preHandler: admin }, async (req, reply) => {
      const { card_ref } = req.params as { card_ref: string };
      if (!/^[0-9a-f]{32}$/.test(card_ref)) throw new PageError(400, 'Nothing changed', 'A card reference is 32 lower-case hexadecimal digits.');
      let r;
      try {
        r = await reportLostCard(ctx.store, { card_ref, now: new Date(ctx.now()) });
      } catch (e) {
        if (e instanceof LostCardError) throw new PageError(400, 'Nothing changed', e.message);
        throw e;
      }
      ctx.log?.(`dashboard lost card: replacement=${r.id} by=${viewerOf(req).username}`);
      const body = html`<p class="notice" role="status">Card <code>${card_ref}</code> is on the hotlist (version ${r.hotlist_version}); kiosks refuse it from their next sync.</p>
<p>Replacement code for the attendant: <strong class="mono" data-testid="replacement-code">${r.code}</strong>, for ${money(r.amount_minor)} (${r.status}), the card's balance as of ${localTime(r.hotlisted_at, time_zone)}.</p>
<p><a href="/cards/${card_ref}">Back to the card</a></p>`;
      return sendPage(reply, 200, 'Lost card', body, viewerOf(req), '/cards');
    });

    // ---- hotlist and configuration (published to kiosks by downlink)
    scope.get('/hotlist', { preHandler: anyone }, async (req, reply) => {
      const v = viewerOf(req);
      const d = actions.downlink;
      if (d === undefined) return sendPage(reply, 200, 'Hotlist', notAvailable('the hotlist'), v, '/hotlist');
      const list = await d.hotlist();
      const changed = (req.query as { changed?: string }).changed;
      const body = html`${changed === undefined ? '' : html`<p class="notice" role="status">Hotlist is now version ${changed}; kiosks pick it up at their next sync.</p>`}
<table>
<caption>Cards refused at every kiosk (hotlist version ${list.version})</caption>
<thead><tr><th scope="col">Card reference</th><th scope="col">Actions</th></tr></thead>
<tbody>${
        list.card_refs.length === 0
          ? html`<tr><td colspan="2">The hotlist is empty.</td></tr>`
          : list.card_refs.map(
              (r) => html`<tr><td><a class="mono" href="/cards/${r}">${r}</a></td><td>${
                v.role === 'administrator'
                  ? html`<form class="inline" method="post" action="/hotlist">${csrfField(v)}<input type="hidden" name="action" value="remove"><input type="hidden" name="card_ref" value="${r}"><button type="submit" class="secondary" aria-label="Take ${shortRef(r)} off the hotlist">Take off</button></form>`
                  : ''
              }</td></tr>`,
            )
      }</tbody></table>
${
  v.role === 'administrator'
    ? html`<h2>Add a card</h2><form method="post" action="/hotlist">${csrfField(v)}<input type="hidden" name="action" value="add">
<label for="card_ref">Card reference (32 hexadecimal digits)</label><input type="text" id="card_ref" name="card_ref" size="40" pattern="[0-9a-f]{32}" required>
<p><button type="submit">Add to hotlist</button></p></form>`
    : ''
}`;
      return sendPage(reply, 200, 'Hotlist', body, v, '/hotlist');
    });

    scope.post('/hotlist', { preHandler: admin }, async (req, reply) => {
      const d = actions.downlink;
      if (d === undefined) throw new PageError(503, 'Not available', 'This server does not publish a hotlist.');
      const form = formOf(req);
      if (form.action !== 'add' && form.action !== 'remove') throw new PageError(400, 'Hotlist unchanged', 'Choose add or remove.');
      const card_ref = (form.card_ref ?? '').trim().toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(card_ref)) throw new PageError(400, 'Hotlist unchanged', 'A card reference is 32 hexadecimal digits; nothing was changed.');
      let version: number;
      try {
        version = await d.changeHotlist(form.action, card_ref, new Date(ctx.now()));
      } catch (e) {
        throw new PageError(400, 'Hotlist unchanged', e instanceof Error ? e.message : String(e));
      }
      ctx.log?.(`dashboard hotlist ${form.action}: version=${version} by=${viewerOf(req).username}`);
      return reply.redirect(`/hotlist?changed=${version}`, 303);
    });

    scope.get('/config', { preHandler: anyone }, async (req, reply) => {
      const v = viewerOf(req);
      const d = actions.downlink;
      if (d === undefined) return sendPage(reply, 200, 'Configuration', notAvailable('configuration bundles'), v, '/config');
      const latest = await d.latestBundle();
      const published = (req.query as { published?: string }).published;
      const body = html`${published === undefined ? '' : html`<p class="notice" role="status">Configuration version ${published} published; kiosks pick it up at their next sync.</p>`}
${latest === null ? html`<p>No configuration has been published yet.</p>` : html`<h2>Current: version ${latest.version}, published ${localTime(latest.published_at, time_zone)}</h2><pre class="mono">${latest.contents_json}</pre>`}
${
  v.role === 'administrator'
    ? html`<h2>Publish a new version</h2><form method="post" action="/config">${csrfField(v)}
<label for="contents">Bundle contents (JSON)</label><textarea id="contents" name="contents" rows="14" required>${latest?.contents_json ?? ''}</textarea>
<p><button type="submit">Sign and publish</button></p></form>`
    : ''
}`;
      return sendPage(reply, 200, 'Configuration', body, v, '/config');
    });

    scope.post('/config', { preHandler: admin }, async (req, reply) => {
      const d = actions.downlink;
      if (d === undefined) throw new PageError(503, 'Not available', 'This server does not publish configuration.');
      let contents: unknown;
      try {
        contents = JSON.parse(formOf(req).contents ?? '');
      } catch (e) {
        throw new PageError(400, 'Nothing published', `The contents are not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
      let version: number;
      try {
        version = await d.publishBundle(contents, new Date(ctx.now()));
      } catch (e) {
        throw new PageError(400, 'Nothing published', e instanceof Error ? e.message : String(e));
      }
      ctx.log?.(`dashboard config published: version=${version} by=${viewerOf(req).username}`);
      return reply.redirect(`/config?published=${version}`, 303);
    });

    // ---- pieces
    function summaryView(summary: SummaryView | { unreadable: string } | null, date: string, v: Viewer): Html {
      if (summary === null) {
        return html`<h2>Totals</h2><p class="notice" role="status">Not reconciled yet: the totals appear once the ${date} reconciliation has run.</p>${
          v.role === 'administrator' && actions.reconcile !== undefined && opts.reports_dir !== undefined
            ? html`<form method="post" action="/reconcile">${csrfField(v)}<input type="hidden" name="date" value="${date}"><button type="submit">Reconcile ${date} now</button></form>`
            : ''
        }`;
      }
      if ('unreadable' in summary) return html`<h2>Totals</h2><p class="error" role="alert">The reconciliation output of ${date} cannot be read: ${summary.unreadable}</p>`;
      const t = summary.totals;
      const l = summary.liability;
      return html`<p>Reconciled ${localTime(summary.generated_at, time_zone)}.</p>
<div class="grid">
<div class="card"><table><caption>Totals of the day</caption><tbody>
<tr><th scope="row">Transactions</th><td class="num">${t.transactions}</td></tr>
<tr><th scope="row">Debits (payments)</th><td class="num">${money(t.payments_minor)}</td></tr>
<tr><th scope="row">Top-ups</th><td class="num">${money(t.top_ups_minor)}</td></tr>
<tr><th scope="row">Opening balances</th><td class="num">${money(t.opening_balances_minor)}</td></tr>
<tr><th scope="row">Voids</th><td class="num">${money(t.voids_minor)}</td></tr>
<tr><th scope="row">Credit-backs</th><td class="num">${money(t.credit_backs_minor)}</td></tr>
<tr><th scope="row">Refunds</th><td class="num">${money(t.refunds_minor)}</td></tr>
<tr><th scope="row">Cash taken</th><td class="num">${money(t.cash_taken_minor)}</td></tr>
</tbody></table></div>
<div class="card"><table><caption>Card liability: ${l.holds ? 'the equation holds' : html`<span class="badge critical">the equation does not hold</span>`}</caption><tbody>
<tr><th scope="row">At start of day</th><td class="num">${money(l.start_minor)}</td></tr>
<tr><th scope="row">+ top-ups</th><td class="num">${money(l.top_ups_minor)}</td></tr>
<tr><th scope="row">+ opening balances</th><td class="num">${money(l.opening_balances_minor)}</td></tr>
<tr><th scope="row">− payments</th><td class="num">${money(l.payments_minor)}</td></tr>
<tr><th scope="row">− voids</th><td class="num">${money(l.voids_minor)}</td></tr>
<tr><th scope="row">+ credit-backs</th><td class="num">${money(l.credit_backs_minor)}</td></tr>
<tr><th scope="row">= expected at end</th><td class="num">${money(l.expected_end_minor)}</td></tr>
<tr><th scope="row">At end of day (cards)</th><td class="num">${money(l.end_minor)}</td></tr>
<tr><th scope="row">Difference</th><td class="num">${money(l.difference_minor)}</td></tr>
</tbody></table></div>
</div>
<table><caption>Debits by service</caption>
<thead><tr><th scope="col">Service</th><th scope="col" class="num">Payments</th><th scope="col" class="num">Gross</th><th scope="col" class="num">Credit-backs</th><th scope="col" class="num">Refunds</th><th scope="col" class="num">Net</th></tr></thead>
<tbody>${summary.revenue.by_service.map((s) => html`<tr><td>${s.service}</td><td class="num">${s.payments}</td><td class="num">${money(s.gross_minor)}</td><td class="num">${money(s.credit_backs_minor)}</td><td class="num">${money(s.refunds_minor)}</td><td class="num">${money(s.net_minor)}</td></tr>`)}</tbody>
</table>`;
    }

    function exceptionTable(list: ExceptionRow[], caption: string): Html {
      if (list.length === 0) return html`<p role="status">No exceptions.</p>`;
      const shown = list.slice(0, EXCEPTIONS_SHOWN);
      return html`${list.length > shown.length ? html`<p class="notice" role="status">The first ${shown.length} of ${list.length}, most severe first; exceptions.csv has them all.</p>` : ''}<table><caption>${caption}</caption>
<thead><tr><th scope="col">Severity</th><th scope="col">Kind</th><th scope="col">Kiosk</th><th scope="col">Card</th><th scope="col">What happened</th></tr></thead>
<tbody>${shown.map(
        (e) => html`<tr><td><span class="badge ${e.severity}">${e.severity}</span></td><td>${e.kind}</td><td>${e.kiosk_name ?? (e.kiosk_id === null ? '' : e.kiosk_id.slice(0, 12))}</td>
<td>${e.card_ref === null ? '' : html`<a class="mono" href="/cards/${e.card_ref}">${shortRef(e.card_ref)}</a>`}</td><td>${e.explanation}</td></tr>`,
      )}</tbody></table>`;
    }
  });
}

function loginForm(nonce: string, next: string, username = ''): Html {
  return html`<form method="post" action="/login">
<input type="hidden" name="csrf" value="${nonce}"><input type="hidden" name="next" value="${next}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" value="${username}" required>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<p><button type="submit">Log in</button></p>
</form>`;
}

function searchForm(q: string): Html {
  return html`<form method="get" action="/cards" role="search">
<label for="q">Card reference (at least 8 hexadecimal digits)</label>
<input type="text" id="q" name="q" value="${q}" size="40" minlength="8" maxlength="64" pattern="[0-9a-fA-F]{8,64}" required>
<button type="submit">Find</button></form>`;
}

function notAvailable(what: string): Html {
  return html`<p class="notice" role="status">This server does not publish ${what}. Start it with the back office's signing key to manage ${what} here.</p>`;
}

import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { attemptLogin, loginThrottles } from '../auth/login';
import { endSession, findSession, sameToken, SESSION_IDLE_MS, SESSION_LIFETIME_MS, type SessionTimes } from '../auth/sessions';
import type { UserRole } from '../db/schema';
import { html, type Html } from './html';
import { CSP, page, STYLESHEET, type Viewer } from './layout';
import { PageError, type Context, type DashboardOptions, type Form, type PageKit } from './page-kit';
import { cardPages } from './pages-cards';
import { dayPages } from './pages-day';
import { downlinkPages } from './pages-downlink';
import { kioskPages } from './pages-kiosks';

export type { DashboardOptions } from './page-kit';

// The finance dashboard (docs/dashboard.md): server-rendered pages for staff
// who log in. finance reads everything; only an administrator may change
// anything (enroll, revoke, hotlist, configuration, run a reconciliation).
// Every POST carries the session's CSRF token; every answer forbids framing,
// scripts and caching.

const FORM_BYTES = 256 * 1024;

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

    const kit: PageKit = { scope, ctx, opts, time_zone, actions, anyone, admin, viewerOf, formOf, sendPage };
    dayPages(kit);
    kioskPages(kit);
    cardPages(kit);
    downlinkPages(kit);
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


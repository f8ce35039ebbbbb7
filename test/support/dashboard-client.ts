import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { addUser } from '../../src/backoffice/auth/users';
import type { BackOfficeStore } from '../../src/backoffice/db/connect';
import type { UserRole } from '../../src/backoffice/db/schema';

// A browser's part in the dashboard tests, over fastify.inject: it keeps
// cookies, reads the CSRF token out of the page it was given, and submits
// forms as application/x-www-form-urlencoded.

export const PASSWORD = 'correct horse battery staple';

export async function addStaff(store: BackOfficeStore, username: string, role: UserRole, password = PASSWORD): Promise<void> {
  await addUser(store, { username, password, role });
}

export function csrfOf(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  if (m === null) throw new Error('the page has no CSRF field');
  return m[1]!;
}

export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: FastifyInstance,
    private readonly ip = '203.0.113.7',
  ) {}

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies) {
      if (c.value === '' || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ') };
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: this.cookieHeader(), remoteAddress: this.ip }));
  }

  async post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
        remoteAddress: this.ip,
      }),
    );
  }

  /** Opens the login page and submits it. */
  async login(username: string, password = PASSWORD): Promise<LightMyRequestResponse> {
    const form = await this.get('/login');
    return this.post('/login', { csrf: csrfOf(form.body), username, password, next: '/dashboard' });
  }

  /** The CSRF token of the session's forms (read from a page, as a browser would). */
  async csrf(): Promise<string> {
    return csrfOf((await this.get('/dashboard')).body);
  }
}

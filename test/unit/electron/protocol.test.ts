import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProtocolHandler, CONTENT_SECURITY_POLICY, fileForUrl, isAppUrl, OUT_OF_SERVICE_URL } from '../../../src/electron/protocol';

// civicard://app/ serves the built renderer folder and nothing else: a file
// beside that folder (here `secret.txt`, one level up) must stay out of reach
// however the path is spelled.

let base: string;
let root: string;
let serve: ReturnType<typeof appProtocolHandler>;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'civicard-protocol-'));
  root = join(base, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>kiosk</title>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'notes'), 'no extension');
  writeFileSync(join(base, 'secret.txt'), 'outside the renderer');
  serve = appProtocolHandler(root);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const UP = '.' + '.';

describe('the app protocol', () => {
  it('serves index.html at the root and files under the renderer folder, with their types', async () => {
    const page = await serve({ url: 'civicard://app/' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>kiosk</title>');
    const script = await serve({ url: 'civicard://app/assets/app.js' });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it(`refuses civicard://app/${UP}/${UP}/etc/passwd and every other way out of the folder with a 404`, async () => {
    const attempts = [
      `civicard://app/${UP}/${UP}/etc/passwd`,
      `civicard://app/${UP}/secret.txt`,
      'civicard://app/%2e%2e/secret.txt',
      'civicard://app/%2E%2E/secret.txt',
      `civicard://app/${UP}%2fsecret.txt`,
      `civicard://app/assets/${UP}%2F${UP}%2Fsecret.txt`,
      `civicard://app/${UP}%5csecret.txt`,
      'civicard://app/%00index.html',
      'civicard://app//etc/passwd',
      'civicard://app/%2Fetc%2Fpasswd',
      'civicard://other/index.html',
      'civicard://app:81/index.html',
      'civicard://user@app/index.html',
      'file:///etc/passwd',
      'https://app/index.html',
    ];
    for (const url of attempts) {
      const res = await serve({ url });
      expect.soft(res.status, url).toBe(404);
      expect.soft(await res.text(), url).not.toContain('outside the renderer');
    }
    expect(fileForUrl(root, `civicard://app/${UP}%2fsecret.txt`)).toBeNull();
  });

  it('serves no file of an unknown type and no missing file', async () => {
    expect((await serve({ url: 'civicard://app/assets/notes' })).status).toBe(404);
    expect((await serve({ url: 'civicard://app/missing.js' })).status).toBe(404);
  });

  it('answers only GET and HEAD', async () => {
    expect((await serve({ url: 'civicard://app/', method: 'POST' })).status).toBe(405);
  });

  it('puts the content security policy and nosniff on every answer, found or not', async () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
    for (const url of ['civicard://app/', 'civicard://app/missing.js', `civicard://app/${UP}/secret.txt`, OUT_OF_SERVICE_URL]) {
      const res = await serve({ url });
      expect.soft(res.headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
      expect.soft(res.headers.get('x-content-type-options'), url).toBe('nosniff');
    }
  });

  it("serves the shell's own out-of-service page, in the three languages, whatever the renderer folder holds", async () => {
    const res = await serve({ url: OUT_OF_SERVICE_URL });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Fuera de servicio');
    expect(html).toContain('Out of service');
    expect(html).toContain('Fora de serviço');
    expect(html).not.toContain('<script');
  });

  it('knows an app URL from any other', () => {
    expect(isAppUrl('civicard://app/index.html')).toBe(true);
    expect(isAppUrl('civicard://app')).toBe(true);
    for (const url of ['civicard://evil/', 'https://app/', 'file:///app/', 'civicard://app.evil/', 'not a url', '']) expect(isAppUrl(url), url).toBe(false);
  });
});

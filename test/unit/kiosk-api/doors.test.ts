import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorized, call, JSON_TYPE, presentCard, startKioskUnderTest, type KioskUnderTest } from './support';

// The doors of the kiosk's loopback API: a browser on the same machine can reach
// 127.0.0.1, so every request must prove it comes from whoever started the kiosk
// (the token) and from a page the kiosk served (Host, Origin), in JSON.

let k: KioskUnderTest;
let url = '';
let sim = '';
let token = '';
let port = 0;

beforeAll(async () => {
  k = await startKioskUnderTest();
  url = k.api.url;
  sim = k.api.sim_url ?? '';
  token = k.api.token;
  port = Number(new URL(url).port);
}, 30_000);

afterAll(async () => {
  await k?.stop();
});

describe('the loopback API, door by door', () => {
  it('serves the view to a request with the session token', async () => {
    const a = await call(url, '/api/state', { headers: authorized(token) });
    expect(a.status).toBe(200);
    expect(a.json.screen).toBe('idle');
  });

  it('refuses a request without the token, or with a wrong one, with 401 and a JSON reason', async () => {
    for (const headers of [{}, authorized('x'.repeat(43)), authorized(`${token}x`), { authorization: token }, authorized('')]) {
      const a = await call(url, '/api/state', { headers });
      expect(a.status).toBe(401);
      expect(a.headers['www-authenticate']).toBe('Bearer');
      expect(String(a.json.error)).toMatch(/token/);
    }
  });

  it('takes the token from the query string only for the event stream, which cannot set headers', async () => {
    expect((await call(url, `/api/state?token=${token}`)).status).toBe(401);
    const post = await call(url, `/api/command?token=${token}`, { headers: JSON_TYPE, body: JSON.stringify({ type: 'SET_LANGUAGE', language: 'es' }) });
    expect(post.status).toBe(401);
    expect(k.kiosk.language).toBe('en');
  });

  it('refuses a Host that is not this kiosk (DNS rebinding) with 403', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `localhost`, `127.0.0.1`, `0.0.0.0:${port}`]) {
      const a = await call(url, '/api/state', { headers: authorized(token, { host }) });
      expect(a.status, host).toBe(403);
    }
    expect((await call(url, '/api/state', { headers: authorized(token, { host: `localhost:${port}` }) })).status).toBe(200);
  });

  it('refuses a foreign Origin with 403, and takes its own', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, 'null', `http://localhost:${port}`]) {
      const a = await call(url, '/api/state', { headers: authorized(token, { origin }) });
      expect(a.status, origin).toBe(403);
    }
    expect((await call(url, '/api/state', { headers: authorized(token, { origin: `http://127.0.0.1:${port}` }) })).status).toBe(200);
  });

  it('answers a POST that is not application/json with 415, charset allowed', async () => {
    const body = JSON.stringify({ type: 'SET_LANGUAGE', language: 'pt' });
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json; charset=latin1']) {
      const a = await call(url, '/api/command', { headers: authorized(token, type ? { 'content-type': type } : {}), body });
      expect(a.status, type).toBe(415);
    }
    expect(k.kiosk.language).toBe('en');
    const ok = await call(url, '/api/command', { headers: authorized(token, { 'content-type': 'Application/JSON; charset=UTF-8' }), body });
    expect(ok.status).toBe(200);
    expect(ok.json.language).toBe('pt');
    await call(url, '/api/command', { headers: authorized(token, JSON_TYPE), body: JSON.stringify({ type: 'SET_LANGUAGE', language: 'en' }) });
  });

  it('does not let a cross-origin text/plain POST reach the payment machine', async () => {
    await presentCard(k.kiosk);
    const before = k.kiosk.actor.getSnapshot().value;
    const attack = JSON.stringify({ type: 'CONTINUE' });
    // what a page on another site can send without a CORS preflight: no token, its own Origin, text/plain
    const blind = await call(url, '/api/command', { headers: { origin: 'http://evil.example', 'content-type': 'text/plain;charset=UTF-8' }, body: attack });
    expect(blind.status).toBe(403);
    // each door holds alone: even with the token and no Origin, text/plain does not pass
    const plain = await call(url, '/api/command', { headers: authorized(token, { 'content-type': 'text/plain' }), body: attack });
    expect(plain.status).toBe(415);
    await new Promise((r) => setTimeout(r, 100));
    expect(k.kiosk.actor.getSnapshot().value).toEqual(before);
    expect(k.kiosk.actor.getSnapshot().matches({ session: 'balanceShown' })).toBe(true);
  });

  it('puts no-store, nosniff and a restrictive CSP on every answer, refusals included', async () => {
    const answers = [
      await call(url, '/api/state', { headers: authorized(token) }),
      await call(url, '/api/state'),
      await call(url, '/api/state', { headers: authorized(token, { host: 'evil.example' }) }),
      await call(url, '/nowhere', { headers: authorized(token) }),
      await call(sim, '/sim/printer/paper', { headers: authorized(token, JSON_TYPE), body: JSON.stringify({ paper: 'wet' }) }),
    ];
    for (const a of answers) {
      expect(a.headers['cache-control']).toBe('no-store');
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      expect(a.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

describe('the simulator routes', () => {
  it('are absent from the API port', async () => {
    for (const path of ['/sim/card/present', '/sim/card/withdraw', '/sim/printer/paper']) {
      const a = await call(url, path, { headers: authorized(token, JSON_TYPE), body: JSON.stringify({ card: 'B', paper: 'out' }) });
      expect(a.status, path).toBe(404);
    }
    expect(k.kiosk.printerSim.getState().paper).toBe('ok');
  });

  it('live on their own port behind the same token, Host, Origin and content-type checks', async () => {
    expect(sim).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim).not.toBe(url);
    const simPort = Number(new URL(sim).port);
    const body = JSON.stringify({ paper: 'near_end' });
    expect((await call(sim, '/sim/printer/paper', { headers: JSON_TYPE, body })).status).toBe(401);
    expect((await call(sim, '/sim/printer/paper', { headers: authorized(token, { ...JSON_TYPE, host: `127.0.0.1:${port}` }), body })).status).toBe(403);
    expect((await call(sim, '/sim/printer/paper', { headers: authorized(token, { ...JSON_TYPE, origin: 'http://evil.example' }), body })).status).toBe(403);
    expect((await call(sim, '/sim/printer/paper', { headers: authorized(token, { 'content-type': 'text/plain' }), body })).status).toBe(415);
    expect(k.kiosk.printerSim.getState().paper).toBe('ok');
    expect((await call(sim, '/api/state', { headers: authorized(token) })).status).toBe(404);
    const ok = await call(sim, '/sim/printer/paper', { headers: authorized(token, { ...JSON_TYPE, host: `localhost:${simPort}` }), body });
    expect(ok).toMatchObject({ status: 200, json: { paper: 'near_end' } });
    expect(k.kiosk.printerSim.getState().paper).toBe('near_end');
  });
});

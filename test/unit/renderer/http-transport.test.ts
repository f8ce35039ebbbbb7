// The renderer's HTTP + SSE transport against the kiosk's real loopback API
// (a simulated kiosk, no pcscd): state, commands, the view stream with the
// token in a header, and the core's refusals surfaced as errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, httpTransport, sseEvents } from '../../../renderer/src/api/http-transport';
import type { ResidentCommand, ResidentView } from '../../../renderer/src/api/views';
import { startKioskUnderTest, type KioskUnderTest } from '../kiosk-api/support';

let k: KioskUnderTest;
beforeAll(async () => {
  k = await startKioskUnderTest();
});
afterAll(async () => {
  await k.stop();
});

const transport = (token = k.api.token) => httpTransport<ResidentView, ResidentCommand>({ base_url: k.api.url, token, reconnect_ms: 50 });

function nextView(views: ResidentView[], pred: (v: ResidentView) => boolean): Promise<ResidentView> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      const found = views.find(pred);
      if (found) return resolve(found);
      if (Date.now() - started > 5_000) return reject(new Error(`no such view; saw ${views.map((v) => v.screen).join(', ')}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

describe('httpTransport', () => {
  it('reads the state and streams every new view after a command', async () => {
    const t = transport();
    const first = await t.state();
    expect(first.screen).toBe('idle');
    const views: ResidentView[] = [];
    const stop = t.subscribe((v) => views.push(v));
    await nextView(views, (v) => v.screen === 'idle');
    const answered = await t.command({ type: 'TOUCH' });
    expect(answered.screen).toBe('session.waitingForCard');
    await nextView(views, (v) => v.screen === 'session.waitingForCard');
    await t.command({ type: 'SET_LANGUAGE', language: 'pt' });
    await nextView(views, (v) => v.language === 'pt');
    stop();
    await t.command({ type: 'CANCEL' });
  });

  it('surfaces a refused command with the core’s reason', async () => {
    await expect(transport().command({ type: 'SELECT_SERVICE', kind: 'parking', reference: '\u0000' })).rejects.toThrow(/reference/);
  });

  it('fails with a 401 naming the token when the token is wrong', async () => {
    const err = await transport('not-the-token').state().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toMatch(/session token/);
  });
});

describe('sseEvents', () => {
  it('splits events across chunks, joins multi-line data and ignores comments', () => {
    const p = sseEvents();
    expect(p.push('data: {"a"')).toEqual([]);
    expect(p.push(':1}\n\n: keep-alive\n\ndata: x\r\ndata: y\r\n\r\n')).toEqual(['{"a":1}', 'x\ny']);
  });
});

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorized, call, JSON_TYPE, startKioskUnderTest, type KioskUnderTest } from './support';

// A body over the limit is cut off as it arrives: the kiosk answers 413 and
// hangs up at once, instead of reading (and waiting for) the rest.

const LIMIT_BYTES = 4_096;
let k: KioskUnderTest;

beforeAll(async () => {
  k = await startKioskUnderTest();
}, 30_000);

afterAll(async () => {
  await k?.stop();
});

interface Upload {
  answer: string;
  closed: boolean;
  sent_bytes: number;
}

/** Sends the request head, then the body in 1 KiB pieces every few ms, until the kiosk hangs up or `body_bytes` are sent. */
function upload(head: Record<string, string>, body_bytes: number, chunked: boolean): Promise<Upload> {
  const { port } = new URL(k.api.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    let sent_bytes = 0;
    let closed = false;
    const finish = () => {
      clearInterval(timer);
      resolve({ answer, closed, sent_bytes });
    };
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset after the answer is the point, not a failure
    socket.on('close', () => {
      closed = true;
      finish();
    });
    const lines = [`POST /api/command HTTP/1.1`, ...Object.entries(head).map(([n, v]) => `${n}: ${v}`), chunked ? 'transfer-encoding: chunked' : `content-length: ${body_bytes}`];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const piece = Buffer.alloc(1_024, 0x20);
    const timer = setInterval(() => {
      if (closed || socket.destroyed) return;
      if (sent_bytes >= body_bytes) {
        clearInterval(timer);
        setTimeout(() => socket.destroy(), 2_000); // the whole body went out and nobody hung up
        return;
      }
      socket.write(chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
      sent_bytes += piece.length;
    }, 2);
  });
}

describe('the request body limit', () => {
  it('answers 413 and closes the connection while a chunked body is still arriving', async () => {
    const total_bytes = 2_000_000;
    const u = await upload({ host: new URL(k.api.url).host, ...authorized(k.api.token, JSON_TYPE) }, total_bytes, true);
    expect(u.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(u.answer.toLowerCase()).toContain('connection: close');
    expect(u.closed).toBe(true);
    expect(u.sent_bytes).toBeLessThan(64 * 1_024);
  }, 20_000);

  it('answers 413 at once to a declared Content-Length over the limit, without reading the body', async () => {
    const total_bytes = 1_000_000;
    const u = await upload({ host: new URL(k.api.url).host, ...authorized(k.api.token, JSON_TYPE) }, total_bytes, false);
    expect(u.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(u.closed).toBe(true);
    expect(u.sent_bytes).toBeLessThan(64 * 1_024);
  }, 20_000);

  it('still takes a command whose body is exactly at the limit', async () => {
    const command = JSON.stringify({ type: 'TOUCH' });
    const body = command + ' '.repeat(LIMIT_BYTES - command.length);
    expect((await call(k.api.url, '/api/command', { headers: authorized(k.api.token, JSON_TYPE), body })).status).toBe(200);
    const over = await call(k.api.url, '/api/command', { headers: authorized(k.api.token, JSON_TYPE), body: `${body} ` });
    expect(over.status).toBe(413);
    expect(String(over.json.error)).toMatch(/4096 bytes/);
  });
});

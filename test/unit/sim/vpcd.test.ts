// The vpcd card side against a fake vpcd (a plain TCP server speaking the same
// framing), so framing, control codes and tears are checked without pcscd.

import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApduHandler } from '../../../hardware/sim/apdu-handler';
import { encodeVpcdFrame, VirtualCardInserter, VpcdFrameDecoder, type TornEvent } from '../../../hardware/sim/vpcd';

const ATR = Buffer.from('3b8180018080', 'hex');
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Echoes the command back with 9000 and records the life of the card. */
class RecordingCard implements ApduHandler {
  readonly atr = ATR;
  readonly events: string[] = [];
  readonly commands: Buffer[] = [];
  throwNext = false;
  powerOn(): void {
    this.events.push('on');
  }
  powerOff(): void {
    this.events.push('off');
  }
  transmit(apdu: Buffer): Buffer {
    if (this.throwNext) {
      this.throwNext = false;
      throw new Error('simulated card fault');
    }
    this.commands.push(apdu);
    return Buffer.concat([apdu, hex('9000')]);
  }
}

/** One client at a time, like vpcd's slot; frames in both directions are length-prefixed. */
class FakeVpcd {
  private client: net.Socket | null = null;
  private readonly decoder = new VpcdFrameDecoder();
  private readonly frames: Buffer[] = [];
  private frameWaiters: Array<(frame: Buffer) => void> = [];
  private acceptWaiters: Array<() => void> = [];
  private closeWaiters: Array<() => void> = [];
  private clientClosed = false;

  private constructor(private readonly server: net.Server) {
    server.on('connection', (socket) => {
      this.client = socket;
      this.clientClosed = false;
      this.decoder.reset();
      socket.on('data', (chunk) => {
        for (const frame of this.decoder.push(chunk)) {
          const waiter = this.frameWaiters.shift();
          if (waiter) waiter(frame);
          else this.frames.push(frame);
        }
      });
      socket.on('close', () => {
        this.clientClosed = true;
        for (const w of this.closeWaiters.splice(0)) w();
      });
      for (const w of this.acceptWaiters.splice(0)) w();
    });
  }

  static async listen(port = 0): Promise<FakeVpcd> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new FakeVpcd(server);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  accepted(): Promise<void> {
    if (this.client && !this.clientClosed) return Promise.resolve();
    return new Promise((resolve) => this.acceptWaiters.push(resolve));
  }

  clientGone(): Promise<void> {
    if (this.clientClosed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  sendRaw(bytes: Buffer): void {
    this.client!.write(bytes);
  }

  send(payload: Buffer): void {
    this.sendRaw(encodeVpcdFrame(payload));
  }

  nextFrame(timeout_ms = 1000): Promise<Buffer> {
    const queued = this.frames.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame from the card')), timeout_ms);
      this.frameWaiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  /** Sends a C-APDU and returns the card's R-APDU, as vpcd's vicc_transmit does. */
  async exchange(apdu: Buffer): Promise<Buffer> {
    this.send(apdu);
    return this.nextFrame();
  }

  /** vpcd going away (pcscd stopped): drops the client and stops listening. */
  async close(): Promise<void> {
    this.client?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { reinsertOnDisconnect?: boolean } = {}) {
  const vpcd = await FakeVpcd.listen();
  const card = new RecordingCard();
  const inserter = new VirtualCardInserter({ port: vpcd.port, handler: card, ...options });
  cleanups.push(async () => {
    await inserter.remove();
    await vpcd.close().catch(() => {});
  });
  await inserter.insert();
  await vpcd.accepted();
  return { vpcd, card, inserter };
}

describe('vpcd framing', () => {
  it('encodes a 2-byte big-endian length then the payload', () => {
    expect(encodeVpcdFrame(hex('00a4040000'))).toEqual(hex('0005 00a4040000'));
    expect(encodeVpcdFrame(Buffer.from([0x04]))).toEqual(hex('0001 04'));
    expect(encodeVpcdFrame(Buffer.alloc(0))).toEqual(hex('0000'));
    expect(() => encodeVpcdFrame(Buffer.alloc(0x10000))).toThrow(RangeError);
  });

  it('reassembles frames split anywhere, including inside the length', () => {
    const decoder = new VpcdFrameDecoder();
    expect(decoder.push(hex('00'))).toEqual([]);
    expect(decoder.push(hex('05 00a4'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(4);
    expect(decoder.push(hex('040000 0001'))).toEqual([hex('00a4040000')]);
    expect(decoder.push(hex('04 0002 9000'))).toEqual([hex('04'), hex('9000')]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes any sequence of frames however TCP chunks it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => encodeVpcdFrame(p)));
          const decoder = new VpcdFrameDecoder();
          const out: Buffer[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            out.push(...decoder.push(stream.subarray(offset, offset + size)));
            offset += size;
          }
          expect(out.map((b) => b.toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
    );
  });
});

describe('VirtualCardInserter against a fake vpcd', () => {
  it('answers control codes: ATR on 04, power on 01, off 00, reset 02 as off+on', async () => {
    const { vpcd, card, inserter } = await setup();
    vpcd.send(hex('04'));
    expect(await vpcd.nextFrame()).toEqual(ATR);
    vpcd.send(hex('01'));
    vpcd.send(hex('00'));
    vpcd.send(hex('02'));
    vpcd.send(hex('7f')); // unknown: ignored
    vpcd.send(hex('04')); // a later answer proves the earlier controls were handled in order
    expect(await vpcd.nextFrame()).toEqual(ATR);
    expect(card.events).toEqual(['on', 'off', 'off', 'on']);
    expect(inserter.apduCount).toBe(0);
  });

  it('answers each C-APDU with the R-APDU, counts it, and emits apdu', async () => {
    const { vpcd, inserter } = await setup();
    const seen: number[] = [];
    inserter.on('apdu', (e) => seen.push(e.apdu_number));
    expect(await vpcd.exchange(hex('00a4040007d2760000850101'))).toEqual(hex('00a4040007d2760000850101 9000'));
    expect(await vpcd.exchange(hex('905a000003010203 00'))).toEqual(hex('905a00000301020300 9000'));
    expect(inserter.apduCount).toBe(2);
    expect(seen).toEqual([1, 2]);
  });

  it('handles a frame that arrives one byte at a time, and two frames in one write', async () => {
    const { vpcd, card } = await setup();
    for (const byte of encodeVpcdFrame(hex('0001020304'))) {
      vpcd.sendRaw(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await vpcd.nextFrame()).toEqual(hex('0001020304 9000'));
    vpcd.sendRaw(Buffer.concat([encodeVpcdFrame(hex('04')), encodeVpcdFrame(hex('aabbcc'))]));
    expect(await vpcd.nextFrame()).toEqual(ATR);
    expect(await vpcd.nextFrame()).toEqual(hex('aabbcc 9000'));
    expect(card.commands).toHaveLength(2);
  });

  it('answers 6F00 when the card handler throws, and keeps serving', async () => {
    const { vpcd, card } = await setup();
    card.throwNext = true;
    expect(await vpcd.exchange(hex('00010203'))).toEqual(hex('6f00'));
    expect(await vpcd.exchange(hex('00010203'))).toEqual(hex('00010203 9000'));
  });

  it("tears 'before': the card never sees the APDU, the connection drops unanswered", async () => {
    const { vpcd, card, inserter } = await setup();
    expect(await vpcd.exchange(hex('0a0a'))).toEqual(hex('0a0a9000'));
    inserter.tearAt({ apdu: 2, when: 'before' });
    const torn = new Promise<TornEvent>((resolve) => inserter.once('torn', resolve));
    vpcd.send(hex('04')); // ATR requests do not count as APDUs
    expect(await vpcd.nextFrame()).toEqual(ATR);
    expect(await vpcd.exchange(hex('0b0b'))).toEqual(hex('0b0b9000'));
    vpcd.send(hex('0c0c'));
    const event = await torn;
    await vpcd.clientGone();
    expect(event).toMatchObject({ when: 'before', apdu_number: 3, command: hex('0c0c') });
    expect(event.lost_response).toBeUndefined();
    expect(card.commands.map((c) => c.toString('hex'))).toEqual(['0a0a', '0b0b']);
    expect(card.events.at(-1)).toBe('off');
    expect(inserter.presence).toBe('removed');
    await expect(vpcd.nextFrame(100)).rejects.toThrow('no frame');
  });

  it("tears 'after': the card runs the APDU, the answer is lost", async () => {
    const { vpcd, card, inserter } = await setup();
    inserter.tearAt({ apdu: 1, when: 'after' });
    const torn = new Promise<TornEvent>((resolve) => inserter.once('torn', resolve));
    vpcd.send(hex('90c7000000'));
    const event = await torn;
    await vpcd.clientGone();
    expect(event).toMatchObject({ when: 'after', apdu_number: 1, lost_response: hex('90c7000000 9000') });
    expect(card.commands.map((c) => c.toString('hex'))).toEqual(['90c7000000']);
    expect(card.events.at(-1)).toBe('off');
  });

  it('stays removed after a tear until insert(), even with reinsertOnDisconnect', async () => {
    const { vpcd, inserter } = await setup({ reinsertOnDisconnect: true });
    inserter.tearAt({ apdu: 1, when: 'before' });
    vpcd.send(hex('0101'));
    await vpcd.clientGone();
    await new Promise((r) => setTimeout(r, 500));
    expect(inserter.presence).toBe('removed');
    await inserter.insert();
    await vpcd.accepted();
    expect(await vpcd.exchange(hex('0202'))).toEqual(hex('02029000'));
  });

  it('tearAt(null) disarms a planned tear', async () => {
    const { vpcd, inserter } = await setup();
    inserter.tearAt({ apdu: 1, when: 'before' });
    inserter.tearAt(null);
    expect(await vpcd.exchange(hex('0303'))).toEqual(hex('03039000'));
    expect(() => inserter.tearAt({ apdu: 0, when: 'after' })).toThrow(RangeError);
  });

  it('remove() closes the connection and powers the card off', async () => {
    const { vpcd, card, inserter } = await setup();
    const gone = vpcd.clientGone();
    await inserter.remove();
    await gone;
    expect(card.events.at(-1)).toBe('off');
    expect(inserter.presence).toBe('removed');
  });

  it("emits 'disconnected' when vpcd goes away, and reinserts itself when it comes back", async () => {
    const { vpcd, card, inserter } = await setup({ reinsertOnDisconnect: true });
    const port = vpcd.port;
    const disconnected = new Promise<string>((resolve) => inserter.once('disconnected', resolve));
    await vpcd.close();
    expect(await disconnected).toMatch(/vpcd closed/);
    expect(card.events.at(-1)).toBe('off');
    await new Promise((r) => setTimeout(r, 450)); // a few refused retries while "pcscd" is down
    const reborn = await FakeVpcd.listen(port);
    cleanups.push(() => reborn.close());
    const inserted = new Promise<void>((resolve) => inserter.once('inserted', resolve));
    await reborn.accepted();
    await inserted;
    expect(await reborn.exchange(hex('0404'))).toEqual(hex('04049000'));
  });

  it('remove() while waiting for vpcd to come back stops the reinsert attempts', async () => {
    const { vpcd, inserter } = await setup({ reinsertOnDisconnect: true });
    const port = vpcd.port;
    const disconnected = new Promise<string>((resolve) => inserter.once('disconnected', resolve));
    await vpcd.close();
    await disconnected;
    await new Promise((r) => setTimeout(r, 250)); // at least one refused attempt
    await inserter.remove();
    const reborn = await FakeVpcd.listen(port);
    cleanups.push(() => reborn.close());
    const accepted = await Promise.race([reborn.accepted().then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
    expect(accepted).toBe(false);
    expect(inserter.presence).toBe('removed');
  });

  it('insert() rejects with a hint when nothing listens on the port', async () => {
    const vpcd = await FakeVpcd.listen();
    const port = vpcd.port;
    await vpcd.close();
    const inserter = new VirtualCardInserter({ port, handler: new RecordingCard() });
    await expect(inserter.insert()).rejects.toThrow(/could not reach vpcd at 127\.0\.0\.1:\d+ \(ECONNREFUSED\).*pcscd running/);
    expect(inserter.presence).toBe('removed');
  });
});

// The card transport end to end: nfc-pcsc -> a real pcscd -> the vsmartcard vpcd
// driver -> our VirtualCardInserter -> a tiny echo card. Proves arrival and
// removal events, APDU round trips, tears surfacing as CardRemovedError,
// exclusive sessions, and surviving a pcscd restart without reopening the reader.
//
// Run: npx vitest run --project integration test/integration/pcsc-transport.test.ts
// (CIVICARD_PCSCD_DEBUG=print shows pcscd's own log with APDUs.)

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CardInUseError,
  CardRemovedError,
  NoCardError,
  NoReaderError,
  PcscdUnavailableError,
  SessionClosedError,
  type CardReader,
  type CardReaderEvents,
  type CardSession,
} from '../../hardware/pcsc/types';
import { NfcPcscCardReader } from '../../hardware/pcsc/nfc-pcsc-reader';
import type { ApduHandler } from '../../hardware/sim/apdu-handler';
import { VirtualCardInserter } from '../../hardware/sim/vpcd';
import { startPcscd, VPCD_PORTS, VPCD_READER_NAMES, type PcscdHandle } from '../support/pcscd';

const [READER, OTHER_READER] = VPCD_READER_NAMES;
const ATR = Buffer.from('3b8180018080', 'hex');
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Answers each APDU with the APDU itself, a running counter byte, then 9000. */
class EchoCard implements ApduHandler {
  readonly atr = ATR;
  readonly events: string[] = [];
  readonly commands: string[] = [];
  powerOn(): void {
    this.events.push('on');
  }
  powerOff(): void {
    this.events.push('off');
  }
  transmit(apdu: Buffer): Buffer {
    this.commands.push(apdu.toString('hex'));
    return Buffer.concat([apdu, Buffer.from([this.commands.length & 0xff, 0x90, 0x00])]);
  }
}

function nextEvent<K extends keyof CardReaderEvents>(
  reader: CardReader,
  event: K,
  match: (...args: CardReaderEvents[K]) => boolean = () => true,
  timeout_ms = 5_000,
): Promise<CardReaderEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reader.off(event, listener as never);
      reject(new Error(`no '${event}' event within ${timeout_ms} ms`));
    }, timeout_ms);
    const listener = (...args: CardReaderEvents[K]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      reader.off(event, listener as never);
      resolve(args);
    };
    reader.on(event, listener as never);
  });
}

async function until(what: string, check: () => boolean, timeout_ms = 5_000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let pcscd: PcscdHandle;
const log: string[] = [];
const open: Array<{ close(): Promise<void> } | { remove(): Promise<void> }> = [];

function openReader(): NfcPcscCardReader {
  const reader = new NfcPcscCardReader({ readerName: 'Virtual PCD', log: (m) => log.push(m) });
  open.push(reader);
  return reader;
}

async function insertCard(port: number = VPCD_PORTS[0], options: { reinsertOnDisconnect?: boolean } = {}) {
  const card = new EchoCard();
  const inserter = new VirtualCardInserter({ port, handler: card, ...options });
  open.push(inserter);
  await inserter.insert();
  return { card, inserter };
}

/** Watches from its own PC/SC context (holding no card handle) so each test starts with empty readers. */
let observer: NfcPcscCardReader;

beforeAll(async () => {
  pcscd = await startPcscd();
  observer = new NfcPcscCardReader({ readerName: 'Virtual PCD' });
});

afterEach(async (ctx) => {
  for (const thing of open.splice(0).reverse()) {
    if ('close' in thing) await thing.close();
    else await thing.remove();
  }
  // vpcd sees a card leave only at pcscd's next presence poll (~410 ms); a new
  // card connected before that would inherit the old one's presence.
  await until('pcscd saw the cards leave', () => VPCD_READER_NAMES.every((r) => observer.status(r).status !== 'card_present'));
  if (ctx.task.result?.state === 'fail') {
    console.error(`driver log:\n${log.join('\n')}\npcscd output (tail):\n${pcscd.output().slice(-4000)}`);
  }
  log.length = 0;
});

afterAll(async () => {
  await observer?.close();
  await pcscd?.stop();
});

describe('nfc-pcsc reader over pcscd + vpcd', () => {
  it('reports both vpcd readers, then a card arriving and leaving', async () => {
    const reader = openReader();
    await until('both vpcd readers are listed', () => reader.readers().length === 2);
    expect(reader.readers()).toEqual([READER, OTHER_READER]);
    expect(reader.status(READER)).toEqual({ status: 'no_card', reader: READER });

    const arrived = nextEvent(reader, 'card-arrived');
    const { inserter } = await insertCard();
    const [arrival] = await arrived;
    expect(arrival).toEqual({ reader: READER, atr: ATR });
    expect(reader.status()).toEqual({ status: 'card_present', reader: READER, atr: ATR });

    const removed = nextEvent(reader, 'card-removed');
    await inserter.remove();
    expect(await removed).toEqual([{ reader: READER }]);
    expect(reader.status(READER)).toEqual({ status: 'no_card', reader: READER });
  });

  it('round-trips APDUs through an exclusive session, and release() resets the card', async () => {
    const { card } = await insertCard();
    const reader = openReader();
    const session = await reader.waitForCard({ reader: READER, timeout_ms: 5_000 });
    expect(session.reader).toBe(READER);
    expect(session.atr).toEqual(ATR);

    expect(await session.transmit(hex('00a4040007d2760000850101'))).toEqual(hex('00a4040007d2760000850101 01 9000'));
    expect(await session.transmit(hex('905a00000301020300'))).toEqual(hex('905a00000301020300 02 9000'));
    const long = Buffer.concat([hex('90bd0000ff'), Buffer.alloc(255, 0xa5)]);
    expect(await session.transmit(long)).toEqual(Buffer.concat([long, hex('03 9000')]));
    // queued, not interleaved
    const answers = await Promise.all([1, 2, 3].map((i) => session.transmit(Buffer.from([0x00, 0xb0, 0x00, i]))));
    expect(answers.map((a) => a.toString('hex'))).toEqual(['00b0000104' + '9000', '00b0000205' + '9000', '00b0000306' + '9000']);

    const eventsBefore = card.events.length;
    await session.release();
    await until('the card was reset', () => card.events.slice(eventsBefore).join(',').includes('off,on'));
    await expect(session.transmit(hex('0000'))).rejects.toBeInstanceOf(SessionClosedError);
    await session.release(); // idempotent
  });

  for (const when of ['before', 'after'] as const) {
    it(`a tear ${when} the card runs a command surfaces as CardRemovedError`, async () => {
      const { card, inserter } = await insertCard();
      const reader = openReader();
      const session = await reader.waitForCard({ reader: READER, timeout_ms: 5_000 });
      expect(await session.transmit(hex('0001'))).toEqual(hex('0001 01 9000'));

      inserter.tearAt({ apdu: 2, when });
      expect(await session.transmit(hex('0002'))).toEqual(hex('0002 02 9000'));
      const removed = nextEvent(reader, 'card-removed');
      const failure = await session.transmit(hex('90c7000000')).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(CardRemovedError);
      expect(failure).toMatchObject({ reader: READER, command_may_have_run: true });
      expect((failure as Error).message).toMatch(/may or may not have taken effect/);
      await removed;
      // the card saw the torn command only when torn 'after'
      expect(card.commands.includes('90c7000000')).toBe(when === 'after');
      // the session stays failed, even once the card is back
      await expect(session.transmit(hex('0003'))).rejects.toBeInstanceOf(CardRemovedError);
      await session.release();

      await inserter.insert();
      const again = await reader.waitForCard({ reader: READER, timeout_ms: 5_000 });
      expect((await again.transmit(hex('0004'))).subarray(-2)).toEqual(hex('9000'));
      await again.release();
    });
  }

  it('a card taken away between commands fails the next one without sending it', async () => {
    const { card, inserter } = await insertCard();
    const reader = openReader();
    const session = await reader.waitForCard({ reader: READER, timeout_ms: 5_000 });
    const removed = nextEvent(reader, 'card-removed');
    await inserter.remove();
    await removed;
    const failure = await session.transmit(hex('0005')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CardRemovedError);
    expect(failure).toMatchObject({ command_may_have_run: false });
    expect(card.commands).toEqual([]);
    await session.release();
  });

  it('holds the card exclusively: a second reader (another PC/SC context) cannot connect until release', async () => {
    const { card } = await insertCard();
    const first = openReader();
    const second = openReader();
    const held = await first.waitForCard({ reader: READER, timeout_ms: 5_000 });
    await until('the second reader sees the card', () => second.status(READER).status === 'card_present');

    const started = Date.now();
    await expect(second.waitForCard({ reader: READER, timeout_ms: 600 })).rejects.toBeInstanceOf(CardInUseError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    // and a second session in the same app waits for the first, too
    await expect(first.waitForCard({ reader: READER, timeout_ms: 300 })).rejects.toBeInstanceOf(CardInUseError);
    expect(await held.transmit(hex('00aa'))).toEqual(hex('00aa 01 9000'));

    const waiting = second.waitForCard({ reader: READER, timeout_ms: 5_000 });
    await new Promise((r) => setTimeout(r, 150));
    await held.release();
    const next: CardSession = await waiting;
    expect(await next.transmit(hex('00bb'))).toEqual(hex('00bb 02 9000'));
    await next.release();
    expect(card.commands).toEqual(['00aa', '00bb']);
  });

  it('waitForCard reports what is missing: NoCardError, NoReaderError, or the abort reason', async () => {
    const reader = openReader();
    await until('readers are listed', () => reader.readers().length === 2);
    await expect(reader.waitForCard({ reader: OTHER_READER, timeout_ms: 200 })).rejects.toBeInstanceOf(NoCardError);
    const noSuchReader = await reader.waitForCard({ reader: 'Nonexistent Reader 00', timeout_ms: 200 }).catch((e: unknown) => e);
    expect(noSuchReader).toBeInstanceOf(NoReaderError);
    expect((noSuchReader as Error).message).toMatch(/named "Nonexistent Reader 00" \(attached: "Virtual PCD 00 00", "Virtual PCD 00 01"\)/);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('kiosk screen changed')), 50);
    await expect(reader.waitForCard({ timeout_ms: 5_000, signal: controller.signal })).rejects.toThrow('kiosk screen changed');
  });

  it('picks the reader that has a card when none is named', async () => {
    await insertCard(VPCD_PORTS[1]);
    const reader = openReader();
    const session = await reader.waitForCard({ timeout_ms: 5_000 });
    expect(session.reader).toBe(OTHER_READER);
    await session.release();
  });

  it('survives a pcscd restart: the same CardReader sees the reader and card again and transmits', async () => {
    if (!pcscd.owned) {
      throw new Error('a pcscd this test did not start is running, and it is not ours to restart: stop it (systemctl stop pcscd.socket pcscd) and run again');
    }
    const { card } = await insertCard(VPCD_PORTS[0], { reinsertOnDisconnect: true });
    const reader = openReader();
    const errors: Error[] = [];
    reader.on('error', (e) => errors.push(e));
    const session = await reader.waitForCard({ reader: READER, timeout_ms: 5_000 });
    expect(await session.transmit(hex('0011'))).toEqual(hex('0011 01 9000'));

    const detached = nextEvent(reader, 'reader-detached', (name) => name === READER);
    const restarted = Date.now();
    await pcscd.restart();
    await detached;
    await expect(session.transmit(hex('0012'))).rejects.toBeInstanceOf(PcscdUnavailableError);
    await session.release();
    expect(errors[0]).toBeInstanceOf(PcscdUnavailableError);

    const again = await reader.waitForCard({ reader: READER, timeout_ms: 10_000 });
    const recovered_ms = Date.now() - restarted;
    expect(await again.transmit(hex('0013'))).toEqual(hex('0013 02 9000'));
    await again.release();
    expect(card.commands).toEqual(['0011', '0013']);
    expect(recovered_ms).toBeLessThan(5_000);
  });
});

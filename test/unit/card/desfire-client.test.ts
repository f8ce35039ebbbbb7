import { describe, expect, it } from 'vitest';
import { DesfireClient, encodeAccessRights, jamCrc32 } from '../../../src/card/desfire';
import { DesfireStatusError } from '../../../src/card/status';
import type { ApduTransport } from '../../../src/card/transport';

const hex = (s: string) => Buffer.from(s, 'hex');

/** Answers from a script and records what was sent. */
function scripted(answers: string[]): ApduTransport & { sent: string[] } {
  const queue = [...answers];
  const sent: string[] = [];
  return {
    sent,
    async transmit(apdu: Buffer) {
      sent.push(apdu.toString('hex').toUpperCase());
      const next = queue.shift();
      if (next === undefined) throw new Error('script ran out of answers');
      return hex(next);
    },
  };
}

describe('DesfireClient', () => {
  it('authenticates EV2First with the exact AN12196 bytes (key 0x00)', async () => {
    const t = scripted(['A04C124213C186F22399D33AC2A3021591AF', '3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100']);
    const client = new DesfireClient(t, { random: () => hex('13C5DB8A5930439FC3DEF9A4C675360F') });
    await client.authenticate(0, Buffer.alloc(16));
    expect(t.sent).toEqual([
      '9071000002000000',
      '90AF00002035C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D00',
    ]);
    expect(client.authenticatedKeyNo).toBe(0);
  });

  it('wraps SelectApplication as 90 5A 00 00 03 AID 00', async () => {
    const t = scripted(['9100']);
    await new DesfireClient(t).selectApplication(hex('435601'));
    expect(t.sent).toEqual(['905A00000343560100']);
  });

  it('turns a non-OK status into a named DesfireStatusError', async () => {
    const t = scripted(['91A0']);
    const err = await new DesfireClient(t).selectApplication(hex('435601')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DesfireStatusError);
    expect((err as DesfireStatusError).status).toBe('APPLICATION_NOT_FOUND');
    expect((err as Error).message).toMatch(/requested application not present/);
  });

  it('follows 91AF chains and concatenates the frames', async () => {
    const t = scripted(['04010133001A0591AF', '04010103001A0591AF', '04515172A21290B4BA0B4F40103C9100']);
    const version = await new DesfireClient(t).getVersion();
    expect(version).toHaveLength(28);
    expect(t.sent).toEqual(['9060000000', '90AF000000', '90AF000000']);
  });

  it('refuses an endless chain of additional frames', async () => {
    const t: ApduTransport = { transmit: async () => hex('0091AF') };
    await expect(new DesfireClient(t).getVersion()).rejects.toThrow(/kept sending additional frames/);
  });

  it('computes the ChangeKey CRC32 of AN12196 Table 25', () => {
    expect(jamCrc32(hex('F3847D627727ED3BC9C4CC050489B966'))).toBe(0xdcfa9d78);
  });

  it('encodes access rights as RW|Change, Read|Write', () => {
    expect(encodeAccessRights({ read: 1, write: 2, readWrite: 3, change: 0 }).toString('hex')).toBe('3012');
  });
});

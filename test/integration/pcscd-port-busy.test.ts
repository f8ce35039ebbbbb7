import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { isTcpListening, startPcscd, VPCD_PORTS } from '../support/pcscd';

// vpcd binds its TCP port without SO_REUSEADDR, so right after one pcscd stops
// the port can stay taken for a while (the last connections' TIME_WAIT, a
// pcscd still on its way out). Starting the next one then must wait for the
// port, not fail: the whole suite starts and stops pcscd file after file.

it('a pcscd started while vpcd\'s port is still taken waits for it, then serves', async () => {
  if (await isTcpListening(VPCD_PORTS[0])) throw new Error(`a pcscd already listens on ${VPCD_PORTS[0]}: run this test alone, under flock /tmp/civicard-pcscd.lock`);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(VPCD_PORTS[0], '127.0.0.1', resolve));
  const freed = new Promise<void>((resolve) => setTimeout(() => taken.close(() => resolve()), 2_500));
  const pcscd = await startPcscd();
  try {
    await freed;
    expect(pcscd.owned).toBe(true);
    expect(await isTcpListening(VPCD_PORTS[0])).toBe(true);
    expect(await isTcpListening(VPCD_PORTS[1])).toBe(true);
  } finally {
    await pcscd.stop();
  }
}, 60_000);

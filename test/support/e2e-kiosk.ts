import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KioskServiceConfig } from '../../src/kiosk/config/service-config';
import type { KioskView } from '../../src/shared/kiosk-api';
import { ensureRendererBuilt } from './renderer-page';
import { startWebShell, type TestWebShell } from './web-shell';

// The kiosk the end-to-end tests drive in Chromium: the web shell (the
// renderer and the kiosk's API on one loopback origin, token in the URL
// fragment) over the simulated kiosk — cards through real pcscd + vpcd, the
// printer simulator on a socat pty — and the attendant booth beside it.

export interface E2eKiosk extends TestWebShell {
  /** Where the ledger (kiosk.db) and the printed receipts (receipts/*.txt) are. */
  readonly dir: string;
  /** The next card tapped has its first commit torn right after the card ran it: the kiosk never hears the answer. */
  tearAtNextCommit(): void;
}

export async function startE2eKiosk(opts: { services?: KioskServiceConfig; attendant?: boolean } = {}): Promise<E2eKiosk> {
  ensureRendererBuilt(); // a production build, before the shell looks
  const shell = await startWebShell({ pcscd: true, ...(opts.services ? { services: opts.services } : {}), attendant: opts.attendant ?? false });
  const kiosk = shell.shell.kiosk;
  return Object.assign(shell, {
    dir: kiosk.dir,
    // armed where the simulator's hands are made: the card presented next carries the tear
    tearAtNextCommit: () => kiosk.counter.tearAfterNextCommit(),
  });
}

type Money = { tx_id: string; direction: 'debit' | 'credit'; amount_minor: number };

/** The kiosk's API and simulator, its ledger and printer, as the tests look at them. */
export function kioskClient(kiosk: E2eKiosk) {
  const ok = async (r: Promise<{ status: number; body: unknown }>, what: string) => {
    const { status, body } = await r;
    if (status !== 200) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
    return body as Record<string, unknown>;
  };
  return {
    state: async () => (await ok(kiosk.api('/api/state'), 'state')) as unknown as KioskView,
    command: (command: Record<string, unknown>) => ok(kiosk.api('/api/command', command), `command ${String(command.type)}`),
    tap: (card: string, at: 'kiosk' | 'booth' = 'kiosk') => ok(kiosk.sim('/sim/card/present', { card, at }), `tap ${card}`),
    pull: (at: 'kiosk' | 'booth' = 'kiosk') => ok(kiosk.sim('/sim/card/withdraw', { at }), 'pull'),
    /** Money rows in the kiosk's ledger. */
    money: (): Money[] => kiosk.shell.kiosk.ledger.db.prepare('SELECT tx_id, direction, amount_minor FROM money ORDER BY seq').all() as Money[],
    /** Money rows in the attendant booth's ledger. */
    boothMoney: (): Money[] => (kiosk.shell.attendant?.ledger.db.prepare('SELECT tx_id, direction, amount_minor FROM money ORDER BY seq').all() ?? []) as Money[],
    /** The text of every receipt the printer simulator printed, oldest first. */
    receipts(): string[] {
      const out = join(kiosk.dir, 'receipts');
      const files = readdirSync(out).filter((f) => f.endsWith('.txt')).sort();
      return files.map((f) => readFileSync(join(out, f), 'utf8'));
    },
  };
}

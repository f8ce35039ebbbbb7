import type { Command } from 'commander';
import { DesfireSim, loadCardState, saveCardStateAtomic } from '../../../hardware/sim/desfire';
import { VirtualCardInserter, VPCD_DEFAULT_PORT, type TearPlan } from '../../../hardware/sim/vpcd';

function parseHostPort(value: string): { host: string; port: number } {
  const m = /^([^:]+):(\d{1,5})$/.exec(value);
  if (!m) throw new Error(`--vpcd must be HOST:PORT, got "${value}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

function parseTear(value: string): TearPlan {
  const m = /^(\d+)(?::(before|after))?$/.exec(value);
  if (!m || Number(m[1]) < 1) throw new Error(`--tear-at must be N or N:before or N:after (N ≥ 1), got "${value}"`);
  return { apdu: Number(m[1]), when: (m[2] as 'before' | 'after' | undefined) ?? 'before' };
}

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('simulated devices');
  sim
    .command('card')
    .description("insert a virtual DESFire EV2 card into pcscd's vpcd reader (a blank state file is a blank card)")
    .option('--vpcd <host:port>', 'where the vpcd driver listens', `127.0.0.1:${VPCD_DEFAULT_PORT}`)
    .requiredOption('--state <file>', 'card state, saved after every committed change')
    .option('--random-uid', 'answer anticollision with a fresh random UID at each power-on')
    .option('--tear-at <n[:before|after]>', 'tear the field at the n-th APDU from now (before or after executing it)')
    .action(async (opts: { vpcd: string; state: string; randomUid?: boolean; tearAt?: string }) => {
      const { host, port } = parseHostPort(opts.vpcd);
      const card = new DesfireSim({
        state: loadCardState(opts.state),
        randomUid: opts.randomUid === true,
        onPersist: (state) => saveCardStateAtomic(opts.state, state),
      });
      const inserter = new VirtualCardInserter({ host, port, handler: card, reinsertOnDisconnect: true });
      inserter.on('torn', (t) => process.stdout.write(`card torn ${t.when} APDU ${t.apdu_number}; it stays out of the field\n`));
      inserter.on('disconnected', (reason) => process.stdout.write(`vpcd went away (${reason}); waiting for it to come back\n`));
      if (opts.tearAt) inserter.tearAt(parseTear(opts.tearAt));
      await inserter.insert();
      process.stdout.write(`virtual card in the field at ${host}:${port} (state ${opts.state}); Ctrl-C to remove it\n`);
      await new Promise<void>((resolve) => {
        const stop = () => void inserter.remove().finally(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

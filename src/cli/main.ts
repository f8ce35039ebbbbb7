import { Command } from 'commander';
import { registerCommands } from './commands';

// The `civicard` command. Each subcommand lives in ./commands/<name>.ts and is
// registered in ./commands/index.ts; handlers print results on stdout and
// plain-language errors on stderr, and exit non-zero on failure.

const program = new Command('civicard')
  .description('Civicard kiosk, card tools, simulators and back office')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`civicard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

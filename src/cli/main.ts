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
program.addHelpText('after', () => `\nEvery command:\n${listCommands(program).join('\n')}\n\nRun \`civicard <command> --help\` for its options.`);

/** Every runnable command, nested ones included, with its one-line help. */
function listCommands(root: Command): string[] {
  const rows: [string, string][] = [];
  const walk = (cmd: Command, prefix: string) => {
    for (const sub of cmd.commands) {
      if (sub.name() === 'help') continue;
      const name = `${prefix}${sub.name()}`;
      if (sub.commands.length === 0) rows.push([name, sub.description()]);
      walk(sub, `${name} `);
    }
  };
  walk(root, '');
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, help]) => `  ${name.padEnd(width)}  ${help}`);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`civicard: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatReport, runBuiltInSelftest, runVectors } from '../../card/selftest';

export function registerSelftestCommand(program: Command): void {
  program
    .command('selftest')
    .description('run the card-crypto known-answer self-test (built-in, or a vectors file)')
    .option('--vectors <file>', 'JSON file of known-answer vectors (schema: test/fixtures/vectors/README.md)')
    .action((opts: { vectors?: string }) => {
      let report;
      if (opts.vectors) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(readFileSync(opts.vectors, 'utf8'));
        } catch (err) {
          process.stderr.write(`cannot read vectors file ${opts.vectors}: ${err instanceof Error ? err.message : String(err)}\n`);
          process.stdout.write('0 passed, 1 failed\n');
          process.exitCode = 2;
          return;
        }
        report = runVectors(parsed);
      } else {
        report = runBuiltInSelftest();
      }
      process.stdout.write(`${formatReport(report)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
}

import type { Command } from 'commander';
import { generateTestKeyset, writeKeysetFile } from '../../card/keys/keyset-file';
import { writePlateKeyFile } from '../../shared/plate-key-file';

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description("card master keysets (test keysets only; production keys live in a SAM) and the city's plate key");
  keys
    .command('generate')
    .description('write a new random master keyset, marked test-only, readable by its owner only')
    .requiredOption('--out <file>', 'where to write the keyset (refuses to overwrite)')
    .action((opts: { out: string }) => {
      writeKeysetFile(opts.out, generateTestKeyset());
      process.stdout.write(`wrote test-only keyset to ${opts.out} (mode 0600). Load it with --test-keys; never use it for cards that hold real money.\n`);
    });
  keys
    .command('plate-key')
    .description("write the city's plate key (parking plates travel only as HMACs under it): one per city, given to every kiosk and the enforcement lookup")
    .requiredOption('--out <file>', 'where to write it (mode 0600; refuses to overwrite)')
    .action((opts: { out: string }) => {
      const { key_id } = writePlateKeyFile(opts.out);
      process.stdout.write(`${JSON.stringify({ plate_key_file: opts.out, key_id })}\n`);
    });
}

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseTariffs, quote, type QuoteResult } from '../../parking';

// `civicard parking quote`: the price of a stay from a CDS tariff file. Prints
// one JSON object on stdout. Exit 0: a quote. 1: the stay is refused (beyond
// max stay, inside no-return, no parking then, …). 2: nothing could be quoted
// (unreadable or refused tariff file, bad arguments).

type QuoteOptions = { tariffs: string; zone: string; start: string; minutes: string; lastSessionEnd?: string; userClass?: string[] };

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function readJson(path: string): { ok: true; json: unknown } | { ok: false; detail: string } {
  try {
    return { ok: true, json: JSON.parse(readFileSync(path, 'utf8')) };
  } catch (err) {
    return { ok: false, detail: `cannot read tariff file ${path}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function exitCodeOf(result: Extract<QuoteResult, { ok: false }>): number {
  return result.reason === 'invalid_request' ? 2 : 1;
}

export function registerParkingCommands(program: Command): void {
  const parking = program.command('parking').description('parking tariffs (Curb Data Specification)');
  parking
    .command('quote')
    .description('price a stay in a zone from a CDS tariff file')
    .requiredOption('--tariffs <file>', 'CDS Curbs JSON with its envelope (zones and policies); subset: docs/parking-tariffs.md')
    .requiredOption('--zone <id>', "the zone's curb_zone_id or user_zone_id")
    .requiredOption('--start <iso>', 'start of the stay, ISO 8601 with an offset or Z')
    .requiredOption('--minutes <n>', 'length of the stay in minutes (elapsed time)')
    .option('--last-session-end <iso>', "end of this vehicle's previous stay in the zone (for no-return)")
    .option('--user-class <class...>', 'CDS user classes of the vehicle (e.g. disabled_parking_permit)')
    .action((opts: QuoteOptions) => {
      const file = readJson(opts.tariffs);
      if (!file.ok) {
        print({ refused: 'invalid_tariffs', detail: file.detail });
        process.exitCode = 2;
        return;
      }
      const parsed = parseTariffs(file.json);
      if (!parsed.ok) {
        print({ refused: 'invalid_tariffs', detail: `${parsed.errors.length} field(s) cannot be priced`, errors: parsed.errors });
        process.exitCode = 2;
        return;
      }
      const minutes = /^\d+$/.test(opts.minutes) ? Number(opts.minutes) : Number.NaN;
      const result = quote({
        tariffs: parsed.tariffs,
        zone: opts.zone,
        start: opts.start,
        minutes,
        ...(opts.userClass === undefined ? {} : { user_classes: opts.userClass }),
        ...(opts.lastSessionEnd === undefined ? {} : { last_session_end: opts.lastSessionEnd }),
      });
      if (!result.ok) {
        print({ refused: result.reason, detail: result.detail });
        process.exitCode = exitCodeOf(result);
        return;
      }
      print({ amount_minor: result.amount_minor, currency: result.currency, end: result.end, breakdown: result.breakdown });
    });
}

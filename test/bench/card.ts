// npm run bench:card — card operations through pcscd + vpcd, with the bare
// transport measured in the same run so the software's own cost shows as a ratio,
// and what the same operations would take on a real ISO/IEC 14443-4 reader at
// 424 kbit/s: the software time measured here plus the air, card and USB time
// modelled from the APDUs these operations really exchanged in this run
// (reader-model.ts, which cites its figures). Prints one JSON object on stdout.
import { issueCard } from '../../src/card/issuance';
import { generateTestKeyset } from '../../src/card/keys/keyset-file';
import { Purse } from '../../src/card/purse';
import { openCardReader } from '../../hardware/pcsc';
import type { CardSession } from '../../hardware/pcsc/types';
import { blankCardState, DesfireSim } from '../../hardware/sim/desfire';
import { InMemoryCardTransport } from '../../hardware/sim/in-memory-transport';
import { VirtualCardInserter } from '../../hardware/sim/vpcd';
import { startPcscd } from '../../hardware/pcsc/pcscd-process';
import { vaultFor } from '../support/card-fixtures';
import { modelOperation, recordingTransport, type Exchange } from './reader-model';

const TAPS = Number(process.env.BENCH_TAPS ?? 200);
const READER = 'Virtual PCD 00 00';
const TRIVIAL_APDU = Buffer.from('FFCA000000', 'hex'); // PC/SC Get UID: answered without crypto or state

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 1000) / 1000;
}

function summary(samples_ms: number[]) {
  const sorted = [...samples_ms].sort((a, b) => a - b);
  return { n: sorted.length, p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95) };
}

function txId(n: number): string {
  return `0190b000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

async function main(): Promise<void> {
  const keyset = generateTestKeyset();
  const issuer = vaultFor(keyset.keys, ['issuer', 'debit', 'credit', 'read', 'tmac']);
  const kiosk = vaultFor(keyset.keys, ['debit', 'read']);
  const pcscd = await startPcscd();
  const sim = new DesfireSim({ state: blankCardState() });
  const inserter = new VirtualCardInserter({ port: 35963, handler: sim });
  await inserter.insert();
  const reader = openCardReader({});
  let txn = 1;
  try {
    const connect = () => reader.waitForCard({ reader: READER, timeout_ms: 10_000 });
    const first = await connect();
    await issueCard(first, { vault: issuer, opening_balance_minor: 40_000, limit_minor: 50_000, program_id: 1, valid_years: 5, tx_id: txId(0) });
    await first.release();

    async function measureTaps(op: (s: CardSession) => Promise<number>) {
      const samples: number[] = [];
      let apdus = 0;
      for (let i = 0; i < TAPS; i++) {
        const t0 = performance.now();
        const session = await connect();
        apdus = await op(session);
        await session.release();
        samples.push(performance.now() - t0);
      }
      return { ...summary(samples), apdus_per_op: apdus };
    }

    const balance = await measureTaps(async (s) => {
      const purse = new Purse(s, { vault: kiosk });
      await purse.read();
      return purse.client.apdus_sent;
    });
    const debit = await measureTaps(async (s) => {
      const purse = new Purse(s, { vault: kiosk });
      await purse.read();
      const outcome = await purse.debit(txId(txn++), 1);
      if (outcome.outcome !== 'committed') throw new Error(`bench debit not committed: ${JSON.stringify(outcome)}`);
      return purse.client.apdus_sent;
    });
    const bare = async (count: number) =>
      measureTaps(async (s) => {
        for (let i = 0; i < count; i++) await s.transmit(TRIVIAL_APDU);
        return count;
      });
    const bareBalance = await bare(balance.apdus_per_op);
    const bareDebit = await bare(debit.apdus_per_op);

    // The same operations with no reader at all: the protocol's own CPU cost,
    // and the exchanges the reader model is fed with.
    const desk = new InMemoryCardTransport(sim);
    const softwareOnly: number[] = [];
    const softwareRead: number[] = [];
    const softwareDebit: number[] = [];
    let readExchanges: Exchange[] = [];
    let debitExchanges: Exchange[] = [];
    for (let i = 0; i < TAPS; i++) {
      desk.reinsert();
      let t0 = performance.now();
      const reading = recordingTransport(desk);
      await new Purse(reading.transport, { vault: kiosk }).read();
      softwareRead.push(performance.now() - t0);
      readExchanges = reading.exchanges;

      desk.reinsert();
      t0 = performance.now();
      const paying = recordingTransport(desk);
      const purse = new Purse(paying.transport, { vault: kiosk });
      await purse.read();
      const outcome = await purse.debit(txId(txn++), 1);
      softwareDebit.push(performance.now() - t0);
      if (outcome.outcome !== 'committed') throw new Error(`in-memory debit not committed: ${JSON.stringify(outcome)}`);
      debitExchanges = paying.exchanges;
      softwareOnly.push(softwareDebit.at(-1)!);
    }
    const onRealReader = (software: number[], exchanges: Exchange[], over_pcscd_apdus: number) => {
      const software_p50_ms = summary(software).p50_ms;
      const model = modelOperation(exchanges);
      return {
        ...model,
        same_apdu_count_as_over_pcscd: model.apdus === over_pcscd_apdus,
        software_p50_ms,
        modelled_total_ms: Math.round((software_p50_ms + model.reader_ms) * 100) / 100,
        modelled_total_slow_reader_ms: Math.round((software_p50_ms + model.slow_reader_ms) * 100) / 100,
      };
    };

    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    process.stdout.write(
      `${JSON.stringify(
        {
          bench: 'card',
          transport: 'nfc-pcsc → pcscd → vpcd → DesfireSim (loopback TCP)',
          taps_per_measure: TAPS,
          tap_to_authenticated_balance: balance,
          tap_to_debit_committed: debit,
          bare_transport_same_apdu_count: { balance: bareBalance, debit: bareDebit },
          overhead_ratio_p50: { balance: ratio(balance.p50_ms, bareBalance.p50_ms), debit: ratio(debit.p50_ms, bareDebit.p50_ms) },
          software_only_read_and_debit_in_memory: summary(softwareOnly),
          modelled_real_reader_iso14443_4_424kbps: {
            how: 'software p50 measured in memory + per APDU (frames at 424 kbit/s, frame delays, 2 ms USB full-speed CCID) + 1 ms per EEPROM-writing command + 2 ms (assumed) per AES authentication; APDUs counted in this run; sources in test/bench/reader-model.ts',
            tap_to_authenticated_balance: onRealReader(softwareRead, readExchanges, balance.apdus_per_op),
            tap_to_debit_committed: onRealReader(softwareDebit, debitExchanges, debit.apdus_per_op),
          },
          node: process.version,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await reader.close();
    await inserter.remove();
    await pcscd.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:card failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

// Runs payments in memory and nothing else, for a CPU profile and the time of
// each stage of a payment:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx test/bench/profile-payments.ts
// BENCH_PAYMENTS sets how many (default 1,000), BENCH_CARDS among how many
// residents' cards (default 100; 1 is the worst case), NO_STAGES=1 leaves the
// stage timers out (for a profile of the kiosk alone).
import { startPaymentLoop } from './payment-loop';
import { StageTimers } from './stage-timers';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 1_000);

async function main() {
  const stages = new StageTimers();
  const cards = Number(process.env.BENCH_CARDS ?? 100);
  const loop = await startPaymentLoop(process.env.NO_STAGES ? { cards } : { stages, cards });
  const samples: number[] = [];
  for (let n = 1; n <= PAYMENTS; n++) {
    samples.push(await loop.pay(n));
    loop.forgetSimulatorRecordings();
  }
  await loop.stop();
  samples.sort((a, b) => a - b);
  const at = (p: number) => Math.round(samples[Math.ceil((p / 100) * samples.length) - 1]! * 100) / 100;
  process.stdout.write(`${JSON.stringify({ payments: PAYMENTS, p50_ms: at(50), p95_ms: at(95), mean_ms_per_stage: stages.perPayment(PAYMENTS) }, null, 2)}\n`);
}

void main();

import { defineConfig } from 'vitest/config';

// Two suites: `unit` (pure code and fakes, fast, parallel) and `integration`
// (real pcscd + vpcd, real ptys, real processes; run one file at a time because
// they share the machine's single pcscd and its vpcd ports).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

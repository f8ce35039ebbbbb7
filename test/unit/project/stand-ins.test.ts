import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue 8: once the real services exist, the fixed-fee stand-in is for tests
// only. Nothing the product runs (src/, hardware/, renderer/src) may import it:
// `civicard start`, `kiosk --sim` and the Electron core sell the bundled
// simulators (src/kiosk/demo/sim-services.ts).

function importersOf(root: string, pattern: RegExp): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|tsx|js|mjs|cjs)$/.test(f))
    .map((f) => join(root, f))
    .filter((file) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].some((m) => pattern.test(m[1]!)));
}

describe('the fixed-fee stand-in', () => {
  it('is imported by no product code (src/, hardware/, renderer/src)', () => {
    const fixedFee = /(^|\/)fixed-fee(\.ts)?$/;
    expect([...importersOf('src', fixedFee), ...importersOf('hardware', fixedFee), ...importersOf('renderer/src', fixedFee)]).toEqual([]);
  });

  it('lives with the test support code', () => {
    expect(readdirSync('src/kiosk/services')).not.toContain('fixed-fee.ts');
    expect(readdirSync('test/support')).toContain('fixed-fee.ts');
  });
});

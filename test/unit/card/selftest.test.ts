import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatReport, runBuiltInSelftest, runVectors } from '../../../src/card/selftest';

const PUBLIC_VECTORS = fileURLToPath(new URL('../../fixtures/vectors/ev2-public.json', import.meta.url));

describe('crypto self-test', () => {
  it('passes every published vector in test/fixtures/vectors/ev2-public.json', () => {
    const report = runVectors(JSON.parse(readFileSync(PUBLIC_VECTORS, 'utf8')));
    expect(report.outcomes.filter((o) => !o.passed)).toEqual([]);
    expect(report.passed).toBeGreaterThanOrEqual(20);
    expect(report.ok).toBe(true);
  });

  it('passes its built-in known answers', () => {
    expect(runBuiltInSelftest().ok).toBe(true);
  });

  it('fails a vector whose expected answer is wrong, and says which', () => {
    const report = runVectors({
      cmac: [{ source: 'tampered', key: '2B7E151628AED2A6ABF7158809CF4F3C', msg: '', cmac: 'BB1D6929E95937287FA37D129B756747' }],
    });
    expect(report.ok).toBe(false);
    expect(formatReport(report)).toMatch(/FAIL cmac\[0\] tampered: CMAC: got BB1D6929E95937287FA37D129B756746/);
    expect(formatReport(report).split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('ignores unknown sections and fields, and fails a section that is not a list', () => {
    const report = runVectors({ futureSection: [{}], cmac: 'oops', iv: [] });
    expect(report.passed).toBe(0);
    expect(report.unrunnable).toEqual(['cmac']);
    expect(report.ok).toBe(false);
  });

  it('counts a rejected invalid response as passed and an accepted one as failed', () => {
    const base = {
      SesAuthENCKey: '7A93D6571E4B180FCA6AC90C9A7488D4',
      SesAuthMACKey: 'FC4AF159B62E549B5812394CAB1918CC',
      TI: '7614281A',
      counter: 1,
      plain: '',
    };
    expect(runVectors({ full_resp: [{ ...base, rapdu: 'C26D236F4A7C046D9100', valid: false }] }).ok).toBe(true);
    expect(runVectors({ full_resp: [{ ...base, rapdu: 'C26D236E4A7C046D9100', valid: false }] }).ok).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { runLibraryPayments } from '../bench/library-payments';

// bench:services' core with 3 payments: every library fine paid through the
// kiosk costs one Patron Information and one Fee Paid round trip, the login
// happens once per connection, and the bare-client baseline sends the same.

describe('bench:services core', () => {
  it('pays 3 library fines through the kiosk with one login, then 63 + 37 per payment, and times each part', async () => {
    const r = await runLibraryPayments(3);
    expect(r.kiosk_sip2).toEqual({ connections: 1, requests_by_code: { '37': 3, '63': 3, '93': 1 } });
    expect(r.baseline_sip2).toEqual({ connections: 1, requests_by_code: { '37': 3, '63': 3, '93': 1 } });
    expect(r.ils_outstanding_after_minor).toBe(0);
    expect(r.whole_payment.n).toBe(3);
    expect(r.kiosk_added.p50_ms).toBeGreaterThan(0);
    expect(r.client_sip2_wait.p50_ms).toBeGreaterThanOrEqual(r.ils_own.p50_ms);
  });
});

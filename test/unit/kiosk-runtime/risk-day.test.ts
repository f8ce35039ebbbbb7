import { describe, expect, it } from 'vitest';
import type { CardRead } from '../../../src/kiosk/machines/contracts';
import { checkRisk, DEFAULT_RISK_POLICY, type RiskEnvironment } from '../../../src/kiosk/runtime/risk';
import type { RuntimeLedger } from '../../../src/kiosk/runtime/runtime-ledger';
import { CARD_A, memoryLedger, paymentTx } from '../ledger/helpers';

// The daily per-card limit counts the kiosk's own day (its IANA time zone),
// not the UTC day: a resident at a Chicago kiosk at 23:30 and again at 00:30
// has paid on two days, even though both are the same UTC date.

const ZONE = 'America/Chicago';
const DAILY_MAX = 1_000;

function card(over: Partial<CardRead> = {}): CardRead {
  return { card_ref: CARD_A, masked_serial: '**** 1234', balance_minor: 10_000, expires_on: '2099-12-31', status: 'active', hotlisted: false, tmac_counter: 40, recent: [], ...over };
}

function kiosk(time_zone = ZONE) {
  let at = new Date(0);
  const ledger: RuntimeLedger = memoryLedger(() => at);
  const env: RiskEnvironment & { time_zone: string } = {
    policy: { ...DEFAULT_RISK_POLICY, daily_card_max_minor: DAILY_MAX },
    ledger,
    online: () => true,
    hotlistAgeMs: () => 0,
    now: () => at,
    time_zone,
  };
  const setClock = (iso: string) => {
    at = new Date(iso);
  };
  /** A committed debit of `amount_minor` written at `iso`. */
  const debitAt = async (iso: string, amount_minor: number) => {
    setClock(iso);
    const tx = paymentTx(1, { card_ref: CARD_A, amount_minor, balance_before_minor: 10_000, expected_balance_after_minor: 10_000 - amount_minor, tmac_counter_before: 10 });
    expect(await ledger.writeIntent(tx)).toMatchObject({ ok: true });
    expect(await ledger.recordCommitted(tx, { balance_after_minor: tx.expected_balance_after_minor, tmac_counter: 11, tmac_value: '0011223344556677' })).toMatchObject({ ok: true });
  };
  return { env, setClock, debitAt };
}

describe('daily per-card limit in the kiosk time zone', () => {
  // Each row: a debit of 600 at `first`, then a check of 600 at `then` (limit 1,000).
  // Times are UTC instants; the comment gives the Chicago wall clock.
  const rows = [
    { name: '23:30 and 00:30 the next day (CST), same UTC date', first: '2025-01-15T05:30:00Z', then: '2025-01-15T06:30:00Z', sameDay: false },
    { name: '17:30 and 19:30 the same day (CST), different UTC dates', first: '2025-01-14T23:30:00Z', then: '2025-01-15T01:30:00Z', sameDay: true },
    { name: '23:59 and 00:00 the next day (CST)', first: '2025-01-15T05:59:00Z', then: '2025-01-15T06:00:00Z', sameDay: false },
    { name: 'spring forward: 23:30 CDT on 9 March and 00:30 CDT on 10 March', first: '2025-03-10T04:30:00Z', then: '2025-03-10T05:30:00Z', sameDay: false },
    { name: 'spring forward: 00:30 CST and 23:30 CDT on 9 March (a 23-hour day)', first: '2025-03-09T06:30:00Z', then: '2025-03-10T04:30:00Z', sameDay: true },
    { name: 'fall back: 23:30 CST on 2 November and 00:30 CST on 3 November', first: '2025-11-03T05:30:00Z', then: '2025-11-03T06:30:00Z', sameDay: false },
    { name: 'fall back: 00:30 CDT and 23:30 CST on 2 November (a 25-hour day)', first: '2025-11-02T05:30:00Z', then: '2025-11-03T05:30:00Z', sameDay: true },
    { name: 'fall back: 01:30 CDT and 01:30 CST on 2 November (the repeated hour)', first: '2025-11-02T06:30:00Z', then: '2025-11-02T07:30:00Z', sameDay: true },
  ];

  it.each(rows)('$name → same kiosk day: $sameDay', async ({ first, then, sameDay }) => {
    const k = kiosk();
    await k.debitAt(first, 600);
    k.setClock(then);
    const result = await checkRisk(k.env, { card: card(), amount_minor: 600 });
    expect(result).toEqual(sameDay ? { ok: false, error: 'daily_limit' } : { ok: true, value: null });
  });

  it('counts the day from local midnight east of UTC too (Asia/Kolkata, +05:30)', async () => {
    const k = kiosk('Asia/Kolkata');
    await k.debitAt('2025-01-14T18:20:00Z', 600); // 23:50 on the 14th in Kolkata
    k.setClock('2025-01-14T18:40:00Z'); // 00:10 on the 15th
    expect(await checkRisk(k.env, { card: card(), amount_minor: 600 })).toEqual({ ok: true, value: null });
    k.setClock('2025-01-14T18:25:00Z'); // 23:55 on the 14th
    expect(await checkRisk(k.env, { card: card(), amount_minor: 600 })).toEqual({ ok: false, error: 'daily_limit' });
  });

  it('treats a card as valid through its expiry date in the kiosk time zone', async () => {
    const k = kiosk();
    k.setClock('2025-03-04T02:00:00Z'); // 20:00 CST on 3 March: the UTC date is already the 4th
    expect(await checkRisk(k.env, { card: card({ expires_on: '2025-03-03' }), amount_minor: 100 })).toEqual({ ok: true, value: null });
    k.setClock('2025-03-04T06:00:00Z'); // 00:00 CST on 4 March
    expect(await checkRisk(k.env, { card: card({ expires_on: '2025-03-03' }), amount_minor: 100 })).toEqual({ ok: false, error: 'expired' });
  });
});

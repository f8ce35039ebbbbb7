import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../src/library/frame';
import { decodeMessage, encodeMessage, MESSAGES, type MessageCode, type SipMessage } from '../../../src/library/messages';
import { endPatronSessionRequest, feePaidRequest, loginRequest, patronInformationRequest, readFeePaidRequest, requestAcsResend, scStatusRequest } from '../../../src/library/requests';
import { acsStatusResponse, feePaidResponse, patronInformationResponse, readAcsStatus, readFeePaidResponse, readPatronFines } from '../../../src/library/responses';

const DATE = '20240301    101500';
const wire = (m: SipMessage, sequence: number) => encodeFrame(encodeMessage(m), { sequence }).toString('latin1');
const decode = (payload: string) => {
  const r = decodeMessage(payload);
  if (!r.ok) throw new Error(r.error.kind);
  return r.message;
};

describe('SIP2 messages, byte for byte', () => {
  it('93 Login as the specification writes it', () => {
    const m = loginRequest({ user_id: 'LoginUserID', password: 'LoginPassword', location_code: 'LocationCode' });
    expect(wire(m, 5)).toBe('9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZEC7B\r');
  });

  it('99 SC Status as the 3M guide writes it', () => {
    expect(encodeMessage({ code: '99', fixed: { status_code: '0', max_print_width: ' 40', protocol_version: '2.00' }, fields: [] })).toBe('990 402.00');
    expect(encodeMessage(scStatusRequest({ max_print_width: 40 }))).toBe('9900402.00');
  });

  it('98 ACS Status captured from a SirsiDynix server, unknown VN field kept', () => {
    const line = '98YYYYNN01000320130808    1509002.00AOst|AMSt. Albert Public Library|BXYYYYYYYYYYYYYYYY|ANUnassigned|VNSIP 2.00.106 SirsiDynix Inc. 7.5.074.40|AY1AZD3FA';
    const frame = decodeFrame(Buffer.from(line));
    expect(frame.ok && frame.frame.sequence).toBe(1);
    const m = decode(frame.ok ? frame.frame.payload : '');
    expect(m.fixed).toMatchObject({ online_status: 'Y', timeout_period: '010', retries_allowed: '003', date_time_sync: '20130808    150900', protocol_version: '2.00' });
    expect(m.fields.at(-1)).toEqual({ tag: 'VN', value: 'SIP 2.00.106 SirsiDynix Inc. 7.5.074.40' });
    expect(readAcsStatus(m)).toMatchObject({ online: true, institution_id: 'st', supports_fee_paid: true });
    expect(encodeFrame(encodeMessage(m), { sequence: 1 }).toString()).toBe(line + '\r');
  });

  it('63 Patron Information asking for fine items, with a PIN', () => {
    const m = patronInformationRequest({ transaction_date: DATE, institution_id: 'CITY', patron_identifier: 'P1', patron_password: '1234' });
    expect(encodeMessage(m)).toBe('6300020240301    101500   Y      AOCITY|AAP1|AC|AD1234|');
  });

  it('64 Patron Information Response with two fine items', () => {
    const m = patronInformationResponse({
      date: DATE,
      institution_id: 'CITY',
      patron_identifier: 'P1',
      personal_name: 'Test Patron',
      valid_patron: true,
      valid_patron_password: true,
      currency_type: 'USD',
      fee_amount: '5.25',
      fine_items: ['Overdue fine 3.50', 'Lost card 1.75'],
    });
    expect(encodeMessage(m)).toBe(
      '64              00020240301    101500000000000000000200000000AOCITY|AAP1|AETest Patron|BLY|CQY|BHUSD|BV5.25|AVOverdue fine 3.50|AVLost card 1.75|',
    );
    expect(readPatronFines(m)).toEqual({ valid_patron: true, valid_patron_password: true, currency_type: 'USD', fee_amount: '5.25', fine_items: ['Overdue fine 3.50', 'Lost card 1.75'], fine_items_count: 2, personal_name: 'Test Patron' }); // the name for the screen; never BD (address)
  });

  it('37 Fee Paid with fee id and transaction id; 38 answer', () => {
    const m = feePaidRequest({ transaction_date: DATE, institution_id: 'CITY', patron_identifier: 'P1', fee_amount: '3.50', currency_type: 'USD', fee_identifier: '17', transaction_id: 'tx-1' });
    expect(encodeMessage(m)).toBe('3720240301    1015000100USDBV3.50|AOCITY|AAP1|CG17|BKtx-1|');
    expect(readFeePaidRequest(decode(encodeMessage(m)))).toMatchObject({ fee_amount: '3.50', fee_identifier: '17', transaction_id: 'tx-1', currency_type: 'USD' });
    const answer = feePaidResponse({ accepted: true, date: DATE, institution_id: 'CITY', patron_identifier: 'P1', transaction_id: 'tx-1' });
    expect(encodeMessage(answer)).toBe('38Y20240301    101500AOCITY|AAP1|BKtx-1|');
    expect(readFeePaidResponse(answer)).toEqual({ accepted: true, transaction_id: 'tx-1', screen_messages: [] });
  });

  it('35 End Patron Session and 97 Request ACS Resend', () => {
    expect(encodeMessage(endPatronSessionRequest({ transaction_date: DATE, institution_id: 'CITY', patron_identifier: 'P1' }))).toBe('3520240301    101500AOCITY|AAP1|');
    expect(wire(requestAcsResend(), 0)).toBe('97AY0AZFE2B\r');
    expect(encodeFrame(encodeMessage(requestAcsResend()), { sequence: null }).toString()).toBe('97AZFEF5\r');
  });

  it('reads fields in any order and ignores unknown ones', () => {
    const m = decode('38N20240301    101500ZZsomething|BKtx-9|AFrefused|AOCITY|AAP1|XX|');
    expect(readFeePaidResponse(m)).toEqual({ accepted: false, transaction_id: 'tx-9', screen_messages: ['refused'] });
    expect(m.fields.map((x) => x.tag)).toEqual(['ZZ', 'BK', 'AF', 'AO', 'AA', 'XX']);
  });

  it('refuses to write a value the wire cannot carry, naming the field only', () => {
    expect(() => encodeMessage(loginRequest({ user_id: 'kiosk', password: 'se|cret' }))).toThrow(/^Login: field CO holds "\|" or a line end$/);
    expect(() => encodeMessage(loginRequest({ user_id: 'kiosk', password: 'se|cret' }))).not.toThrow(/secret|se\|cret/);
  });
});

describe('malformed messages are typed errors', () => {
  it('names the message and field, never the value', () => {
    expect(decodeMessage('64              000')).toEqual({ ok: false, error: { kind: 'short_fixed_part', message: 'Patron Information Response', field: 'transaction_date' } });
    expect(decodeMessage('38Y20240301    101500AOCITY|X|')).toEqual({ ok: false, error: { kind: 'malformed_field', message: 'Fee Paid Response', position: 28 } });
    expect(decodeMessage('XYZ')).toEqual({ ok: false, error: { kind: 'unknown_message' } });
    expect(() => readFeePaidResponse(decode('38?20240301    101500AOCITY|'))).toThrow(/^payment accepted is not Y or N$/);
  });

  it('never throws on random text or bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1'))), (s) => {
        const r = decodeMessage(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(MESSAGES) as MessageCode[])), fc.string({ maxLength: 120 }), (code, rest) => {
        expect(typeof decodeMessage(code + rest).ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('round trip', () => {
  const fixedChar = fc.constantFrom(...'0123456789 YN.ABC');
  const value = fc.string({ maxLength: 30 }).filter((s) => !/[|\r\n]/.test(s));
  const tag = fc.stringMatching(/^[A-Z0-9]{2}$/);
  const message: fc.Arbitrary<SipMessage> = fc.constantFrom(...(Object.keys(MESSAGES) as MessageCode[])).chain((code) => {
    const spec = MESSAGES[code];
    const fixed = fc.tuple(...spec.fixed.map((x) => fc.string({ unit: fixedChar, minLength: x.width, maxLength: x.width })));
    const fields = fc.array(fc.record({ tag, value }), { maxLength: 8 });
    return fc.tuple(fixed, fields).map(([values, fs]) => ({ code, fixed: Object.fromEntries(spec.fixed.map((x, i) => [x.name, values[i]!])), fields: fs }));
  });

  it('decode(encode(m)) is m, through a checked frame with CR or CRLF, for every message', () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 9 }), fc.constantFrom('\r' as const, '\r\n' as const), (m, seq, term) => {
        const frame = decodeFrame(encodeFrame(encodeMessage(m), { sequence: seq }, term), { requireChecksum: true });
        expect(frame.ok).toBe(true);
        if (!frame.ok) return;
        expect(frame.frame.sequence).toBe(seq);
        expect(decodeMessage(frame.frame.payload)).toEqual({ ok: true, message: m });
      }),
      { numRuns: 1000 },
    );
  });

  it('also without error detection', () => {
    fc.assert(
      fc.property(message, (m) => {
        const frame = decodeFrame(encodeFrame(encodeMessage(m), false));
        expect(frame.ok && decodeMessage(frame.frame.payload)).toEqual({ ok: true, message: m });
      }),
      { numRuns: 500 },
    );
  });
});

it('a 98 built by the simulator reads back', () => {
  const m = acsStatusResponse({ date: DATE, institution_id: 'CITY', supports: ['status', 'login', 'patron_information', 'fee_paid'] });
  expect(encodeMessage(m)).toBe('98YNNNNN03000320240301    1015002.00AOCITY|BXNNNNYNYYNYNNNNNN|');
  expect(readAcsStatus(decode(encodeMessage(m)))).toMatchObject({ online: true, supports_fee_paid: true, institution_id: 'CITY' });
});

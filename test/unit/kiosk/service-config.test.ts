import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KioskConfigError } from '../../../src/kiosk/config/kiosk-config';
import { serviceConfigOf } from '../../../src/kiosk/config/service-config';

const TARIFFS = join(process.cwd(), 'test/fixtures/tariffs/chicago-downtown.json');
const CITATIONS = join(process.cwd(), 'test/fixtures/citations/downtown.json');
const tmpFile = (name: string, text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'civicard-flags-')), name);
  writeFileSync(path, text);
  return path;
};

describe('kiosk service flags', () => {
  it('reads the ILS address, login and institution, the tariff file and the citations file', () => {
    const config = serviceConfigOf({ sip2: '127.0.0.1:6001', sip2Login: 'kiosk:pa:ss', institution: 'CIVICLIB', tariffs: TARIFFS, citations: CITATIONS }, 'USD');
    expect(config.library).toEqual({ host: '127.0.0.1', port: 6001, institution_id: 'CIVICLIB', profile: 'koha', login: { user_id: 'kiosk', password: 'pa:ss' } });
    expect(config.tariffs?.zones.map((z) => z.user_zone_id)).toEqual(['101']);
    expect(config.citations?.citations.size).toBe(5);
    expect(serviceConfigOf({ sip2: '[::1]:6001', institution: 'X' }, 'USD').library).toMatchObject({ host: '::1', port: 6001 });
    expect(serviceConfigOf({}, 'USD')).toEqual({});
  });

  it.each([
    [{ sip2: 'localhost' }, /--sip2 must be HOST:PORT .*got "localhost"/],
    [{ sip2: 'localhost:0', institution: 'X' }, /--sip2 must be HOST:PORT/],
    [{ sip2: 'localhost:70000', institution: 'X' }, /--sip2 must be HOST:PORT/],
    [{ sip2: 'a b:6001', institution: 'X' }, /--sip2 must be HOST:PORT/],
    [{ sip2: 'localhost:6001' }, /--sip2 needs --institution ID/],
    [{ sip2: 'localhost:6001', institution: 'X', sip2Login: 'nopassword' }, /--sip2-login must be USER:PASSWORD/],
    [{ sip2: 'localhost:6001', institution: 'X', ilsProfile: 'alma' }, /--ils-profile must be one of/],
    [{ sip2Login: 'a:b' }, /--sip2-login needs --sip2 HOST:PORT/],
  ])('refuses %j, saying what is wrong', (flags, message) => {
    expect(() => serviceConfigOf(flags, 'USD')).toThrow(KioskConfigError);
    expect(() => serviceConfigOf(flags, 'USD')).toThrow(message);
  });

  it('an unreadable or refused tariff file: the flag, the file and the field are named', () => {
    expect(() => serviceConfigOf({ tariffs: '/nonexistent/tariffs.json' }, 'USD')).toThrow('--tariffs /nonexistent/tariffs.json: cannot read it (ENOENT)');
    const notJson = tmpFile('t.json', '{');
    expect(() => serviceConfigOf({ tariffs: notJson }, 'USD')).toThrow(`--tariffs ${notJson}: not valid JSON`);
    const fixture = JSON.parse(readFileSync(TARIFFS, 'utf8')) as { data: { policies: { rules: { rate?: Record<string, unknown>[] }[] }[] } };
    fixture.data.policies[2]!.rules[0]!.rate![0]!.maximum_fee = 500;
    const capped = tmpFile('capped.json', JSON.stringify(fixture));
    expect(() => serviceConfigOf({ tariffs: capped }, 'USD')).toThrow(`--tariffs ${capped}: 1 field(s) cannot be priced: $.data.policies[2].rules[0].rate[0].maximum_fee: not implemented`);
    expect(() => serviceConfigOf({ tariffs: TARIFFS }, 'EUR')).toThrow(/\$\.currency is USD, this kiosk takes EUR/);
  });

  it('a citations file that cannot be used names the field', () => {
    const bad = tmpFile('c.json', JSON.stringify({ format: 'civicard-citations/1', currency: 'USD', citations: [{ number: '123', amount_minor: 100, status: 'open' }] }));
    expect(() => serviceConfigOf({ citations: bad }, 'USD')).toThrow(`--citations ${bad}: $.citations[0].number: must be 10 digits`);
    expect(() => serviceConfigOf({ citations: '/nonexistent/c.json' }, 'USD')).toThrow(/--citations \/nonexistent\/c.json: cannot read it/);
  });
});

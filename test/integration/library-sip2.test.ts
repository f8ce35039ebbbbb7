import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Sip2Client, Sip2Error, type Sip2ClientOptions } from '../../src/library/client';
import { loadIlsData } from '../../src/library/ils-data';
import { IlsSimulator, type IlsSimulatorOptions } from '../../src/library/ils-simulator';
import { ILS_PROFILES, type IlsProfileName } from '../../src/library/profiles';
import type { Minor } from '../../src/shared/money';

// The SIP2 client against the ILS simulator over loopback TCP (and TLS):
// every port is picked by the system, everything started is stopped.

const DATA = join(process.cwd(), 'test/fixtures/ils/library.json');
const P1 = '29000000000001';
const started: { sims: IlsSimulator[]; clients: Sip2Client[] } = { sims: [], clients: [] };

afterEach(async () => {
  for (const c of started.clients.splice(0)) c.close();
  for (const s of started.sims.splice(0)) await s.stop();
});

async function ils(profile: IlsProfileName = 'koha', extra: Partial<IlsSimulatorOptions> = {}) {
  const sim = new IlsSimulator({ data: loadIlsData(DATA), profile, ...extra });
  started.sims.push(sim);
  const { port } = await sim.start(0, '127.0.0.1');
  return { sim, port };
}

function client(port: number, profile: IlsProfileName = 'koha', extra: Partial<Sip2ClientOptions> = {}) {
  const c = new Sip2Client({
    host: '127.0.0.1',
    port,
    institution_id: 'CIVICLIB',
    profile: ILS_PROFILES[profile],
    currency: 'USD',
    login: { user_id: 'kiosk', password: 'kiosk-pass' },
    timeout_ms: 300,
    ...extra,
  });
  started.clients.push(c);
  return c;
}

const pay = (transaction_id: string, amount_minor: number, fee_id?: string) => ({ patron_id: P1, amount_minor: amount_minor as Minor, currency: 'USD', transaction_id, fee_id });

describe('SIP2 client and ILS simulator (Koha profile)', () => {
  it('logs in once, reads the ACS status and a patron’s fines (Koha items carry no fee id: pay the total)', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port);
    expect(await c.status()).toMatchObject({ online: true, institution_id: 'CIVICLIB', supports_fee_paid: true, protocol_version: '2.00' });
    const found = await c.patronFines(P1, { pin: '1234' });
    expect(found).toEqual({
      status: 'found',
      pin: 'valid',
      screen_name: 'Sample Patron One', // for the resident's screen only; the address is never read
      fines: {
        currency: 'USD',
        total_minor: 525,
        payable: 'total_only',
        items: [
          { fee_id: null, amount_minor: 350, description: 'Overdue fine' },
          { fee_id: null, amount_minor: 175, description: 'Lost card replacement' },
        ],
      },
    });
    expect(await c.patronFines('29000000000002')).toMatchObject({ status: 'found', pin: 'not_checked', fines: { total_minor: 0, items: [] } });
    expect(sim.connectionCount()).toBe(1);
  });

  it('answers an unknown patron and a wrong PIN without fines', async () => {
    const { port } = await ils('koha');
    const c = client(port);
    expect(await c.patronFines('nobody')).toEqual({ status: 'unknown_patron' });
    expect(await c.patronFines(P1, { pin: '9999' })).toEqual({ status: 'wrong_pin' });
  });

  it('Fee Paid towards the total is accepted once per transaction id: the same BK again is answered the same and never posted twice', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port);
    expect(await c.feePaid(pay('tx-1', 400))).toEqual({ status: 'accepted', transaction_id: 'tx-1' });
    expect(sim.outstandingMinor(P1)).toBe(125);
    expect(await c.feePaid(pay('tx-1', 400))).toEqual({ status: 'accepted', transaction_id: 'tx-1' });
    expect(sim.outstandingMinor(P1)).toBe(125);
    expect(sim.feePaidRecords()).toHaveLength(1);
    expect(await c.feePaid(pay('tx-2', 200))).toEqual({ status: 'refused', transaction_id: 'tx-2' }); // more than is owed
    expect(await c.feePaid(pay('tx-2', 200))).toEqual({ status: 'refused', transaction_id: 'tx-2' });
    expect(sim.outstandingMinor(P1)).toBe(125);
  });

  it('a fee the ILS is told to refuse is answered "payment accepted = N"', async () => {
    const { sim, port } = await ils('evergreen-3m');
    sim.refuseFee('1042');
    const c = client(port, 'evergreen-3m');
    expect(await c.feePaid(pay('tx-r', 175, '1042'))).toEqual({ status: 'refused', transaction_id: 'tx-r' });
    expect(await c.feePaid(pay('tx-a', 350, '1041'))).toEqual({ status: 'accepted', transaction_id: 'tx-a' });
    expect(sim.outstandingMinor(P1)).toBe(175);
  });
});

describe('ILS profiles over the wire', () => {
  it('Evergreen 3m items carry the transaction id: each fee can be paid by its id', async () => {
    const { sim, port } = await ils('evergreen-3m');
    const c = client(port, 'evergreen-3m');
    const found = await c.patronFines(P1);
    expect(found).toMatchObject({ status: 'found', fines: { payable: 'per_item', total_minor: 525, items: [{ fee_id: '1041', amount_minor: 350, description: 'FINE Dune' }, { fee_id: '1042', amount_minor: 175, description: 'LOST Lost card replacement' }] } });
    expect(await c.feePaid(pay('tx-3m', 350, '1041'))).toMatchObject({ status: 'accepted' });
    expect(await c.patronFines(P1)).toMatchObject({ fines: { total_minor: 175, items: [{ fee_id: '1042' }] } });
    expect(sim.feePaidRecords()).toEqual([{ transaction_id: 'tx-3m', accepted: true, amount_minor: 350, fee_id: '1041', patron_id: P1, reason: undefined }]);
  });

  it('Evergreen eg_legacy items ("amount type title") have no id: pay the total', async () => {
    const { port } = await ils('evergreen');
    const found = await client(port, 'evergreen').patronFines(P1);
    expect(found).toMatchObject({ status: 'found', fines: { payable: 'total_only', items: [{ fee_id: null, amount_minor: 350, description: 'Overdue Dune' }, { amount_minor: 175 }] } });
  });

  it('without error detection and with CRLF the same conversation works', async () => {
    const { port } = await ils('evergreen');
    const c = client(port, 'evergreen', { error_detection: false, terminator: '\r\n' });
    expect(await c.status()).toMatchObject({ online: true });
    expect(await c.feePaid(pay('tx-plain', 100))).toMatchObject({ status: 'accepted' });
  });
});

describe('lost, damaged and refused conversations', () => {
  it('a lost Fee Paid answer is asked for again with 97 on the same connection; the fee is posted once', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port);
    await c.status();
    sim.dropNextAnswers(1);
    expect(await c.feePaid(pay('tx-lost', 350))).toEqual({ status: 'accepted', transaction_id: 'tx-lost' });
    expect(sim.feePaidRecords()).toHaveLength(1);
    expect(sim.connectionCount()).toBe(1);
  });

  it('a damaged answer (wrong checksum) is asked for again with 97', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port);
    await c.status();
    sim.corruptNextAnswers(2);
    expect(await c.patronFines(P1)).toMatchObject({ status: 'found', fines: { total_minor: 525 } });
  });

  it('when no answer comes at all: a lookup fails with no_answer, a Fee Paid is unacknowledged, and the retry with the same BK posts once', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port, 'koha', { retries: 1 });
    await c.status();
    sim.dropNextAnswers(100);
    await expect(c.status()).rejects.toMatchObject({ name: 'Sip2Error', kind: 'no_answer' });
    sim.dropNextAnswers(0);
    await c.status();
    sim.dropNextAnswers(2); // the 38 and its copy asked for with 97
    expect(await c.feePaid(pay('tx-silent', 300))).toEqual({ status: 'unacknowledged', transaction_id: 'tx-silent', reason: 'no_answer' });
    expect(sim.feePaidRecords()).toHaveLength(1); // it did reach the ILS
    sim.dropNextAnswers(0);
    expect(await c.feePaid(pay('tx-silent', 300))).toEqual({ status: 'accepted', transaction_id: 'tx-silent' });
    expect(sim.outstandingMinor(P1)).toBe(225);
  });

  it('re-establishes its one connection (and logs in again) after the ILS restarts', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port);
    await c.status();
    await sim.restart();
    expect(await c.patronFines(P1)).toMatchObject({ status: 'found' });
    expect(sim.connectionCount()).toBe(1);
    expect(await c.feePaid(pay('tx-after-restart', 100))).toMatchObject({ status: 'accepted' });
  });

  it('while the ILS is down a Fee Paid is not sent, and a lookup says unreachable', async () => {
    const { sim, port } = await ils('koha');
    const c = client(port, 'koha', { retries: 1 });
    await sim.stop();
    expect(await c.feePaid(pay('tx-down', 100))).toEqual({ status: 'not_sent', transaction_id: 'tx-down', reason: 'unreachable' });
    await expect(c.status()).rejects.toMatchObject({ kind: 'unreachable' });
    await sim.start();
    expect(await c.feePaid(pay('tx-down', 100))).toMatchObject({ status: 'accepted' });
  });

  it('a refused SC login is a typed error that names no password', async () => {
    const { port } = await ils('koha');
    const c = client(port, 'koha', { login: { user_id: 'kiosk', password: 'wrong-password' } });
    const error = await c.status().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Sip2Error);
    expect(error).toMatchObject({ kind: 'login_refused' });
    expect(String((error as Error).message)).not.toMatch(/wrong-password/);
  });
});

describe('SIP2 over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civicard-sip2-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('talks to an ILS behind a self-signed certificate it was told to trust, and refuses one it was not', async () => {
    const { port } = await ils('koha', { tls: { key: readFileSync(key), cert: readFileSync(cert) } });
    const trusted = client(port, 'koha', { tls: { ca: readFileSync(cert) } });
    expect(await trusted.patronFines(P1)).toMatchObject({ status: 'found', fines: { total_minor: 525 } });
    const untrusted = client(port, 'koha', { tls: {} });
    await expect(untrusted.status()).rejects.toMatchObject({ kind: 'tls' });
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { kioskIdOf } from '../../../src/backoffice/auth/request-signing';
import { listKiosks } from '../../../src/backoffice/auth/enrollment';
import { openBackOfficeDb, type BackOfficeStore } from '../../../src/backoffice/db/connect';
import { buildServer } from '../../../src/backoffice/server';
import { loadOrCreateKioskKey } from '../../../src/ledger';
import { DEFAULT_RISK_POLICY } from '../../../src/kiosk/runtime/risk';
import type { MaintenanceView } from '../../../src/shared/maintenance-api';
import { enrollSimStations } from '../../../src/webshell/sim-enrollment';
import { startWebShell, type WebShell } from '../../../src/webshell/web-shell';
import { authorized, call, JSON_TYPE } from '../kiosk-api/support';

// The web shell as `civicard start` runs it: its kiosk and booth enrolled in a
// real back office (SQLite) and syncing to it in the background. A payment made
// through the API reaches the back office within seconds, and the maintenance
// view tells the real figures: outbox, last sync, whether the server answered.

let base = '';
let site = '';
let store: BackOfficeStore;
let backoffice: ReturnType<typeof buildServer>;
let serverUrl = '';

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'civicard-webshell-sync-'));
  site = join(base, 'dist');
  mkdirSync(site, { recursive: true });
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>kiosk</title>');
  store = await openBackOfficeDb(`sqlite:${join(base, 'backoffice.db')}`);
  backoffice = buildServer({ store });
  serverUrl = await backoffice.listen({ host: '127.0.0.1', port: 0 });
}, 30_000);

afterAll(async () => {
  await backoffice?.close();
  await store?.close();
  rmSync(base, { recursive: true, force: true });
});

async function shellIn(dir: string, sync: { serverUrl: string } | undefined): Promise<WebShell> {
  return startWebShell({ dir, pcscd: false, port: 0, sim_port: 0, renderer_root: site, ...(sync ? { sync } : {}) });
}

const post = (shell: WebShell, url: string, path: string, body: unknown) => call(url, path, { headers: authorized(shell.token, JSON_TYPE), body: JSON.stringify(body) });
const maintenance = async (shell: WebShell) => (await call(shell.api_url, '/api/maintenance', { headers: authorized(shell.token) })).json as unknown as MaintenanceView;

/** A citation from the bundled fixture paid with card A, through the simulator and the API only. */
async function payCitation(shell: WebShell): Promise<void> {
  expect((await post(shell, shell.sim_url, '/sim/card/present', { card: 'A' })).status).toBe(200);
  await waitFor(shell.kiosk.actor, (s) => s.matches({ session: 'balanceShown' }), { timeout: 10_000 });
  await post(shell, shell.api_url, '/api/command', { type: 'CONTINUE' });
  await post(shell, shell.api_url, '/api/command', { type: 'SELECT_SERVICE', kind: 'citation', reference: '4000123051' });
  await waitFor(shell.kiosk.actor, (s) => s.matches({ session: 'confirming' }), { timeout: 10_000 });
  await post(shell, shell.api_url, '/api/command', { type: 'CONFIRM' });
  await waitFor(shell.kiosk.actor, (s) => s.matches({ payment: 'done' }), { timeout: 10_000 });
  await post(shell, shell.sim_url, '/sim/card/withdraw', {});
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeout_ms = 15_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const heldBy = async (kiosk_id: string) => Number((await store.db.selectFrom('entries').select((eb) => eb.fn.countAll().as('n')).where('kiosk_id', '=', kiosk_id).executeTakeFirstOrThrow()).n);

describe('the web shell syncing to the back office it was enrolled in', () => {
  it('enrolls the kiosk and booth keys once, and leaves a kiosk an admin revoked revoked', async () => {
    const dir = join(base, 'enroll');
    const first = await enrollSimStations(store, dir);
    expect(first.map((k) => k.kiosk_id)).toEqual([kioskIdOf(loadOrCreateKioskKey(join(dir, 'kiosk-key.pem')).publicKeyPem), kioskIdOf(loadOrCreateKioskKey(join(dir, 'attendant-key.pem')).publicKeyPem)]);
    await store.db.updateTable('kiosks').set({ status: 'revoked' }).where('kiosk_id', '=', first[0]!.kiosk_id).execute();
    await enrollSimStations(store, dir);
    const listed = await listKiosks(store);
    expect(listed.find((k) => k.kiosk_id === first[0]!.kiosk_id)?.status).toBe('revoked');
    expect(listed.find((k) => k.kiosk_id === first[1]!.kiosk_id)?.status).toBe('active');
  });

  it('a payment made through the API reaches the back office within seconds; the maintenance view then shows it synced', async () => {
    const dir = join(base, 'synced');
    const [kiosk, booth] = await enrollSimStations(store, dir);
    const shell = await shellIn(dir, { serverUrl });
    try {
      await payCitation(shell);
      await until('kiosk entries in the back office', () => heldBy(kiosk!.kiosk_id), (n) => n >= 4);
      // the booth syncs too: a staff card, the PIN and an opened shift reach the back office
      await post(shell, shell.sim_url, '/sim/card/present', { card: 'staff', at: 'booth' });
      await waitFor(shell.attendant!.actor, (s) => s.matches({ signedOut: 'enteringPin' }), { timeout: 10_000 });
      await post(shell, shell.sim_url, '/sim/card/withdraw', { at: 'booth' });
      await post(shell, shell.api_url, '/api/attendant/command', { type: 'PIN_ENTERED', pin: '2468' });
      await waitFor(shell.attendant!.actor, (s) => s.matches({ signedIn: 'shiftClosed' }), { timeout: 10_000 });
      await post(shell, shell.api_url, '/api/attendant/command', { type: 'OPEN_SHIFT', opening_float_minor: 5_000 });
      await until('booth entries in the back office', () => heldBy(booth!.kiosk_id), (n) => n >= 1);

      const view = await until('the maintenance view after the sync', () => maintenance(shell), (v) => v.sync.unsynced_entries === 0 && v.sync.last_sync_at !== null);
      expect(view.sync).toMatchObject({ online: true, unsynced_entries: 0, oldest_unsynced_age_ms: null, unsynced_debits_minor: 0, last_error: null, hotlist_age_ms: null });
      expect(Date.now() - Date.parse(view.sync.last_sync_at!)).toBeLessThan(30_000);
      expect(view.limits).toEqual({ offline_tx_max_minor: DEFAULT_RISK_POLICY.offline_tx_max_minor, unsynced_cap_minor: DEFAULT_RISK_POLICY.unsynced_cap_minor, daily_card_max_minor: DEFAULT_RISK_POLICY.daily_card_max_minor, hotlist_max_age_ms: DEFAULT_RISK_POLICY.hotlist_max_age_ms });
    } finally {
      await shell.stop();
    }
  }, 60_000);

  it('with the back office unreachable: offline, the error told, the payment waiting in the outbox with its age', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const shell = await shellIn(join(base, 'offline'), { serverUrl: `http://127.0.0.1:${closed}` });
    try {
      await payCitation(shell);
      const view = await until('the maintenance view after a failed sync', () => maintenance(shell), (v) => v.sync.last_error !== null && v.sync.unsynced_entries >= 4);
      expect(view.sync).toMatchObject({ online: false, last_sync_at: null, unsynced_debits_minor: 1_250 });
      expect(view.sync.last_error).toMatch(/ECONNREFUSED|fetch failed|unreachable/i);
      expect(view.sync.oldest_unsynced_age_ms).toBeGreaterThanOrEqual(0);
      expect(view.sync.oldest_unsynced_age_ms).toBeLessThan(60_000);
    } finally {
      await shell.stop();
    }
  }, 60_000);

  it('without a back office: offline, never synced, no error, and no hotlist age it does not have', async () => {
    const shell = await shellIn(join(base, 'alone'), undefined);
    try {
      expect((await maintenance(shell)).sync).toEqual({ online: false, unsynced_entries: 0, oldest_unsynced_age_ms: null, unsynced_debits_minor: 0, last_sync_at: null, last_error: null, hotlist_age_ms: null });
    } finally {
      await shell.stop();
    }
  }, 30_000);
});

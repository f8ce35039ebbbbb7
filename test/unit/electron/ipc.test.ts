import type { IpcMain } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../../src/electron/channels';
import { checkSpeech, FAILED, REFUSED_SENDER, registerIpcRoutes, residentRoutes, route, type ResidentPort, type Speaker } from '../../../src/electron/ipc';
import type { KioskCommand, KioskView } from '../../../src/shared/kiosk-api';
import { checkSpeakRequest } from '../../../src/shared/speech-api';
import { ipcMain as fakeIpcMain } from './fake-electron';

const ipcMain = Object.assign(fakeIpcMain as unknown as Pick<IpcMain, 'handle'>, { handlers: fakeIpcMain.handlers });

// Every IPC message is checked in main before the core sees it: the sender
// must be a frame showing civicard://app, the payload must pass the channel's
// validator, and whatever goes wrong comes back as { error }, never a throw.

const VIEW: KioskView = { screen: 'idle', timeout_warning: false, notice: null, language: 'es', card: null, quote: null, payment: null, receipt_available: null, maintenance: null };

function setup(speaker: Speaker | null = null) {
  ipcMain.handlers.clear();
  const applied: KioskCommand[] = [];
  const core: ResidentPort = { view: () => VIEW, apply: (c) => (applied.push(c), VIEW) };
  const notes: string[] = [];
  registerIpcRoutes(ipcMain, residentRoutes(core, speaker), { onNote: (l) => notes.push(l) });
  const from = (url: string | null) => ({ senderFrame: url === null ? null : { url } });
  const invoke = async (channel: string, sender: string | null, ...args: unknown[]) => ipcMain.handlers.get(channel)!(from(sender), ...args);
  return { applied, invoke, notes };
}

const APP = 'civicard://app/index.html';

describe('IPC from the renderer', () => {
  it('registers exactly the resident channels', () => {
    setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual([CHANNELS.command, CHANNELS.speak, CHANNELS.state].sort());
  });

  it('answers the view and applies a valid command (checked: the reference trimmed)', async () => {
    const { applied, invoke } = setup();
    expect(await invoke(CHANNELS.state, APP)).toEqual(VIEW);
    expect(await invoke(CHANNELS.command, APP, { type: 'SELECT_SERVICE', kind: 'parking', reference: ' 123 ', extra: 'dropped' })).toEqual(VIEW);
    expect(applied).toEqual([{ type: 'SELECT_SERVICE', kind: 'parking', reference: '123' }]);
  });

  it('refuses a message from any sender but the app, before looking at it', async () => {
    const { applied, invoke, notes } = setup();
    for (const sender of ['https://example.org/', 'file:///opt/civicard/index.html', 'civicard://evil/', 'civicard://app.evil/', 'http://127.0.0.1:7311/', 'about:blank', '', null]) {
      expect.soft(await invoke(CHANNELS.command, sender, { type: 'TOUCH' }), String(sender)).toEqual(REFUSED_SENDER);
      expect.soft(await invoke(CHANNELS.state, sender), String(sender)).toEqual(REFUSED_SENDER);
    }
    expect(applied).toEqual([]);
    expect(notes.length).toBeGreaterThan(0);
  });

  it('answers garbage payloads with { error } and never hands them to the core', async () => {
    const { applied, invoke } = setup();
    const huge = 'x'.repeat(1_000_000);
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      'TOUCH',
      [],
      [{ type: 'TOUCH' }],
      {},
      { type: 42 },
      { type: 'NOPE' },
      { type: huge },
      { type: 'SELECT_SERVICE', kind: 'parking', reference: huge },
      { type: 'SELECT_SERVICE', kind: 'parking', reference: 'a\u0000b' },
      { type: 'SELECT_SERVICE', kind: 'casino', reference: '1' },
      { type: 'SET_LANGUAGE', language: 'fr' },
      { type: 'SET_LANGUAGE', language: { toString: () => 'es' } },
    ];
    for (const payload of garbage) {
      const answer = (await invoke(CHANNELS.command, APP, payload)) as { error?: unknown };
      expect.soft(typeof answer.error, JSON.stringify(payload)?.slice(0, 80)).toBe('string');
      expect.soft(String(answer.error).length).toBeLessThan(200);
    }
    expect(await invoke(CHANNELS.command, APP, { type: 'TOUCH' }, { type: 'CANCEL' })).toEqual({ error: 'one payload per message' });
    expect(await invoke(CHANNELS.state, APP, { anything: 1 })).toEqual({ error: 'this message takes no payload' });
    expect(applied).toEqual([]);
  });

  it('answers a core failure with { error } instead of throwing across IPC', async () => {
    ipcMain.handlers.clear();
    const core: ResidentPort = {
      view: () => VIEW,
      apply: () => {
        throw new Error('SQLITE_BUSY at /var/lib/civicard/kiosk.db');
      },
    };
    registerIpcRoutes(ipcMain, residentRoutes(core, null), { onNote: () => undefined });
    const answer = await ipcMain.handlers.get(CHANNELS.command)!({ senderFrame: { url: APP } }, { type: 'TOUCH' });
    expect(answer).toEqual(FAILED);
    expect(JSON.stringify(answer)).not.toContain('kiosk.db');
  });

  it('checks spoken text and language, and answers { error } where the kiosk has no voice', async () => {
    const speak = vi.fn(() => Promise.resolve());
    const { invoke } = setup({ speak });
    expect(await invoke(CHANNELS.speak, APP, { text: 'Acerque su tarjeta', language: 'es' })).toEqual({ ok: true });
    expect(speak).toHaveBeenCalledWith('Acerque su tarjeta', 'es');
    for (const bad of [null, 'hola', { text: 'hola', language: 'fr' }, { text: '', language: 'es' }, { text: 'x'.repeat(601), language: 'es' }, { text: 'a\u001bb', language: 'es' }]) {
      expect.soft(checkSpeech(bad).ok, JSON.stringify(bad)).toBe(false);
      expect.soft(await invoke(CHANNELS.speak, APP, bad)).toHaveProperty('error');
    }
    expect(speak).toHaveBeenCalledTimes(1);
    const mute = setup(null);
    expect(await mute.invoke(CHANNELS.speak, APP, { text: 'hola', language: 'es' })).toEqual({ error: 'this kiosk has no voice' });
  });

  it('takes more channels as more rows of the same table, under the same sender check', async () => {
    ipcMain.handlers.clear();
    const handled: unknown[] = [];
    const maintenance = route({
      channel: 'civicard:maintenance:status',
      validate: (p: unknown) => (p === undefined ? { ok: true as const, value: null } : { ok: false as const, error: 'no payload' }),
      handle: () => (handled.push('status'), { printer: 'ok' }),
    });
    registerIpcRoutes(ipcMain, [maintenance]);
    const h = ipcMain.handlers.get('civicard:maintenance:status')!;
    expect(await h({ senderFrame: { url: APP } })).toEqual({ printer: 'ok' });
    expect(await h({ senderFrame: { url: 'https://example.org/' } })).toEqual(REFUSED_SENDER);
    expect(handled).toEqual(['status']);
    ipcMain.handlers.clear();
    expect(() => registerIpcRoutes(ipcMain, [maintenance, maintenance])).toThrow(/registered twice/);
    expect(ipcMain.handlers.size).toBe(0);
  });

  it("answers a station's row only from that station's window, when main says which window is which", async () => {
    ipcMain.handlers.clear();
    const applied: KioskCommand[] = [];
    const core: ResidentPort = { view: () => VIEW, apply: (c) => (applied.push(c), VIEW) };
    const notes: string[] = [];
    registerIpcRoutes(ipcMain, residentRoutes(core, null), { onNote: (l) => notes.push(l), stationOf: (e) => ((e as unknown as { station: 'resident' | 'attendant' | null }).station) });
    const call = (channel: string, station: string | null, ...args: unknown[]) => ipcMain.handlers.get(channel)!({ senderFrame: { url: APP }, station }, ...args);
    expect(await call(CHANNELS.command, 'resident', { type: 'TOUCH' })).toEqual(VIEW);
    for (const station of ['attendant', null]) {
      expect.soft(await call(CHANNELS.command, station, { type: 'TOUCH' })).toEqual({ error: 'this window is not the resident station' });
      expect.soft(await call(CHANNELS.state, station)).toEqual({ error: 'this window is not the resident station' });
    }
    expect(await call(CHANNELS.speak, 'attendant', { text: 'hello', language: 'en' })).toEqual({ error: 'this kiosk has no voice' });
    expect(await ipcMain.handlers.get(CHANNELS.command)!({ senderFrame: { url: 'https://example.org/' }, station: 'resident' }, { type: 'TOUCH' })).toEqual(REFUSED_SENDER);
    expect(applied).toEqual([{ type: 'TOUCH' }]);
    expect(notes.filter((n) => n.includes('station')).length).toBe(4);
  });

  it('checks speech with the shared contract (speech-api.ts), as the HTTP API does: the same answers, the text trimmed', async () => {
    const speak = vi.fn(() => Promise.resolve());
    const { invoke } = setup({ speak });
    for (const bad of [{ text: 'line one\nline two', language: 'es' }, { text: 'a\u0085b', language: 'en' }, { text: '\u0007', language: 'es' }]) {
      const check = checkSpeakRequest(bad);
      expect.soft(check.ok, JSON.stringify(bad)).toBe(false);
      expect.soft(await invoke(CHANNELS.speak, APP, bad)).toEqual({ error: check.ok ? null : check.error });
    }
    expect(await invoke(CHANNELS.speak, APP, { text: '  Acerque su tarjeta ', language: 'es' })).toEqual({ ok: true });
    expect(speak.mock.calls).toEqual([['Acerque su tarjeta', 'es']]);
  });
});

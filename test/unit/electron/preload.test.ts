import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CHANNELS } from '../../../src/electron/channels';
import type { CivicardBridge } from '../../../src/shared/bridge';
import { contextBridge, fakeEvent, ipcRenderer, resetFakeElectron } from './fake-electron';

vi.mock('electron', () => import('./fake-electron'));

// The preload puts one object on the page, `civicard`, whose functions call
// fixed channels; no ipcRenderer and no IPC event ever reaches the page.

let bridge: CivicardBridge;

beforeAll(async () => {
  resetFakeElectron();
  await import('../../../src/electron/preload');
  expect(contextBridge.exposed).toHaveLength(1);
  bridge = contextBridge.exposed[0]!.api as unknown as CivicardBridge;
});

describe('the preload bridge', () => {
  it('exposes only window.civicard with state, command, subscribe and speak', () => {
    expect(contextBridge.exposed.map((e) => e.key)).toEqual(['civicard']);
    expect(Object.keys(bridge).sort()).toEqual(['command', 'speak', 'state', 'subscribe']);
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
  });

  it('invokes the fixed channels, one payload each', async () => {
    ipcRenderer.invoke.mockClear();
    await bridge.state();
    await bridge.command({ type: 'SET_LANGUAGE', language: 'pt' });
    await bridge.speak?.('Olá', 'pt');
    expect(ipcRenderer.invoke.mock.calls).toEqual([[CHANNELS.state], [CHANNELS.command, { type: 'SET_LANGUAGE', language: 'pt' }], [CHANNELS.speak, { text: 'Olá', language: 'pt' }]]);
  });

  it('hands the listener the view only, never the IPC event, and unsubscribes', () => {
    const got: unknown[][] = [];
    const unsubscribe = bridge.subscribe((...args: unknown[]) => void got.push(args));
    const view = { screen: 'idle' };
    ipcRenderer.emit(CHANNELS.view, fakeEvent({ sender: ipcRenderer }), view);
    expect(got).toEqual([[view]]);
    unsubscribe();
    ipcRenderer.emit(CHANNELS.view, fakeEvent(), view);
    expect(got).toHaveLength(1);
    expect(ipcRenderer.listenerCount(CHANNELS.view)).toBe(0);
  });
});

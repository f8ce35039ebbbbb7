import { describe, expect, it } from 'vitest';
import { chooseUi, chromiumArgs, hasDisplay } from '../../../src/webshell/launch';

// Which UI `civicard start` shows: Electron when its binary is there, else
// Chromium on the web shell when there is one and a display, else the URL.

const base = { ui: 'auto' as const, open: true, electron: null, chromium: '/usr/bin/chromium', display: true };

describe('chooseUi', () => {
  it('prefers the Electron shell when its binary is installed, unless --ui web', () => {
    expect(chooseUi({ ...base, electron: '/e/electron' })).toEqual({ kind: 'electron', binary: '/e/electron' });
    expect(chooseUi({ ...base, ui: 'web', electron: '/e/electron' })).toEqual({ kind: 'chromium', binary: '/usr/bin/chromium' });
  });

  it('refuses --ui electron without the binary, naming the way out', () => {
    expect(() => chooseUi({ ...base, ui: 'electron' })).toThrow(/--ui web/);
  });

  it('prints the URL with the reason when it cannot or may not open Chromium', () => {
    expect(chooseUi({ ...base, open: false })).toMatchObject({ kind: 'print', reason: expect.stringMatching(/--no-open/) });
    expect(chooseUi({ ...base, chromium: null })).toMatchObject({ kind: 'print', reason: expect.stringMatching(/apt-get install chromium/) });
    expect(chooseUi({ ...base, display: false })).toMatchObject({ kind: 'print', reason: expect.stringMatching(/DISPLAY/) });
  });

  it('sees a display in DISPLAY or WAYLAND_DISPLAY', () => {
    expect(hasDisplay({ DISPLAY: ':0' })).toBe(true);
    expect(hasDisplay({ WAYLAND_DISPLAY: 'wayland-0' })).toBe(true);
    expect(hasDisplay({ DISPLAY: '' })).toBe(false);
  });
});

describe('chromiumArgs', () => {
  it('one kiosk-mode app window in a profile of its own; no sandbox only as root', () => {
    const args = chromiumArgs('http://127.0.0.1:7312/#token=t', '/tmp/p', { root: false });
    expect(args).toEqual(expect.arrayContaining(['--kiosk', '--app=http://127.0.0.1:7312/#token=t', '--user-data-dir=/tmp/p', '--disable-background-networking']));
    expect(args).not.toContain('--no-sandbox');
    expect(chromiumArgs('u', '/tmp/p', { root: true })).toContain('--no-sandbox');
  });
});

import type { Session, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../src/electron/protocol';
import { hardenContents, hardenSession, isBlockedKey } from '../../../src/electron/security';
import { fakeEvent, FakeSession, FakeWebContents } from './fake-electron';

// Each guard on a web contents and on the session, one by one, on the fakes:
// the handler is registered, and it refuses what it must and lets the app through.

function hardened(): FakeWebContents {
  const contents = new FakeWebContents();
  hardenContents(contents as unknown as WebContents);
  return contents;
}

function prevented(contents: FakeWebContents, event: string, ...args: unknown[]): boolean {
  const e = fakeEvent(typeof args[0] === 'string' ? { url: args[0] } : {});
  contents.emit(event, e, ...args);
  return e.defaultPrevented;
}

const key = (k: string, mods: Partial<Record<'control' | 'meta' | 'shift' | 'alt', boolean>> = {}) => ({ type: 'keyDown' as const, key: k, code: '', control: false, meta: false, shift: false, alt: false, ...mods });

describe('web contents guards', () => {
  it('prevents navigation away from the app, and lets the app navigate within itself', () => {
    const c = hardened();
    for (const url of ['https://example.org/', 'http://127.0.0.1:7311/api/state', 'file:///etc/passwd', 'civicard://other/', 'javascript:alert(1)', 'data:text/html,hi']) {
      expect.soft(prevented(c, 'will-navigate', url), url).toBe(true);
    }
    expect(prevented(c, 'will-navigate', 'civicard://app/index.html#/pay')).toBe(false);
  });

  it('prevents redirects and frame navigations away from the app', () => {
    const c = hardened();
    expect(prevented(c, 'will-redirect', 'https://example.org/')).toBe(true);
    expect(prevented(c, 'will-redirect', 'civicard://app/index.html')).toBe(false);
    expect(prevented(c, 'will-frame-navigate', 'https://example.org/')).toBe(true);
    expect(prevented(c, 'will-frame-navigate', 'civicard://app/')).toBe(false);
  });

  it('denies every window.open, even to the app itself', () => {
    const c = hardened();
    expect(c.windowOpenHandler?.({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(c.windowOpenHandler?.({ url: 'civicard://app/' })).toEqual({ action: 'deny' });
  });

  it('prevents attaching a webview', () => {
    expect(prevented(hardened(), 'will-attach-webview', {}, {})).toBe(true);
  });

  it('pins the zoom (no pinch zoom on the touch screen)', () => {
    expect(hardened().zoomLimits).toEqual([1, 1]);
  });

  it('swallows the reload, devtools, close, history, print and zoom keys before the page sees them', () => {
    const c = hardened();
    const blocked = [
      key('F5'),
      key('r', { control: true }),
      key('R', { control: true, shift: true }),
      key('r', { meta: true }),
      key('F12'),
      key('I', { control: true, shift: true }),
      key('J', { control: true, shift: true }),
      key('C', { control: true, shift: true }),
      key('i', { meta: true, alt: true }),
      key('w', { control: true }),
      key('q', { control: true }),
      key('F4', { alt: true }),
      key('ArrowLeft', { alt: true }),
      key('BrowserBack'),
      key('BrowserRefresh'),
      key('p', { control: true }),
      key('+', { control: true }),
      key('-', { control: true }),
      key('0', { control: true }),
    ];
    for (const input of blocked) {
      expect.soft(isBlockedKey(input), JSON.stringify(input)).toBe(true);
      expect.soft(prevented(c, 'before-input-event', input), JSON.stringify(input)).toBe(true);
    }
  });

  it('lets typing, editing and moving between fields through', () => {
    const c = hardened();
    for (const input of [key('a'), key('A', { shift: true }), key('7'), key('Enter'), key('Backspace'), key('Tab'), key('Escape'), key('ArrowLeft'), key(' '), key('c', { control: true }), key('v', { control: true })]) {
      expect.soft(prevented(c, 'before-input-event', input), JSON.stringify(input)).toBe(false);
    }
  });
});

describe('session guards', () => {
  function hardenedSession(): FakeSession {
    const s = new FakeSession();
    hardenSession(s as unknown as Session);
    return s;
  }

  it('refuses every permission request', () => {
    const s = hardenedSession();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'fullscreen', 'openExternal', 'hid', 'serial', 'usb']) {
      const answers: boolean[] = [];
      s.permissionRequest?.({}, permission, (granted) => answers.push(granted));
      expect.soft(answers, permission).toEqual([false]);
    }
  });

  it('answers every permission check and device permission with no', () => {
    const s = hardenedSession();
    expect(s.permissionCheck?.({}, 'media', 'civicard://app')).toBe(false);
    expect(s.permissionCheck?.({}, 'clipboard-sanitized-write', 'civicard://app')).toBe(false);
    expect(s.devicePermission?.({ deviceType: 'hid', origin: 'civicard://app' })).toBe(false);
  });

  it('cancels every request outside the app scheme', () => {
    const s = hardenedSession();
    const cancelled = (url: string) => {
      let answer: { cancel?: boolean } = {};
      s.beforeRequest?.({ url }, (r) => (answer = r));
      return answer.cancel;
    };
    for (const url of ['https://example.org/x.js', 'http://127.0.0.1:7311/api/state', 'ws://127.0.0.1:1/', 'file:///etc/passwd', 'ftp://x/', 'not a url']) expect.soft(cancelled(url), url).toBe(true);
    for (const url of ['civicard://app/index.html', 'data:image/png;base64,AA==']) expect.soft(cancelled(url), url).toBe(false);
  });

  it('puts the content security policy on every response the session sees', () => {
    const s = hardenedSession();
    let headers: Record<string, string[]> | undefined;
    s.headersReceived?.({ url: 'civicard://app/', responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});

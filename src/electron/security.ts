import type { Input, Session, WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY, isAppUrl, SCHEME } from './protocol';

// The guards on every web contents and on the session: the page may show the
// app and nothing else — no navigation away, no new windows, no webviews, no
// permission (camera, microphone, notifications, USB, serial…), no request
// outside the app scheme, no reload or devtools from the keyboard.

/**
 * Keys a resident could use to leave or break the kiosk. Swallowed:
 * reload (F5, Ctrl/Cmd+R, Ctrl+Shift+R, the Refresh key), devtools (F12,
 * Ctrl+Shift+I/J/C, Cmd+Alt+I), closing (Ctrl/Cmd+W, Ctrl/Cmd+Q, Alt+F4 —
 * the kiosk closes only when the service stops it), history (Alt+Left/Right,
 * the Back/Forward keys), printing (Ctrl/Cmd+P) and zoom (Ctrl/Cmd with +, -, 0).
 */
export function isBlockedKey(input: Pick<Input, 'type' | 'key' | 'code' | 'control' | 'meta' | 'shift' | 'alt'>): boolean {
  if (input.type !== 'keyDown' && input.type !== 'rawKeyDown' && input.type !== 'keyUp') return false;
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key;
  const mod = input.control || input.meta;
  if (['F5', 'F12', 'BrowserRefresh', 'BrowserBack', 'BrowserForward', 'BrowserHome'].includes(key)) return true;
  if (input.alt && (key === 'F4' || key === 'ArrowLeft' || key === 'ArrowRight' || key === 'Home')) return true;
  if (!mod) return false;
  if (['r', 'w', 'q', 'p', 'n', 't', 'o', 's', 'u', 'f', 'g', 'h', 'j', '+', '=', '-', '_', '0'].includes(key)) return true;
  if (input.shift && ['i', 'j', 'c', 'r', 'Delete'].includes(key)) return true;
  if (input.alt && ['i', 'j', 'c'].includes(key)) return true;
  return false;
}

/** Every web contents, the kiosk window's or any other: no leaving the app, no windows, no webviews, no keys above. */
export function hardenContents(contents: WebContents): void {
  const stayInApp = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url)) event.preventDefault();
  };
  contents.on('will-navigate', (event, url) => stayInApp(event, url ?? event.url));
  contents.on('will-redirect', (event, url) => stayInApp(event, url ?? event.url));
  contents.on('will-frame-navigate', (event) => stayInApp(event, event.url));
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.on('before-input-event', (event, input) => {
    if (isBlockedKey(input)) event.preventDefault();
  });
  contents.setVisualZoomLevelLimits(1, 1).catch(() => undefined);
}

const ALLOWED_REQUEST_SCHEMES = new Set([`${SCHEME}:`, 'data:', 'blob:', 'devtools:']);

/** The session's guards: every permission refused, no request but the app's own, the CSP on every response. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    let scheme = '';
    try {
      scheme = new URL(details.url).protocol;
    } catch {
      // an unparsable URL is refused below
    }
    callback({ cancel: !ALLOWED_REQUEST_SCHEMES.has(scheme) });
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

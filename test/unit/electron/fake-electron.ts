import { vi } from 'vitest';

// A stand-in for the `electron` module (its binary cannot be installed here):
// every object the shell touches, recording what it was asked to do, in the
// order it was asked (`log`). Tests use it with
//   vi.mock('electron', () => import('./fake-electron'))
// and call resetFakeElectron() before each test.

type Handler = (...args: never[]) => unknown;

export class FakeEmitter {
  readonly handlers = new Map<string, Handler[]>();
  on(event: string, handler: Handler): this {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
    return this;
  }
  once(event: string, handler: Handler): this {
    return this.on(event, handler);
  }
  removeListener(event: string, handler: Handler): this {
    this.handlers.set(event, (this.handlers.get(event) ?? []).filter((h) => h !== handler));
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const h of this.handlers.get(event) ?? []) (h as (...a: unknown[]) => unknown)(...args);
  }
  listenerCount(event: string): number {
    return this.handlers.get(event)?.length ?? 0;
  }
}

/** An event with preventDefault, as Electron passes to will-navigate and friends. */
export function fakeEvent(extra: Record<string, unknown> = {}) {
  return { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; }, ...extra };
}

export const log: string[] = [];

export class FakeWebContents extends FakeEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly sent: { channel: string; payload: unknown }[] = [];
  zoomLimits: [number, number] | null = null;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  setVisualZoomLevelLimits(min: number, max: number): Promise<void> {
    this.zoomLimits = [min, max];
    return Promise.resolve();
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
}

export class BrowserWindow extends FakeEmitter {
  static instances: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  minimized = false;
  destroyed = false;
  focused = 0;
  restored = 0;
  constructor(readonly options: object) {
    super();
    BrowserWindow.instances.push(this);
    log.push('new BrowserWindow');
    app.emit('web-contents-created', fakeEvent(), this.webContents);
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    return Promise.resolve();
  }
  removeMenu(): void {}
  show(): void {}
  focus(): void {
    this.focused += 1;
  }
  restore(): void {
    this.restored += 1;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

class FakeApp extends FakeEmitter {
  singleInstance = true;
  readonly requestSingleInstanceLock = vi.fn(() => {
    log.push('requestSingleInstanceLock');
    return this.singleInstance;
  });
  readonly quit = vi.fn(() => {
    log.push('quit');
    this.emit('before-quit', fakeEvent());
    this.emit('will-quit', fakeEvent());
  });
  readonly exit = vi.fn();
  readonly enableSandbox = vi.fn(() => void log.push('enableSandbox'));
  readonly whenReady = vi.fn(() => {
    log.push('whenReady');
    return Promise.resolve();
  });
  readonly getPath = vi.fn(() => '/nonexistent/civicard-user-data');
  readonly getAppPath = vi.fn(() => '/nonexistent/civicard-app');
}

export const app = new FakeApp();

export const protocol = {
  privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
  handlers: new Map<string, (request: { url: string; method?: string }) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]) {
    log.push('registerSchemesAsPrivileged');
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: { url: string; method?: string }) => Promise<Response>) {
    log.push(`protocol.handle ${scheme}`);
    this.handlers.set(scheme, handler);
  },
};

export class FakeSession {
  permissionRequest: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details?: unknown) => void) | null = null;
  permissionCheck: ((contents: unknown, permission: string, origin: string, details?: unknown) => boolean) | null = null;
  devicePermission: ((details: unknown) => boolean) | null = null;
  beforeRequest: ((details: { url: string }, callback: (r: { cancel?: boolean }) => void) => void) | null = null;
  headersReceived: ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (r: { responseHeaders?: Record<string, string[]> }) => void) => void) | null = null;
  setPermissionRequestHandler(h: FakeSession['permissionRequest']) {
    this.permissionRequest = h;
  }
  setPermissionCheckHandler(h: FakeSession['permissionCheck']) {
    this.permissionCheck = h;
  }
  setDevicePermissionHandler(h: FakeSession['devicePermission']) {
    this.devicePermission = h;
  }
  readonly webRequest = {
    onBeforeRequest: (h: FakeSession['beforeRequest']) => void (this.beforeRequest = h),
    onHeadersReceived: (h: FakeSession['headersReceived']) => void (this.headersReceived = h),
  };
}

export const session = { defaultSession: new FakeSession() };

export const ipcMain = {
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  },
};

export const Menu = {
  applicationMenu: 'default' as unknown,
  setApplicationMenu(menu: unknown) {
    this.applicationMenu = menu;
  },
};

export const contextBridge = {
  exposed: [] as { key: string; api: Record<string, unknown> }[],
  exposeInMainWorld(key: string, api: Record<string, unknown>) {
    this.exposed.push({ key, api });
  },
};

class FakeIpcRenderer extends FakeEmitter {
  readonly invoke = vi.fn((..._args: unknown[]): Promise<unknown> => Promise.resolve({ invoked: true }));
}
export const ipcRenderer = new FakeIpcRenderer();

export function resetFakeElectron(): void {
  log.length = 0;
  BrowserWindow.instances = [];
  app.handlers.clear();
  app.singleInstance = true;
  for (const f of [app.requestSingleInstanceLock, app.quit, app.exit, app.enableSandbox, app.whenReady, ipcRenderer.invoke]) f.mockClear();
  protocol.privileged = [];
  protocol.handlers.clear();
  session.defaultSession = new FakeSession();
  ipcMain.handlers.clear();
  Menu.applicationMenu = 'default';
  contextBridge.exposed = [];
  ipcRenderer.handlers.clear();
}

export default { app, BrowserWindow, protocol, session, ipcMain, Menu, contextBridge, ipcRenderer };

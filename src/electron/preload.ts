import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { CivicardBridge } from '../shared/bridge';
import type { KioskView } from '../shared/kiosk-api';
import { CHANNELS } from './channels';

// The only thing the page gets from the preload: `window.civicard`, four
// functions on fixed channels. No ipcRenderer, no event objects (their
// `sender` would hand the page ipcRenderer itself), no Node.

const bridge: CivicardBridge = {
  state: () => ipcRenderer.invoke(CHANNELS.state),
  command: (command) => ipcRenderer.invoke(CHANNELS.command, command),
  subscribe(listener) {
    const onView = (_event: IpcRendererEvent, view: KioskView) => listener(view);
    ipcRenderer.on(CHANNELS.view, onView);
    return () => void ipcRenderer.removeListener(CHANNELS.view, onView);
  },
  speak: (text, language) => ipcRenderer.invoke(CHANNELS.speak, { text, language }),
};

contextBridge.exposeInMainWorld('civicard', bridge);

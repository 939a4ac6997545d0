'use strict';
/**
 * The bridge between our pages and the main process. Sandboxed: only `electron` can be required
 * here. Pages get `window.reelforge` with plain values and a few calls, never the token (main.js
 * adds it to the backend's requests itself) and never ipcRenderer itself. Main answers only the
 * studio's origin and the local status page.
 */

const { contextBridge, ipcRenderer } = require('electron');

const info = ipcRenderer.sendSync('reelforge:info') || { baseUrl: null, version: null };

contextBridge.exposeInMainWorld('reelforge', {
  /** The backend's origin, e.g. `http://127.0.0.1:41234` (null on the status page at startup). */
  baseUrl: info.baseUrl,
  version: info.version,
  /** Opens an http(s) URL in the user's browser; anything else is refused. Resolves to a boolean. */
  openExternal: (url) => ipcRenderer.invoke('reelforge:open-external', String(url)),
  openLogFolder: () => ipcRenderer.invoke('reelforge:open-log-folder'),
  /** Starts the backend again after it was given up on. */
  retryBackend: () => ipcRenderer.invoke('reelforge:retry-backend'),
  /** {state: starting | restarting | ready | fatal | ..., message} */
  getStatus: () => ipcRenderer.invoke('reelforge:status'),
  /** The backend's last output lines, oldest first. */
  getLastLogLines: () => ipcRenderer.invoke('reelforge:last-log-lines'),
});

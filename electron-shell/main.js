'use strict';
/**
 * Electron main process: one window onto the local Reelforge backend.
 *
 * The backend (backend.js) serves the studio UI and the API on one loopback origin, so the
 * window simply loads `baseUrl + '/'`. The per-launch token never reaches the renderer: this
 * process adds `Authorization: Bearer <token>` to every request for that origin. Until the
 * backend is ready, or once it has been given up on, the window shows the local status page
 * (error.html). Every decision lives in policy.js; this file only wires it into Electron.
 */

const path = require('node:path');
const { app, BrowserWindow, dialog, ipcMain, session, shell } = require('electron');

const { Backend } = require('./backend');
const { openLogStream, formatLogLine } = require('./logfile');
const policy = require('./policy');

const STATUS_PAGE = path.join(__dirname, 'error.html');
const REPO_ROOT = path.resolve(__dirname, '..');

let win = null;
let backend = null;
let logStream = null;
/** Why the backend is (re)starting or was given up on, for the status page. */
let problem = null;
let backendStopped = false;
// A renderer that crashes while loading would otherwise be reloaded in a tight loop: reload it
// at most 3 times a minute, then show the status page until the user asks to retry.
const rendererReloads = new policy.RestartPolicy({ delaysMs: [0, 1000, 2000], maxRestarts: 3, windowMs: 60_000 });
let windowGaveUp = false;

function log(message) {
  if (logStream && !logStream.writableEnded) logStream.write(formatLogLine('main', message));
}

function baseUrl() {
  return backend && backend.info ? backend.info.baseUrl : null;
}

/** The studio once the backend is ready, else the status page (starting, restarting, fatal). */
function showCurrentPage() {
  if (!win) return;
  const loading = baseUrl() && !windowGaveUp ? win.loadURL(`${baseUrl()}/`) : win.loadFile(STATUS_PAGE);
  // A newer load replacing this one rejects it (ERR_ABORTED): expected, just noted.
  loading.catch((err) => log(`page load: ${err.message}`));
}

function openExternal(url) {
  const target = policy.externalUrl(url);
  if (!target) {
    log(`refused to open ${String(url).slice(0, 200)} outside the app`);
    return false;
  }
  shell.openExternal(target).catch((err) => log(`openExternal failed: ${err.message}`));
  return true;
}

/** Adds the token to requests for the backend's origin; called again on every (re)start. */
function authorizeRequests({ baseUrl: origin, token }) {
  // One listener per session: registering again replaces the one for the previous port.
  session.defaultSession.webRequest.onBeforeSendHeaders(
    { urls: [`${origin}/*`] },
    (details, callback) => {
      callback({
        requestHeaders: policy.headersWithToken(details.url, details.requestHeaders, origin, token),
      });
    },
  );
}

function lockDownSession() {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(policy.permissionAllowed(permission, details.requestingUrl, baseUrl()));
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    policy.permissionAllowed(permission, requestingOrigin, baseUrl()),
  );
}

/** Every web contents: navigation stays on the backend's origin, new windows never open. */
function lockDownContents(contents) {
  contents.on('will-navigate', (event) => {
    if (policy.isBackendUrl(event.url, baseUrl())) return;
    event.preventDefault();
    openExternal(event.url); // a plain link to the web opens in the user's browser
  });
  contents.on('will-redirect', (event) => {
    if (!policy.isBackendUrl(event.url, baseUrl())) event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function createWindow() {
  win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    title: 'Reelforge',
    backgroundColor: '#14161b',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    win = null;
  });
  win.webContents.on('render-process-gone', (_event, details) => {
    log(`renderer gone: ${details.reason} (exit code ${details.exitCode})`);
    const delay = rendererReloads.next();
    if (delay === null) {
      windowGaveUp = true;
      problem = `The studio window stopped ${rendererReloads.count()} times within a minute `
        + `(${details.reason}). Retry to open it again.`;
      showCurrentPage();
      return;
    }
    setTimeout(showCurrentPage, delay);
  });
  showCurrentPage();
}

function createBackend() {
  // No --data-dir: the backend uses REELFORGE_DATA_DIR or the platform's user data dir, the
  // same place as a `reelforge` command run by hand, so both see the same projects.
  const { command, args } = policy.backendCommand({
    packaged: app.isPackaged,
    resourcesPath: process.resourcesPath,
    platform: process.platform,
    env: process.env,
    repoRoot: REPO_ROOT,
  });
  // The Backend logs its own output and lifecycle (start, ready, exit, restart, give-up, stop)
  // to the same file; here only the window follows its state.
  const instance = new Backend({ command, args, logStream });
  instance.on('ready', (info) => {
    problem = null;
    authorizeRequests(info);
    showCurrentPage();
  });
  instance.on('restarting', ({ reason }) => {
    problem = reason;
    showCurrentPage();
  });
  instance.on('fatal', ({ message }) => {
    problem = message;
    showCurrentPage();
  });
  return instance;
}

/** IPC for our own pages only: the studio (backend origin) and the local status page. */
function handle(channel, listener) {
  ipcMain.handle(channel, (event, ...args) => {
    const url = event.senderFrame && event.senderFrame.url;
    if (!policy.isTrustedSender(url, baseUrl(), STATUS_PAGE)) {
      throw new Error(`${channel}: not allowed from this page`);
    }
    return listener(...args);
  });
}

function registerIpc() {
  // Synchronous, once per page load, so the preload can expose plain values.
  ipcMain.on('reelforge:info', (event) => {
    const url = event.senderFrame && event.senderFrame.url;
    event.returnValue = policy.isTrustedSender(url, baseUrl(), STATUS_PAGE)
      ? { baseUrl: baseUrl(), version: app.getVersion() }
      : null;
  });
  handle('reelforge:open-external', (url) => openExternal(url));
  handle('reelforge:open-log-folder', () => shell.openPath(app.getPath('logs')));
  handle('reelforge:status', () => ({ state: windowGaveUp ? 'fatal' : backend.state, message: problem }));
  handle('reelforge:last-log-lines', () => backend.lastLogLines());
  handle('reelforge:retry-backend', () => {
    problem = null;
    windowGaveUp = false;
    rendererReloads.reset();
    log('retry requested');
    backend.retry().catch((err) => log(`retry failed: ${err.message}`));
    showCurrentPage();
  });
}

function onBeforeQuit(event) {
  if (backendStopped || !backend) return;
  // Keep the app alive until the backend (and its FFmpeg children) are gone, then quit again.
  event.preventDefault();
  if (backend.stopped) return; // already on its way
  log('quitting');
  backend
    .stop()
    .catch((err) => log(`stopping the backend failed: ${err.message}`))
    .finally(() => {
      backendStopped = true;
      logStream.end(() => app.quit());
    });
}

function main() {
  app.setAppLogsPath();
  logStream = openLogStream(path.join(app.getPath('logs'), 'reelforge.log'));
  log(`Reelforge ${app.getVersion()} starting (Electron ${process.versions.electron})`);
  lockDownSession();
  registerIpc();
  backend = createBackend();
  backend.start().catch((err) => log(`backend start failed: ${err.message}`));
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  });
  app.on('web-contents-created', (_event, contents) => lockDownContents(contents));
  app.on('before-quit', onBeforeQuit);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (!win && app.isReady()) createWindow();
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.quit());
  app
    .whenReady()
    .then(main)
    .catch((err) => {
      dialog.showErrorBox('Reelforge could not start', err.stack || String(err));
      app.exit(1);
    });
}

'use strict';
// main.js wired to a stand-in for the `electron` module (the real binary cannot run here) and
// the real backend: startup through the status page, token injection for the backend's origin
// only, navigation and window-open rules, permissions, IPC from trusted pages only, a crash
// and restart on a new port, and a quit that waits for the backend to be gone.

const assert = require('node:assert/strict');
const { EventEmitter, once } = require('node:events');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { test } = require('node:test');

const SHELL = path.resolve(__dirname, '..');
const STATUS_PAGE_URL = pathToFileURL(path.join(SHELL, 'error.html')).href;

/** Just enough of Electron's main-process API for main.js, recording what it is asked to do. */
function fakeElectron(logsDir) {
  const events = new EventEmitter(); // 'load' ({kind, target}) so the test can wait for pages
  const record = { windows: [], loads: [], headerFilters: [], opened: [], quit: false };
  let beforeSendHeaders = null;
  let permissionRequest = null;
  let permissionCheck = null;
  const ipc = { on: new Map(), handle: new Map() };

  const app = new EventEmitter();
  Object.assign(app, {
    isPackaged: false,
    requestSingleInstanceLock: () => true,
    whenReady: () => Promise.resolve(),
    isReady: () => true,
    setAppLogsPath: () => {},
    getPath: (name) => {
      assert.equal(name, 'logs');
      return logsDir;
    },
    getVersion: () => '0.1.0',
    quit() {
      const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      app.emit('before-quit', event);
      if (!event.defaultPrevented) {
        record.quit = true;
        events.emit('quit');
      }
    },
    exit: (code) => assert.fail(`app.exit(${code})`),
  });

  class WebContents extends EventEmitter {
    setWindowOpenHandler(handler) {
      this.windowOpenHandler = handler;
    }
  }

  class BrowserWindow extends EventEmitter {
    constructor(options) {
      super();
      this.options = options;
      this.webContents = new WebContents();
      record.windows.push(this);
      app.emit('web-contents-created', {}, this.webContents);
    }
    load(kind, target) {
      record.loads.push({ kind, target });
      events.emit('load', { kind, target });
      return Promise.resolve();
    }
    loadURL(url) {
      return this.load('url', url);
    }
    loadFile(file) {
      return this.load('file', file);
    }
    show() {}
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
  }

  const session = {
    defaultSession: {
      webRequest: {
        onBeforeSendHeaders(filter, listener) {
          record.headerFilters.push(filter);
          beforeSendHeaders = listener;
        },
      },
      setPermissionRequestHandler(handler) {
        permissionRequest = handler;
      },
      setPermissionCheckHandler(handler) {
        permissionCheck = handler;
      },
    },
  };

  const electron = {
    app,
    BrowserWindow,
    session,
    dialog: { showErrorBox: (title, text) => assert.fail(`${title}: ${text}`) },
    ipcMain: {
      on: (channel, listener) => ipc.on.set(channel, listener),
      handle: (channel, listener) => ipc.handle.set(channel, listener),
    },
    shell: {
      openExternal: async (url) => record.opened.push(url),
      openPath: async () => '',
    },
  };

  /** What the page would send for `url`, after main's header hook. */
  const sendHeaders = (url, requestHeaders) =>
    new Promise((resolve) => {
      beforeSendHeaders({ url, requestHeaders }, ({ requestHeaders: out }) => resolve(out));
    });
  const invoke = (channel, frameUrl, ...args) =>
    ipc.handle.get(channel)({ senderFrame: { url: frameUrl } }, ...args);
  const sendSync = (channel, frameUrl) => {
    const event = { senderFrame: { url: frameUrl } };
    ipc.on.get(channel)(event);
    return event.returnValue;
  };
  const permission = (name, url) =>
    new Promise((resolve) => permissionRequest(null, name, resolve, { requestingUrl: url }));
  const checkPermission = (name, origin) => permissionCheck(null, name, origin);

  return { electron, events, record, sendHeaders, invoke, sendSync, permission, checkPermission };
}

/** Resolves with the next page load that matches `predicate`. */
function nextLoad(events, predicate) {
  return new Promise((resolve) => {
    const onLoad = (load) => {
      if (!predicate(load)) return;
      events.off('load', onLoad);
      resolve(load);
    };
    events.on('load', onLoad);
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid main.js logged for the backend at `baseUrl`. */
async function loggedPid(logFile, baseUrl) {
  const pattern = new RegExp(`backend ready at ${baseUrl} \\(pid (\\d+)`);
  for (let i = 0; i < 100; i += 1) {
    const match = pattern.exec(fs.readFileSync(logFile, 'utf8'));
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no pid logged for ${baseUrl}`);
}

test('main.js with a stand-in Electron and the real backend', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-main-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // main.js lets the backend pick its data dir: keep it out of the user's.
  process.env.REELFORGE_DATA_DIR = path.join(dir, 'data');
  const fake = fakeElectron(path.join(dir, 'logs'));
  const electronId = require.resolve('electron', { paths: [SHELL] });
  const stub = new Module(electronId);
  Object.assign(stub, { filename: electronId, loaded: true, exports: fake.electron });
  require.cache[electronId] = stub;
  const logFile = path.join(dir, 'logs', 'reelforge.log');

  const studio = nextLoad(fake.events, ({ kind }) => kind === 'url');
  require('../main');
  let closed = false;
  t.after(async () => {
    if (!closed) {
      const quit = once(fake.events, 'quit');
      fake.electron.app.quit();
      await quit;
    }
  });

  const { target: firstUrl } = await studio;
  const base = firstUrl.replace(/\/$/, '');

  await t.test('window: locked-down preferences, status page first, then the studio', () => {
    const [win] = fake.record.windows;
    assert.equal(fake.record.windows.length, 1);
    assert.deepEqual(
      {
        contextIsolation: win.options.webPreferences.contextIsolation,
        sandbox: win.options.webPreferences.sandbox,
        nodeIntegration: win.options.webPreferences.nodeIntegration,
        webSecurity: win.options.webPreferences.webSecurity,
        webviewTag: win.options.webPreferences.webviewTag,
      },
      { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false },
    );
    assert.equal(win.options.webPreferences.preload, path.join(SHELL, 'preload.js'));
    assert.deepEqual(fake.record.loads[0], { kind: 'file', target: path.join(SHELL, 'error.html') });
    assert.match(firstUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  await t.test('token: injected for the backend origin only, and it is the real one', async () => {
    assert.deepEqual(fake.record.headerFilters.at(-1), { urls: [`${base}/*`] });
    const headers = await fake.sendHeaders(`${base}/api/jobs`, { Accept: 'application/json' });
    assert.match(headers.Authorization, /^Bearer [\w-]{43}$/);
    const res = await fetch(`${base}/api/jobs`, { headers });
    assert.equal(res.status, 200);
    assert.equal((await fetch(`${base}/api/jobs`)).status, 401);
    const other = { Accept: '*/*' };
    assert.equal(await fake.sendHeaders('https://example.com/x', other), other);
    assert.ok(!fs.readFileSync(logFile, 'utf8').includes(headers.Authorization.slice(7)));
  });

  await t.test('navigation stays in the backend origin; links to the web open outside', () => {
    const { webContents } = fake.record.windows[0];
    const navigate = (name, url) => {
      const event = { url, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
      webContents.emit(name, event, url);
      return event.defaultPrevented;
    };
    assert.equal(navigate('will-navigate', `${base}/api/docs`), false);
    assert.equal(navigate('will-navigate', 'https://example.com/help'), true);
    assert.equal(navigate('will-navigate', 'file:///etc/passwd'), true);
    assert.equal(navigate('will-redirect', 'http://127.0.0.1:1/'), true);
    assert.equal(navigate('will-redirect', `${base}/ui/`), false);
    assert.deepEqual(webContents.windowOpenHandler({ url: 'https://example.org/' }), { action: 'deny' });
    assert.deepEqual(webContents.windowOpenHandler({ url: 'javascript:alert(1)' }), { action: 'deny' });
    assert.deepEqual(fake.record.opened, ['https://example.com/help', 'https://example.org/']);
    const webview = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    webContents.emit('will-attach-webview', webview);
    assert.ok(webview.defaultPrevented);
  });

  await t.test('permissions: denied except the studio going fullscreen', async () => {
    assert.equal(await fake.permission('media', `${base}/`), false);
    assert.equal(await fake.permission('fullscreen', 'https://example.com/'), false);
    assert.equal(await fake.permission('fullscreen', `${base}/`), true);
    assert.equal(fake.checkPermission('geolocation', base), false);
  });

  await t.test('IPC answers the studio and the status page, nobody else', async () => {
    assert.deepEqual(fake.sendSync('reelforge:info', `${base}/`), { baseUrl: base, version: '0.1.0' });
    assert.deepEqual(fake.sendSync('reelforge:info', STATUS_PAGE_URL), { baseUrl: base, version: '0.1.0' });
    assert.equal(fake.sendSync('reelforge:info', 'https://example.com/'), null);
    assert.deepEqual(await fake.invoke('reelforge:status', `${base}/`), { state: 'ready', message: null });
    assert.ok((await fake.invoke('reelforge:last-log-lines', STATUS_PAGE_URL)).length > 0);
    assert.equal(await fake.invoke('reelforge:open-external', `${base}/`, 'file:///etc/passwd'), false);
    assert.throws(() => fake.invoke('reelforge:status', 'https://example.com/'), /not allowed/);
    assert.throws(() => fake.invoke('reelforge:open-external', 'file:///tmp/x.html', 'https://a.b/'), /not allowed/);
  });

  let pid = await loggedPid(logFile, base);
  await t.test('a crash shows the status page, then the studio on the new port', async () => {
    const statusPage = nextLoad(fake.events, ({ kind }) => kind === 'file');
    const studioAgain = nextLoad(fake.events, ({ kind }) => kind === 'url');
    process.kill(pid, 'SIGKILL');
    await statusPage;
    const { target } = await studioAgain;
    const newBase = target.replace(/\/$/, '');
    assert.notEqual(newBase, base);
    assert.deepEqual(fake.record.headerFilters.at(-1), { urls: [`${newBase}/*`] });
    const headers = await fake.sendHeaders(`${newBase}/api/jobs`, {});
    assert.equal((await fetch(`${newBase}/api/jobs`, { headers })).status, 200);
    pid = await loggedPid(logFile, newBase);
  });

  await t.test('a renderer that keeps crashing is reloaded 3 times, then the status page', async () => {
    const { webContents } = fake.record.windows[0];
    const studioBase = fake.record.loads.at(-1).target;
    for (let crash = 1; crash <= 3; crash += 1) {
      const reload = nextLoad(fake.events, () => true);
      webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 11 });
      assert.deepEqual(await reload, { kind: 'url', target: studioBase }, `reload after crash ${crash}`);
    }
    const statusPage = nextLoad(fake.events, () => true);
    webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 11 });
    assert.equal((await statusPage).kind, 'file');
    const status = await fake.invoke('reelforge:status', STATUS_PAGE_URL);
    assert.equal(status.state, 'fatal');
    assert.match(status.message, /studio window stopped 3 times/);
    const studioAgain = nextLoad(fake.events, () => true);
    await fake.invoke('reelforge:retry-backend', STATUS_PAGE_URL);
    assert.deepEqual(await studioAgain, { kind: 'url', target: studioBase });
    assert.deepEqual(await fake.invoke('reelforge:status', `${studioBase}`), { state: 'ready', message: null });
  });

  await t.test('quit waits for the backend to stop', async () => {
    const quit = once(fake.events, 'quit');
    fake.electron.app.quit();
    assert.equal(fake.record.quit, false, 'the first before-quit is held back');
    await quit;
    closed = true;
    assert.equal(alive(pid), false);
    assert.match(fs.readFileSync(logFile, 'utf8'), /backend stopped \(shutdown, exit code 0\)/);
  });
});

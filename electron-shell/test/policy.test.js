'use strict';
// Unit tests of the shell's pure decisions (policy.js) and its log file (logfile.js).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { test } = require('node:test');

const policy = require('../policy');
const { openLogStream, formatLogLine } = require('../logfile');

const BASE = 'http://127.0.0.1:41234';

test('backendCommand: packaged app runs the bundled binary', () => {
  const posix = policy.backendCommand({
    packaged: true,
    resourcesPath: '/opt/Reelforge/resources',
    platform: 'linux',
    env: {},
    repoRoot: '/ignored',
  });
  assert.equal(posix.command, path.join('/opt/Reelforge/resources', 'reelforge', 'reelforge'));
  // The installed app allows no origin but its own (no frontend-development origins).
  assert.deepEqual(posix.args, [
    'serve', '--port', '0', '--token-stdin', '--parent-stdin', '--allow-origin=',
  ]);

  const win = policy.backendCommand({
    packaged: true,
    resourcesPath: 'C:\\Reelforge\\resources',
    platform: 'win32',
    env: {},
    repoRoot: '/ignored',
    dataDir: '/data',
  });
  assert.equal(path.basename(win.command), 'reelforge.exe');
  assert.deepEqual(win.args, [
    'serve', '--port', '0', '--data-dir', '/data', '--token-stdin', '--parent-stdin',
    '--allow-origin=',
  ]);
});

test('backendCommand: development runs python -m reelforge from the repo venv or REELFORGE_PYTHON', () => {
  const dev = policy.backendCommand({
    packaged: false,
    platform: 'linux',
    env: {},
    repoRoot: '/src/reelforge',
    dataDir: '/tmp/rf',
  });
  assert.equal(dev.command, path.join('/src/reelforge', '.venv', 'bin', 'python'));
  assert.deepEqual(dev.args.slice(0, 3), ['-m', 'reelforge', 'serve']);
  assert.ok(dev.args.includes('--token-stdin') && dev.args.includes('--parent-stdin'));
  assert.ok(!dev.args.includes('--allow-origin='));

  const winDev = policy.backendCommand({
    packaged: false, platform: 'win32', env: {}, repoRoot: '/src/reelforge',
  });
  assert.equal(winDev.command, path.join('/src/reelforge', '.venv', 'Scripts', 'python.exe'));

  const override = policy.backendCommand({
    packaged: false, platform: 'linux', env: { REELFORGE_PYTHON: '/usr/bin/python3.12' }, repoRoot: '/x',
  });
  assert.equal(override.command, '/usr/bin/python3.12');
});

test('isBackendUrl: same scheme, host and port only', () => {
  assert.ok(policy.isBackendUrl(`${BASE}/`, BASE));
  assert.ok(policy.isBackendUrl(`${BASE}/api/jobs?x=1#y`, BASE));
  assert.ok(policy.isBackendUrl(`${BASE}/ui/app.js`, `${BASE}/`));
  for (const url of [
    'http://127.0.0.1:41235/',
    'http://localhost:41234/',
    'https://127.0.0.1:41234/',
    'http://127.0.0.1/',
    'http://127.0.0.1:41234.evil.com/',
    'http://user:pw@127.0.0.1:41234/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'not a url',
    '',
  ]) {
    assert.equal(policy.isBackendUrl(url, BASE), false, url);
  }
  assert.equal(policy.isBackendUrl(`${BASE}/`, null), false);
});

test('externalUrl: only http(s) links leave the app', () => {
  assert.equal(policy.externalUrl('https://example.com/docs'), 'https://example.com/docs');
  assert.equal(policy.externalUrl('http://example.com'), 'http://example.com/');
  for (const url of [
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,hi',
    'smb://host/share',
    'ms-settings:',
    'mailto:a@b.c',
    'relative/path',
    '',
    null,
    42,
  ]) {
    assert.equal(policy.externalUrl(url), null, String(url));
  }
});

test('headersWithToken: injects the token for the backend origin only', () => {
  const token = 'secret-token';
  const own = policy.headersWithToken(`${BASE}/api/jobs`, { Accept: 'x' }, BASE, token);
  assert.deepEqual(own, { Accept: 'x', Authorization: `Bearer ${token}` });

  // A page cannot pick its own credentials: any Authorization it set is replaced.
  const replaced = policy.headersWithToken(
    `${BASE}/api/jobs`, { authorization: 'Bearer forged', AUTHORIZATION: 'x' }, BASE, token,
  );
  assert.deepEqual(replaced, { Authorization: `Bearer ${token}` });

  const other = { Accept: 'x' };
  assert.equal(policy.headersWithToken('https://example.com/', other, BASE, token), other);
  assert.equal(policy.headersWithToken('http://127.0.0.1:9/', other, BASE, token), other);
  assert.equal(policy.headersWithToken(`${BASE}/`, other, BASE, null), other);
});

test('permissionAllowed: only fullscreen and clipboard writes, only for the studio', () => {
  assert.ok(policy.permissionAllowed('fullscreen', `${BASE}/`, BASE));
  assert.ok(policy.permissionAllowed('clipboard-sanitized-write', BASE, BASE));
  assert.equal(policy.permissionAllowed('fullscreen', 'https://example.com/', BASE), false);
  assert.equal(policy.permissionAllowed('fullscreen', 'file:///app/error.html', BASE), false);
  assert.equal(policy.permissionAllowed('fullscreen', `${BASE}/`, null), false);
  for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
    assert.equal(policy.permissionAllowed(permission, `${BASE}/`, BASE), false, permission);
  }
});

test('isTrustedSender: the studio origin or the local status page', () => {
  const page = path.join(os.tmpdir(), 'app', 'error.html');
  const pageUrl = pathToFileURL(page).href;
  assert.ok(policy.isTrustedSender(`${BASE}/`, BASE, page));
  assert.ok(policy.isTrustedSender(pageUrl, BASE, page));
  assert.ok(policy.isTrustedSender(`${pageUrl}#x`, null, page));
  assert.equal(policy.isTrustedSender(pathToFileURL(path.join(os.tmpdir(), 'other.html')).href, BASE, page), false);
  assert.equal(policy.isTrustedSender('https://example.com/', BASE, page), false);
  assert.equal(policy.isTrustedSender(undefined, BASE, page), false);
});

test('RestartPolicy: growing delays, at most N restarts per window, then null', () => {
  const restarts = new policy.RestartPolicy({ delaysMs: [500, 1000, 2000], maxRestarts: 3, windowMs: 600_000 });
  const t0 = 1_000_000;
  assert.equal(restarts.next(t0), 500);
  assert.equal(restarts.next(t0 + 1), 1000);
  assert.equal(restarts.next(t0 + 2), 2000);
  assert.equal(restarts.next(t0 + 3), null);
  assert.equal(restarts.count(t0 + 3), 3);
  // Once the first restarts age out of the window, the budget comes back.
  assert.equal(restarts.next(t0 + 600_000), 2000);
  assert.equal(restarts.count(t0 + 600_000), 3);
  assert.equal(restarts.next(t0 + 600_000), null);
  restarts.reset();
  assert.equal(restarts.next(t0 + 600_003), 500);

  const longer = new policy.RestartPolicy({ delaysMs: [10], maxRestarts: 5 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => longer.next()), [10, 10, 10, 10, 10, null]);
  assert.equal(new policy.RestartPolicy({ maxRestarts: 0 }).next(), null);
});

test('log file: appends, rotates when too big, keeps one line per message', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-log-'));
  const file = path.join(dir, 'logs', 'reelforge.log');
  const write = async (text, options) => {
    const stream = openLogStream(file, options);
    await new Promise((resolve) => stream.end(text, resolve));
  };
  try {
    await write('first\n');
    await write('second\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'first\nsecond\n');
    await write('third\n', { maxBytes: 5 });
    assert.equal(fs.readFileSync(`${file}.1`, 'utf8'), 'first\nsecond\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'third\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const line = formatLogLine('shell', 'a\nb', new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
  assert.equal(line, '2026-01-02T03:04:05.000Z [shell] a\\nb\n');
});

'use strict';
// The launcher (backend.js) against the real backend run from source (the repo's .venv, or
// REELFORGE_PYTHON), plus small fake backends written to a temp dir for the failure paths.
// Every test gets its own temp dir and stops what it started.

const assert = require('node:assert/strict');
const { once } = require('node:events');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');

const { Backend, BackendStoppedError, waitForHealth, readyMessage } = require('../backend');
const { backendCommand } = require('../policy');

const REPO = path.resolve(__dirname, '..', '..');

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-shell-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Backend for the real server, with its own data dir and log file; stopped after the test. */
function realBackend(t, options = {}) {
  const dir = tempDir(t);
  const { command, args } = backendCommand({
    packaged: false,
    platform: process.platform,
    env: process.env,
    repoRoot: REPO,
    dataDir: path.join(dir, 'data'),
  });
  assert.ok(fs.existsSync(command), `${command} is missing: run scripts/setup dev`);
  const logFile = path.join(dir, 'shell.log');
  const logStream = fs.createWriteStream(logFile);
  const backend = new Backend({ command, args, logStream, ...options });
  t.after(async () => {
    await backend.stop();
    await new Promise((resolve) => logStream.end(resolve));
  });
  return { backend, logFile };
}

/**
 * A fake backend: reads the token line, serves /api/health (503 until FAKE_HEALTH_DELAY_MS have
 * passed) and answers 401 without the token, 404 with it (so the shutdown request is refused).
 * FAKE_CHILD=1: starts a child that ignores SIGTERM. FAKE_STUBBORN=1: ignores SIGTERM itself.
 * It never reacts to stdin EOF.
 */
const FAKE_BACKEND = `
const http = require('node:http');
const { spawn } = require('node:child_process');
const healthyAt = Date.now() + Number(process.env.FAKE_HEALTH_DELAY_MS || 0);
let buffered = '';
process.stdin.on('data', (chunk) => {
  if (buffered === null) return;
  buffered += chunk;
  if (buffered.includes('\\n')) {
    const token = buffered.split('\\n')[0];
    buffered = null;
    serve(token);
  }
});
if (process.env.FAKE_STUBBORN) process.on('SIGTERM', () => console.error('ignoring SIGTERM'));
function serve(token) {
  const server = http.createServer((req, res) => {
    if (req.url === '/api/health') res.writeHead(Date.now() >= healthyAt ? 200 : 503);
    else res.writeHead(req.headers.authorization === 'Bearer ' + token ? 404 : 401);
    res.end('{}');
  });
  server.listen(0, '127.0.0.1', () => {
    if (process.env.FAKE_CHILD) {
      const code = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)";
      const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
      console.error('child ' + child.pid);
    }
    console.log('not the ready line');
    const ready = { event: 'ready', port: server.address().port, pid: process.pid, version: '9.9.9' };
    console.log(JSON.stringify(ready));
  });
}
`;

function fakeBackend(t, env = {}, options = {}) {
  const script = path.join(tempDir(t), 'fake-backend.js');
  fs.writeFileSync(script, FAKE_BACKEND);
  const backend = new Backend({
    command: process.execPath,
    args: [script],
    env: { ...process.env, ...env },
    ...options,
  });
  t.after(() => backend.stop());
  return backend;
}

/** A Backend running `node -e code`; it never gets to `ready` unless the code says so. */
function nodeBackend(t, code, options = {}) {
  const backend = new Backend({ command: process.execPath, args: ['-e', code], ...options });
  t.after(() => backend.stop());
  return backend;
}

/** State and process group of a Linux process, from /proc/<pid>/stat; null if it is gone. */
function procStat(pid) {
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]) };
}

/** True if the process (pid > 0) or process group (pid < 0) still has a running member. */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'ESRCH') return false;
    throw err;
  }
  if (process.platform !== 'linux') return true;
  // A killed orphan stays a zombie until init reaps it (slowly, in some containers), and
  // zombies still answer kill(0); they are not running any more.
  const running = (stat) => stat !== null && stat.state !== 'Z';
  if (pid > 0) return running(procStat(pid));
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .some((name) => {
      const stat = procStat(name);
      return running(stat) && stat.pgrp === -pid;
    });
}

async function assertGone(pid, what) {
  const deadline = Date.now() + 2000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(alive(pid), false, `${what} (${pid}) is still alive`);
}

async function get(url, token) {
  const res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const body = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body };
}

test('readyMessage accepts only the ready line', () => {
  const line = '{"event":"ready","port":4321,"pid":7,"version":"1.2.3"}';
  assert.deepEqual(readyMessage(line), { event: 'ready', port: 4321, pid: 7, version: '1.2.3' });
  for (const other of [
    'INFO uvicorn.error: Started server process',
    '{"event":"ready"',
    '{"event":"ready","port":"4321"}',
    '{"event":"ready","port":0}',
    '{"event":"started","port":4321}',
    'null',
    '',
  ]) {
    assert.equal(readyMessage(other), null, other);
  }
});

test('real backend: handshake, token, health, graceful stop through the API', async (t) => {
  const { backend, logFile } = realBackend(t);
  const readyEvents = [];
  const exits = [];
  backend.on('ready', (info) => readyEvents.push(info));
  backend.on('exit', (exit) => exits.push(exit));

  const info = await backend.start();
  assert.deepEqual(readyEvents, [info]);
  assert.equal(backend.state, 'ready');
  assert.equal(info.baseUrl, `http://127.0.0.1:${info.port}`);
  assert.ok(info.port > 0 && Number.isInteger(info.pid));
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  assert.match(info.token, /^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
  assert.equal(await backend.start(), info, 'start() while ready is a no-op');

  const health = await get(`${info.baseUrl}/api/health`);
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).version, info.version);

  const anonymous = await get(`${info.baseUrl}/api/jobs`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.type, /application\/problem\+json/);
  assert.equal((await get(`${info.baseUrl}/api/jobs`, 'not-the-token')).status, 401);
  assert.equal((await get(`${info.baseUrl}/api/jobs`, info.token)).status, 200);

  const stopping = backend.stop();
  assert.equal(backend.stop(), stopping, 'stop() is idempotent');
  assert.deepEqual(await stopping, { method: 'shutdown', code: 0, signal: null });
  assert.equal(backend.state, 'stopped');
  assert.equal(backend.info, null);
  await assertGone(info.pid, 'backend');
  await assertGone(-info.pid, 'backend process group');
  assert.deepEqual(exits, [{ pid: info.pid, code: 0, signal: null, expected: true }]);
  await assert.rejects(backend.start(), BackendStoppedError);

  // The backend's output reached the ring buffer and the log file, the token neither.
  const lines = backend.lastLogLines();
  assert.ok(lines.some((line) => line.includes('"event":"ready"')), lines.join('\n'));
  assert.ok(lines.some((line) => /shutdown/i.test(line)), lines.join('\n'));
  await new Promise((resolve) => backend.logStream.end(resolve));
  const log = fs.readFileSync(logFile, 'utf8');
  assert.match(log, /\[backend stderr\] .*Application startup complete/);
  assert.match(log, /\[shell\] backend stopped \(shutdown, exit code 0\)/);
  assert.ok(!log.includes(info.token), 'the token must never be logged');
});

test('real backend: a crash restarts it on a new port; past the limit it is fatal', async (t) => {
  const { backend } = realBackend(t, { restart: { delaysMs: [50], maxRestarts: 1, windowMs: 60_000 } });
  const first = await backend.start();

  const restarting = once(backend, 'restarting');
  const readyAgain = once(backend, 'ready');
  process.kill(first.pid, 'SIGKILL');
  const [restart] = await restarting;
  assert.equal(restart.attempt, 1);
  assert.equal(restart.delayMs, 50);
  assert.match(restart.reason, /stopped unexpectedly \(killed by SIGKILL\)/);
  const [second] = await readyAgain;
  assert.equal(backend.info, second);
  assert.notEqual(second.pid, first.pid);
  assert.notEqual(second.token, first.token, 'every launch gets a fresh token');
  await assertGone(first.pid, 'crashed backend');
  assert.equal((await get(`${second.baseUrl}/api/jobs`, second.token)).status, 200);
  assert.equal((await get(`${second.baseUrl}/api/jobs`, first.token)).status, 401);

  const fatal = once(backend, 'fatal');
  process.kill(second.pid, 'SIGKILL');
  const [{ message, lastLines }] = await fatal;
  assert.match(message, /stopped unexpectedly \(killed by SIGKILL\)/);
  assert.match(message, /restarted 1 time within 1 min/);
  assert.ok(lastLines.some((line) => line.includes('Application startup complete')), lastLines);
  assert.equal(backend.state, 'fatal');
  assert.equal(backend.info, null);

  // Retry from the error page: a fresh budget, a working server.
  const third = await backend.retry();
  assert.equal((await get(`${third.baseUrl}/api/health`)).status, 200);
});

test('a backend that keeps failing to start ends in fatal with its last lines', async (t) => {
  const backend = nodeBackend(
    t,
    "console.error('boom: cannot open the database'); process.exit(3)",
    { restart: { delaysMs: [10, 20], maxRestarts: 2, windowMs: 60_000 } },
  );
  const restarts = [];
  const fatals = [];
  backend.on('restarting', (event) => restarts.push(event));
  backend.on('fatal', (event) => fatals.push(event));

  const err = await backend.start().then(() => assert.fail('start() resolved'), (e) => e);
  assert.match(err.message, /exited before it was ready \(exit code 3\)/);
  assert.match(err.message, /restarted 2 times within 1 min/);
  assert.deepEqual(err.lastLines.slice(-1), ['boom: cannot open the database']);
  assert.deepEqual(restarts.map((r) => [r.attempt, r.delayMs]), [[1, 10], [2, 20]]);
  assert.equal(fatals.length, 1);
  assert.equal(fatals[0].message, err.message);
  assert.equal(fatals[0].lastLines.length, 3);
  assert.equal(backend.state, 'fatal');
});

test('a backend that never reports ready times out and is killed', async (t) => {
  const backend = nodeBackend(t, 'setInterval(() => {}, 1000)', {
    readyTimeoutMs: 500,
    restart: { maxRestarts: 0 },
  });
  const exited = once(backend, 'exit');
  const started = Date.now();
  await assert.rejects(backend.start(), /did not report ready within 0\.5 s/);
  assert.ok(Date.now() - started < 2000);
  const [exit] = await exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.expected, true);
  await assertGone(exit.pid, 'backend');
});

test('ready is reported only once /api/health answers 200', async (t) => {
  const backend = fakeBackend(t, { FAKE_HEALTH_DELAY_MS: '400' });
  let readyLineAt = 0;
  backend.on('log', ({ line }) => {
    if (readyMessage(line)) readyLineAt = Date.now();
  });
  const info = await backend.start();
  assert.ok(readyLineAt > 0);
  assert.ok(Date.now() - readyLineAt >= 300, 'start() must wait for a healthy server');
  assert.equal(info.version, '9.9.9');
  // The fake checks the token it read from stdin: 404 with it, 401 without.
  assert.equal((await get(`${info.baseUrl}/api/jobs`, info.token)).status, 404);
  assert.equal((await get(`${info.baseUrl}/api/jobs`)).status, 401);
});

test('a server that never gets healthy fails the launch', async (t) => {
  const backend = fakeBackend(t, { FAKE_HEALTH_DELAY_MS: '60000' }, {
    healthTimeoutMs: 300,
    restart: { maxRestarts: 0 },
  });
  const exited = once(backend, 'exit');
  await assert.rejects(
    backend.start(),
    /did not answer GET \/api\/health within 0\.3 s \(last: HTTP 503\)/,
  );
  await assertGone((await exited)[0].pid, 'unhealthy backend');

  // And the helper on its own: nothing listening.
  const closed = net.createServer().listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const { port } = closed.address();
  closed.close();
  await assert.rejects(
    waitForHealth(`http://127.0.0.1:${port}`, { timeoutMs: 200, intervalMs: 50 }),
    /within 0\.2 s \(last: ECONNREFUSED\)/,
  );
});

test('stop() kills the whole tree when shutdown request and SIGTERM are ignored', async (t) => {
  const backend = fakeBackend(t, { FAKE_STUBBORN: '1', FAKE_CHILD: '1' }, {
    shutdownTimeoutMs: 300,
    killTimeoutMs: 300,
  });
  let childPid = null;
  backend.on('log', ({ line }) => {
    const match = /^child (\d+)$/.exec(line);
    if (match) childPid = Number(match[1]);
  });
  const info = await backend.start();
  assert.ok(childPid, 'the fake reported its child');
  assert.ok(alive(childPid));

  const result = await backend.stop();
  assert.deepEqual(result, { method: 'kill', code: null, signal: 'SIGKILL' });
  await assertGone(info.pid, 'backend');
  await assertGone(childPid, "backend's child");
  await assertGone(-info.pid, 'backend process group');
  assert.ok(backend.lastLogLines().includes('ignoring SIGTERM'));
});

test("the backend's children die with it: on a crash and on a graceful stop", async (t) => {
  const backend = fakeBackend(t, { FAKE_CHILD: '1' }, { restart: { delaysMs: [10] } });
  const children = [];
  backend.on('log', ({ line }) => {
    const match = /^child (\d+)$/.exec(line);
    if (match) children.push(Number(match[1]));
  });
  const first = await backend.start();
  const readyAgain = once(backend, 'ready');
  process.kill(first.pid, 'SIGKILL');
  await readyAgain;
  await assertGone(children[0], "crashed backend's child");

  // The fake dies of SIGTERM at once, leaving its child behind: the sweep takes it too.
  assert.deepEqual(await backend.stop(), { method: 'terminate', code: null, signal: 'SIGTERM' });
  assert.equal(children.length, 2);
  await assertGone(children[1], "stopped backend's child");
});

test('stop() during a restart backoff: no further launch', async (t) => {
  const backend = nodeBackend(t, 'process.exit(1)', { restart: { delaysMs: [300] } });
  let launches = 0;
  backend.on('exit', () => {
    launches += 1;
  });
  const starting = backend.start();
  await once(backend, 'restarting');
  assert.deepEqual(await backend.stop(), { method: 'none', code: null, signal: null });
  await assert.rejects(starting, BackendStoppedError);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(launches, 1);
  assert.equal(backend.state, 'stopped');
  await assert.rejects(backend.retry(), BackendStoppedError);
});

test('stop() while starting ends the launch', async (t) => {
  const backend = nodeBackend(t, 'setInterval(() => {}, 1000)');
  const exited = once(backend, 'exit');
  const starting = backend.start();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const result = await backend.stop();
  assert.equal(result.method, 'terminate');
  assert.equal(result.signal, 'SIGTERM');
  await assert.rejects(starting, BackendStoppedError);
  assert.equal((await exited)[0].expected, true);
});

test('a missing executable is a clear fatal error', async (t) => {
  const backend = new Backend({
    command: path.join(tempDir(t), 'no-such-reelforge'),
    restart: { maxRestarts: 0 },
  });
  const fatal = once(backend, 'fatal');
  await assert.rejects(backend.start(), /cannot start the backend \(.*no-such-reelforge\): .*ENOENT/);
  assert.match((await fatal)[0].message, /ENOENT/);
  assert.deepEqual(await backend.stop(), { method: 'none', code: null, signal: null });
});

test('the installed app refuses the frontend-development origins', async (t) => {
  const dataDir = path.join(tempDir(t), 'data');
  const packaged = backendCommand({ packaged: true, resourcesPath: '/x', platform: 'linux' });
  // Python from source, with exactly the installed app's arguments.
  const args = ['-m', 'reelforge', ...packaged.args, '--data-dir', dataDir];
  const { backend } = realBackend(t, { args });
  const info = await backend.start();
  const call = (origin) => fetch(`${info.baseUrl}/api/jobs`, {
    headers: { Authorization: `Bearer ${info.token}`, Origin: origin },
  });
  assert.equal((await call('http://localhost:5173')).status, 403);
  assert.equal((await call(info.baseUrl)).status, 200);
});

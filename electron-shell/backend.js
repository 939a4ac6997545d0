'use strict';
/**
 * Runs the Reelforge backend for the desktop shell: spawn, handshake, supervision, shutdown.
 *
 * Plain Node (no Electron import) so it can be tested against the real server with
 * `node --test`. The protocol, from the backend's side:
 *
 * - `reelforge serve --port 0 --token-stdin --parent-stdin` reads a per-launch token from
 *   stdin's first line; afterwards EOF on stdin means "the shell went away" and it shuts down,
 *   so stdin stays open for the process's whole life.
 * - Once it accepts connections it prints one line on stdout:
 *   `{"event":"ready","port":N,"pid":P,"version":"x.y.z"}`. Logs go to stderr.
 * - `POST /api/system/shutdown` (with the token) and SIGTERM both stop it gracefully, exit 0.
 *
 * Events: `ready` (info), `exit` ({pid, code, signal, expected}), `restarting` ({attempt,
 * delayMs, reason}), `fatal` ({message, lastLines, error}), `log` ({stream, line}).
 */

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const { EventEmitter } = require('node:events');
const readline = require('node:readline');
const { setTimeout: sleep } = require('node:timers/promises');
const { RestartPolicy } = require('./policy');
const { formatLogLine } = require('./logfile');

const IS_WINDOWS = process.platform === 'win32';

/** start() or retry() after stop(), or a launch cut short by stop(). */
class BackendStoppedError extends Error {
  constructor() {
    super('the backend has been stopped');
    this.name = 'BackendStoppedError';
  }
}

function describeExit({ code, signal, error }) {
  if (error) return error.message;
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function seconds(ms) {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Resolves with `promise`'s value, or with null once `ms` have passed. */
function within(promise, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, null);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `GET /api/health` (no token needed) until it answers 200, or throws after `timeoutMs`. */
async function waitForHealth(baseUrl, { timeoutMs = 5000, intervalMs = 100, signal } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    signal?.throwIfAborted();
    const remaining = Math.max(deadline - Date.now(), 1);
    const attempt = AbortSignal.timeout(Math.min(remaining, 1000));
    try {
      const res = await fetch(`${baseUrl}/api/health`, {
        signal: signal ? AbortSignal.any([signal, attempt]) : attempt,
      });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      signal?.throwIfAborted();
      last = err.cause?.code || err.cause?.message || err.message;
    }
    if (Date.now() + intervalMs >= deadline) {
      throw new Error(
        `the backend did not answer GET /api/health within ${seconds(timeoutMs)} (last: ${last})`,
      );
    }
    await sleep(intervalMs, undefined, { signal });
  }
}

/** Asks the backend to shut down gracefully; true if it accepted (202). */
async function requestShutdown(baseUrl, token, timeoutMs = 2000) {
  try {
    const res = await fetch(`${baseUrl}/api/system/shutdown`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status === 202;
  } catch {
    return false;
  }
}

/**
 * Kills a process and everything it started. On POSIX the backend is spawned detached, so it
 * leads its own process group and one signal to `-pid` reaches the whole group.
 */
function killTree(pid) {
  if (!pid) return Promise.resolve();
  if (IS_WINDOWS) {
    return new Promise((resolve) => {
      const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], {
        stdio: 'ignore',
        windowsHide: true,
      });
      killer.once('exit', resolve);
      killer.once('error', resolve);
    });
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (err) {
    if (err.code !== 'ESRCH') {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  return Promise.resolve();
}

class Backend extends EventEmitter {
  /**
   * @param {object} options
   * @param {string} options.command  executable (see policy.backendCommand)
   * @param {string[]} [options.args]
   * @param {object} [options.env]  defaults to process.env
   * @param {string} [options.cwd]
   * @param {import('node:stream').Writable} [options.logStream]  receives every output line
   * @param {number} [options.readyTimeoutMs]  spawn to `ready` line
   * @param {number} [options.healthTimeoutMs]  `ready` line to a 200 from /api/health
   * @param {number} [options.shutdownTimeoutMs]  wait for exit after the shutdown request
   * @param {number} [options.killTimeoutMs]  wait for exit after stdin EOF + SIGTERM
   * @param {object} [options.restart]  RestartPolicy options: delaysMs, maxRestarts, windowMs
   * @param {number} [options.maxLogLines]  size of the last-lines buffer
   */
  constructor(options) {
    super();
    if (!options || !options.command) throw new TypeError('Backend needs options.command');
    this.command = options.command;
    this.args = options.args || [];
    this.env = options.env || process.env;
    this.cwd = options.cwd;
    this.logStream = options.logStream || null;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 5_000;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5_000;
    this.killTimeoutMs = options.killTimeoutMs ?? 2_000;
    this.maxLogLines = options.maxLogLines ?? 50;
    this.restartPolicy = new RestartPolicy(options.restart);
    /** idle | starting | ready | restarting | fatal | stopping | stopped */
    this.state = 'idle';
    /** {baseUrl, port, pid, version, token} while ready, else null */
    this.info = null;
    this.lines = [];
    this.stopped = false;
    this._proc = null;
    this._bringingUp = null;
    this._stopping = null;
    this._cancelSleep = null;
  }

  /** Starts the backend; resolves with its info once it is healthy, rejects once given up. */
  start() {
    if (this.stopped) return Promise.reject(new BackendStoppedError());
    if (this.state === 'ready') return Promise.resolve(this.info);
    return this._bringingUp || this._supervise(null);
  }

  /** After a `fatal`: forget past restarts and try again. */
  retry() {
    if (this.stopped) return Promise.reject(new BackendStoppedError());
    this.restartPolicy.reset();
    return this.start();
  }

  /** The last lines the backend printed (stdout and stderr), oldest first. */
  lastLogLines() {
    return [...this.lines];
  }

  /**
   * Stops the backend for good: shutdown request, then stdin EOF + SIGTERM, then a kill of the
   * whole process tree, each step only if the previous one did not end the process in time.
   * Idempotent; resolves with {method, code, signal}, method being the step that worked
   * (`shutdown`, `terminate`, `kill`) or `none` if nothing was running.
   */
  stop() {
    if (!this._stopping) {
      this.stopped = true;
      this._stopping = this._stop();
    }
    return this._stopping;
  }

  async _stop() {
    this.state = 'stopping';
    if (this._cancelSleep) this._cancelSleep();
    const proc = this._proc;
    let result = { method: 'none', code: null, signal: null };
    if (proc && !proc.exit) result = await this._terminate(proc);
    this.info = null;
    this.state = 'stopped';
    return result;
  }

  async _terminate(proc) {
    const { child } = proc;
    this._note(`stopping the backend (pid ${child.pid})`);
    let method = 'shutdown';
    let exit = null;
    if (proc.baseUrl && (await requestShutdown(proc.baseUrl, proc.token))) {
      exit = await within(proc.exited, this.shutdownTimeoutMs);
    }
    if (!exit) {
      method = 'terminate';
      child.stdin.end(); // --parent-stdin: EOF asks for a graceful shutdown
      // On Windows child.kill() is TerminateProcess, not a polite request: leave it to taskkill.
      if (!IS_WINDOWS) child.kill('SIGTERM');
      exit = await within(proc.exited, this.killTimeoutMs);
    }
    if (!exit) {
      method = 'kill';
      await killTree(child.pid);
      exit = await within(proc.exited, this.killTimeoutMs);
    }
    this._note(`backend stopped (${method}, ${exit ? describeExit(exit) : 'no exit seen'})`);
    return { method, code: exit ? exit.code : null, signal: exit ? exit.signal : null };
  }

  /** Launches until one is healthy or the restart budget is spent; `failure` = why we restart. */
  _supervise(failure) {
    const run = this._bringUp(failure).finally(() => {
      if (this._bringingUp === run) this._bringingUp = null;
    });
    run.catch(() => {}); // reported through `fatal`; callers of start() still get the rejection
    this._bringingUp = run;
    return run;
  }

  async _bringUp(failure) {
    for (;;) {
      if (failure) {
        const delayMs = this.restartPolicy.next();
        if (delayMs === null) throw this._giveUp(failure);
        this.state = 'restarting';
        this._note(`${failure.message}; restarting in ${delayMs} ms`);
        this.emit('restarting', {
          attempt: this.restartPolicy.count(),
          delayMs,
          reason: failure.message,
        });
        await this._sleep(delayMs);
      }
      if (this.stopped) throw new BackendStoppedError();
      this.state = 'starting';
      let info;
      try {
        info = await this._launch();
      } catch (err) {
        if (this.stopped) throw new BackendStoppedError();
        failure = err;
        continue;
      }
      if (this.stopped) throw new BackendStoppedError(); // stop() is taking this one down
      this.info = info;
      this.state = 'ready';
      this.emit('ready', info);
      return info;
    }
  }

  _giveUp(failure) {
    this.state = 'fatal';
    const restarts = this.restartPolicy.count();
    const minutes = Math.round(this.restartPolicy.windowMs / 60_000);
    const message =
      `The Reelforge backend is not running: ${failure.message}.` +
      (restarts
        ? ` It was restarted ${restarts} time${restarts === 1 ? '' : 's'} within ` +
          `${minutes >= 1 ? `${minutes} min` : seconds(this.restartPolicy.windowMs)}` +
          ' and failed again, so the app stopped trying.'
        : '');
    const error = new Error(message, { cause: failure });
    error.lastLines = this.lastLogLines();
    this._note(message);
    this.emit('fatal', { message, lastLines: error.lastLines, error });
    return error;
  }

  /** A backoff wait that stop() cuts short. */
  _sleep(ms) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this._cancelSleep = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this._cancelSleep = done;
    });
  }

  /** One process: spawn, send the token, wait for `ready` and a healthy /api/health. */
  _launch() {
    const token = crypto.randomBytes(32).toString('base64url');
    let child;
    try {
      child = spawn(this.command, this.args, {
        cwd: this.cwd,
        env: this.env,
        stdio: 'pipe',
        detached: !IS_WINDOWS, // own process group, so killTree reaches FFmpeg children too
        windowsHide: true,
      });
    } catch (err) {
      return Promise.reject(new Error(`cannot start the backend (${this.command}): ${err.message}`));
    }
    const proc = { child, token, baseUrl: null, launched: false, killedByUs: false, exit: null };
    // 'exit' is the normal end; 'error' alone means the spawn itself failed (e.g. ENOENT).
    proc.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', (error) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error });
      });
    }).then((exit) => {
      proc.exit = exit;
      return exit;
    });
    proc.exited.then((exit) => this._onExit(proc, exit));
    this._proc = proc;
    this._note(`starting the backend: ${[this.command, ...this.args].join(' ')}`);

    child.stdin.on('error', () => {}); // EPIPE if it dies before reading stdin; exit tells why
    child.stdin.write(`${token}\n`);
    // The stream is not ended: --parent-stdin treats EOF as "the shell went away".

    return new Promise((resolve, reject) => {
      let settled = false;
      const aborted = new AbortController();
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        aborted.abort(err);
        // A failed launch leaves nothing behind: kill the tree and wait until it is gone.
        if (!proc.exit) proc.killedByUs = true;
        killTree(child.pid)
          .then(() => proc.exited)
          .then(() => reject(err));
      };
      const timer = setTimeout(
        () => fail(new Error(`the backend did not report ready within ${seconds(this.readyTimeoutMs)}`)),
        this.readyTimeoutMs,
      );

      const onReady = async (message) => {
        clearTimeout(timer);
        const { port } = message;
        proc.baseUrl = `http://127.0.0.1:${port}`;
        try {
          await waitForHealth(proc.baseUrl, {
            timeoutMs: this.healthTimeoutMs,
            signal: aborted.signal,
          });
        } catch (err) {
          fail(err);
          return;
        }
        if (settled) return;
        settled = true;
        proc.launched = true;
        const { baseUrl } = proc;
        this._note(`backend ready at ${baseUrl} (pid ${message.pid}, version ${message.version})`);
        resolve({ baseUrl, port, pid: message.pid, version: message.version, token });
      };

      this._readLines(child.stdout, 'stdout', token, (line) => {
        if (proc.baseUrl || settled) return;
        const message = readyMessage(line);
        if (message) onReady(message);
      });
      this._readLines(child.stderr, 'stderr', token);
      proc.exited.then((exit) => {
        const why = exit.error
          ? `cannot start the backend (${this.command}): ${exit.error.message}`
          : `the backend exited before it was ready (${describeExit(exit)})`;
        fail(new Error(why));
      });
    });
  }

  _onExit(proc, exit) {
    // Whatever it started (FFmpeg) goes with it: nothing left in its process group survives.
    // Windows has no process groups; there the backend's own shutdown and taskkill /T do this.
    if (!IS_WINDOWS) killTree(proc.child.pid);
    const expected = this.stopped || proc.killedByUs;
    if (!exit.error) {
      this._note(`backend (pid ${proc.child.pid}) exited: ${describeExit(exit)}`);
    }
    this.emit('exit', { pid: proc.child.pid, code: exit.code, signal: exit.signal, expected });
    if (expected || !proc.launched || this._proc !== proc) return;
    // It was serving and went away on its own: restart (with backoff, within the budget).
    this.info = null;
    this._supervise(new Error(`the backend stopped unexpectedly (${describeExit(exit)})`));
  }

  _readLines(stream, name, token, onLine) {
    readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (raw) => {
      // The backend never prints the token; redact anyway so no bug can put it in a log file.
      const line = raw.includes(token) ? raw.split(token).join('[token]') : raw;
      this.lines.push(line);
      if (this.lines.length > this.maxLogLines) this.lines.shift();
      this._log(formatLogLine(`backend ${name}`, line));
      this.emit('log', { stream: name, line });
      if (onLine) onLine(line);
    });
  }

  /** The supervisor's own notes go to the log file only (never the token). */
  _note(message) {
    this._log(formatLogLine('shell', message));
  }

  /** Output can still arrive while the app closes its log file: late lines are dropped. */
  _log(text) {
    const stream = this.logStream;
    if (stream && !stream.writableEnded && !stream.destroyed) stream.write(text);
  }
}

/** The parsed `{"event":"ready","port":N,"pid":P,"version":V}` line, or null for any other. */
function readyMessage(line) {
  if (!line.startsWith('{')) return null;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return null;
  }
  const { event, port } = message || {};
  return event === 'ready' && Number.isInteger(port) && port > 0 && port < 65536 ? message : null;
}

module.exports = { Backend, BackendStoppedError, waitForHealth, readyMessage };

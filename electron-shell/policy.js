'use strict';
/**
 * The shell's decisions, as pure functions: which backend command to run, which URLs belong to
 * the backend, which links may leave the app, where the token goes, when to stop restarting.
 *
 * No Electron import here, so every rule can be unit-tested with `node --test`; main.js only
 * wires these into Electron's hooks.
 */

const path = require('node:path');
const { pathToFileURL } = require('node:url');

/** Arguments for `reelforge serve`: OS-assigned port, token on stdin, exit when stdin closes. */
function serveArgs(dataDir, packaged) {
  const args = ['serve', '--port', '0'];
  if (dataDir) args.push('--data-dir', dataDir);
  args.push('--token-stdin', '--parent-stdin');
  // The installed app needs no other origin than its own: an empty list drops the default
  // frontend-development origins (localhost:5173), which a development run keeps.
  if (packaged) args.push('--allow-origin=');
  return args;
}

/**
 * The command that starts the backend.
 *
 * Packaged: the PyInstaller onedir bundle shipped as `resources/reelforge/` (extraResources).
 * Development: `python -m reelforge` with `REELFORGE_PYTHON`, else the repository's `.venv`.
 */
function backendCommand({ packaged, resourcesPath, platform, env, repoRoot, dataDir }) {
  const win = platform === 'win32';
  const args = serveArgs(dataDir, packaged);
  if (packaged) {
    const exe = win ? 'reelforge.exe' : 'reelforge';
    return { command: path.join(resourcesPath, 'reelforge', exe), args };
  }
  const python =
    env.REELFORGE_PYTHON ||
    (win
      ? path.join(repoRoot, '.venv', 'Scripts', 'python.exe')
      : path.join(repoRoot, '.venv', 'bin', 'python'));
  return { command: python, args: ['-m', 'reelforge', ...args] };
}

function parseUrl(value) {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** True if `url` is on the backend's origin (scheme, host and port), without credentials. */
function isBackendUrl(url, baseUrl) {
  const target = parseUrl(url);
  const base = parseUrl(baseUrl);
  if (!target || !base) return false;
  return target.origin === base.origin && !target.username && !target.password;
}

/** The URL to hand to the system browser, or null: only http(s) links ever leave the app. */
function externalUrl(url) {
  const target = typeof url === 'string' ? parseUrl(url) : null;
  if (!target || (target.protocol !== 'http:' && target.protocol !== 'https:')) return null;
  return target.href;
}

/**
 * Request headers for an outgoing request: the launch token as `Authorization: Bearer` for the
 * backend's origin only. Any Authorization header the page set itself is replaced, so the
 * renderer can neither learn nor override the token; other origins are left untouched.
 */
function headersWithToken(url, requestHeaders, baseUrl, token) {
  if (!token || !isBackendUrl(url, baseUrl)) return requestHeaders;
  const headers = {};
  for (const [name, value] of Object.entries(requestHeaders)) {
    if (name.toLowerCase() !== 'authorization') headers[name] = value;
  }
  headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** What the studio itself may use: its video player's fullscreen, copying text. */
const STUDIO_PERMISSIONS = new Set(['fullscreen', 'clipboard-sanitized-write']);

/**
 * Whether a page may use a browser permission: only STUDIO_PERMISSIONS, only for the studio.
 * The app needs no camera, microphone, notifications, geolocation, clipboard reading or the like.
 */
function permissionAllowed(permission, requestingUrl, baseUrl) {
  return STUDIO_PERMISSIONS.has(permission) && isBackendUrl(requestingUrl, baseUrl);
}

/** True if an IPC message comes from one of our own pages: the studio or the local status page. */
function isTrustedSender(frameUrl, baseUrl, statusPagePath) {
  if (typeof frameUrl !== 'string') return false;
  if (baseUrl && isBackendUrl(frameUrl, baseUrl)) return true;
  const target = parseUrl(frameUrl);
  if (!target || target.protocol !== 'file:') return false;
  target.hash = '';
  target.search = '';
  return target.href === pathToFileURL(statusPagePath).href;
}

/**
 * When to restart a backend that went away: after a growing delay, and at most `maxRestarts`
 * times within `windowMs`; beyond that, give up (null) until `reset()`.
 */
class RestartPolicy {
  constructor({ delaysMs = [500, 1000, 2000], maxRestarts = 3, windowMs = 10 * 60 * 1000 } = {}) {
    if (!delaysMs.length) throw new Error('RestartPolicy needs at least one delay');
    this.delaysMs = delaysMs;
    this.maxRestarts = maxRestarts;
    this.windowMs = windowMs;
    this.restarts = [];
  }

  /** Records a restart at `now` and returns its delay in ms, or null when the budget is spent. */
  next(now = Date.now()) {
    this.restarts = this.restarts.filter((at) => now - at < this.windowMs);
    if (this.restarts.length >= this.maxRestarts) return null;
    const delay = this.delaysMs[Math.min(this.restarts.length, this.delaysMs.length - 1)];
    this.restarts.push(now);
    return delay;
  }

  /** Restarts counted in the window ending at `now`. */
  count(now = Date.now()) {
    return this.restarts.filter((at) => now - at < this.windowMs).length;
  }

  reset() {
    this.restarts = [];
  }
}

module.exports = {
  backendCommand,
  isBackendUrl,
  externalUrl,
  headersWithToken,
  permissionAllowed,
  isTrustedSender,
  RestartPolicy,
};

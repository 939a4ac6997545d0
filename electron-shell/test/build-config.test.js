'use strict';
// The electron-builder config in package.json: valid against electron-builder's schema, ships
// every file the app loads at run time (and nothing else of ours), and puts the backend bundle
// where policy.backendCommand looks for it.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const { backendCommand } = require('../policy');

const SHELL = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(SHELL, 'package.json'), 'utf8'));
const build = pkg.build;

/**
 * Files of ours the app loads: main, then transitively every `require('./x')`, every
 * `path.join(__dirname, 'file')` (the preload, the status page) and the status page's assets.
 */
function runtimeFiles() {
  const found = new Set(['package.json']);
  const queue = [pkg.main];
  while (queue.length) {
    const file = queue.pop();
    if (found.has(file)) continue;
    found.add(file);
    const text = fs.readFileSync(path.join(SHELL, file), 'utf8');
    if (file.endsWith('.html')) {
      queue.push(...[...text.matchAll(/(?:src|href)="([^":]+)"/g)].map((m) => m[1]));
    } else {
      queue.push(...[...text.matchAll(/require\('\.\/([\w-]+)'\)/g)].map((m) => `${m[1]}.js`));
      queue.push(...[...text.matchAll(/path\.join\(__dirname, '([\w.-]+)'\)/g)].map((m) => m[1]));
    }
  }
  return found;
}

test('package.json build: files are exactly what the app loads', () => {
  assert.equal(pkg.main, 'main.js');
  assert.deepEqual(new Set(build.files), runtimeFiles());
  assert.ok(!build.files.some((pattern) => /renderer|test|node_modules/.test(pattern)));
  assert.equal(build.asar, true);
  assert.equal(build.productName, 'Reelforge');
  assert.deepEqual(
    [build.win.target, build.mac.target, build.linux.target],
    ['nsis', 'dmg', 'AppImage'],
  );
});

test('package.json build: the backend bundle lands where the app looks for it', () => {
  assert.deepEqual(build.extraResources, [{ from: '../dist/reelforge', to: 'reelforge' }]);
  for (const platform of ['linux', 'darwin', 'win32']) {
    const { command } = backendCommand({
      packaged: true, resourcesPath: '/R', platform, env: {}, repoRoot: '/x',
    });
    assert.equal(path.dirname(command), path.join('/R', build.extraResources[0].to));
  }
});

test('package.json build: valid for electron-builder', async () => {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
  const { DebugLogger } = require('builder-util');
  await validateConfiguration(build, new DebugLogger(false));
});

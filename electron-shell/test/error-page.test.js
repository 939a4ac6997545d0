'use strict';
// The local status page (error.html) in headless Chromium, with a stub of the preload's
// `window.reelforge`: the starting state, the fatal state (message, log lines as plain text,
// Retry), and no Content-Security-Policy violations from its own files.

const assert = require('node:assert/strict');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { test } = require('node:test');

const { chromium } = require('playwright-core');

const PAGE_URL = pathToFileURL(path.join(__dirname, '..', 'error.html')).href;
// scripts/setup-shell installs Debian's chromium; a missing browser fails the test, never skips it.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Opens the page with a stub bridge reporting `status` and `lines`; returns the page and its console. */
async function openStatusPage(t, status, lines) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const messages = [];
  page.on('console', (message) => messages.push(message.text()));
  page.on('pageerror', (err) => messages.push(err.message));
  await page.addInitScript(
    ([stubStatus, stubLines]) => {
      window.calls = [];
      window.reelforge = {
        baseUrl: null,
        version: '1.2.3',
        getStatus: async () => stubStatus,
        getLastLogLines: async () => stubLines,
        retryBackend: async () => window.calls.push('retry'),
        openLogFolder: async () => window.calls.push('logs'),
        openExternal: async () => false,
      };
    },
    [status, lines],
  );
  await page.goto(PAGE_URL);
  return { page, messages };
}

test('status page: starting state shows a spinner and no actions', async (t) => {
  const { page, messages } = await openStatusPage(t, { state: 'starting', message: null }, []);
  await page.waitForFunction(() => document.getElementById('version').textContent !== '');
  assert.equal(await page.textContent('h1'), 'Starting Reelforge…');
  assert.ok(await page.isVisible('.spinner'));
  assert.equal(await page.isVisible('#retry'), false);
  assert.equal(await page.isVisible('#details'), false);
  assert.equal(await page.textContent('#version'), 'Reelforge 1.2.3');
  assert.deepEqual(messages, []);
});

test('status page: fatal state shows the message, the log lines as text, and Retry', async (t) => {
  const lines = ['INFO starting', '<img src=x onerror="window.calls.push(1)">', 'ERROR database is locked'];
  const message = 'The Reelforge backend is not running: exit code 3.';
  const { page, messages } = await openStatusPage(t, { state: 'fatal', message }, lines);
  await page.waitForSelector('body[data-state="fatal"]');
  await page.waitForFunction(() => document.getElementById('lines').textContent !== '');
  assert.equal(await page.textContent('h1'), 'Reelforge could not start its engine');
  assert.equal(await page.textContent('#message'), message);
  assert.equal(await page.textContent('#lines'), lines.join('\n'));
  assert.equal(await page.$('#lines img'), null, 'log lines must not become markup');
  assert.equal(await page.isVisible('.spinner'), false);

  await page.click('#logs');
  await page.click('#retry');
  assert.ok(await page.isDisabled('#retry'));
  assert.deepEqual(await page.evaluate(() => window.calls), ['logs', 'retry']);
  assert.deepEqual(messages, []);
});

'use strict';
// Browser test of the studio UI against the real backend: brief -> live progress -> video ->
// project -> split, plus readable problem details, with no console errors or CSP violations.
// The access token is injected as a header, as the Electron shell does.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { chromium } = require('playwright-core');

const { Backend } = require('../backend');
const { backendCommand } = require('../policy');

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

test('studio UI: brief to video to an edited timeline', { timeout: 120_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reelforge-ui-'));
  // The backend started the way the shell starts it in development: token on stdin.
  const { command, args } = backendCommand({
    packaged: false, platform: process.platform, env: process.env, repoRoot: ROOT,
    dataDir: path.join(dataDir, 'data'),
  });
  const backend = new Backend({ command, args });
  let browser;
  t.after(async () => {
    await browser?.close();
    await backend.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const { baseUrl: base, token } = await backend.start();

  const unauthorised = await fetch(`${base}/api/jobs`);
  assert.equal(unauthorised.status, 401, 'the backend must enforce the token');

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({ extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} ${message.location().url}`);
  });

  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Create a video from a brief' }).waitFor();
  const notice = page.getByTestId('notice');

  // A problem-details path: the backend refuses an empty topic, and the UI says why.
  await page.getByRole('button', { name: 'Create video' }).click();
  await notice.getByText('Validation failed').waitFor();
  assert.match(await notice.innerText(), /brief\.topic/);
  assert.match(await notice.innerText(), /Fix the fields listed/);
  assert.equal(await page.getByLabel('Topic').getAttribute('aria-invalid'), 'true');

  // A brief that renders in a few seconds (as tests/support.py's small_request).
  await page.getByLabel('Topic').fill('why the sky is blue');
  await page.getByLabel('Audience').fill('kids');
  await page.getByLabel('Tone', { exact: true }).fill('friendly');
  await page.getByLabel('Length (seconds)').fill('10');
  await page.getByText('More options').click();
  await page.getByLabel('Pacing').selectOption('fast');
  await page.getByLabel('Density').selectOption('sparse');
  await page.getByLabel('Speech rate (words/min)').fill('200');
  await page.getByLabel('Resolution (overrides preset)').fill('320x180');
  await page.getByLabel('Frame rate').fill('15');
  await page.getByLabel('Quality').selectOption('draft');
  await page.getByRole('button', { name: 'Create video' }).click();

  const progress = page.getByTestId('job-progress');
  await progress.locator('.percent', { hasText: '100%' }).waitFor({ timeout: 60_000 });
  assert.equal(await progress.locator('progress').evaluate((bar) => bar.value), 100);
  await progress.locator('.step', { hasText: /^Ready$/ }).waitFor();
  assert.equal(await notice.isHidden(), true, 'the earlier error is cleared');

  const duration = await page.locator('#job-video').evaluate((video) => (video.readyState >= 1
    ? video.duration
    : new Promise((resolve, reject) => {
      video.addEventListener('loadedmetadata', () => resolve(video.duration), { once: true });
      video.addEventListener('error', () => reject(new Error(`video error ${video.error?.code}`)), { once: true });
    })));
  assert.ok(Number.isFinite(duration) && duration > 0, `video duration ${duration}`);

  // Open it as a project: one segment per scene, with thumbnails.
  await page.getByRole('button', { name: 'Open as project' }).click();
  const segments = page.locator('#segments > li');
  await segments.first().waitFor();
  const count = await segments.count();
  assert.ok(count >= 1, 'the project has segments');
  await page.locator('#segments img').first().waitFor();

  // Select the last segment and split it in the middle (clicking puts the playhead there).
  const last = segments.last().getByRole('button');
  await last.click();
  assert.equal(await last.getAttribute('aria-pressed'), 'true');
  await page.locator('#frame[src^="/api/previews/"]').waitFor();
  await page.getByRole('button', { name: 'Split at playhead' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#segments > li').length === n, count + 1);

  // An invalid trim is refused with the allowed range.
  await page.getByLabel('Out (source s)').fill('999');
  await page.getByRole('button', { name: 'Trim', exact: true }).click();
  await notice.getByText('Edit out of range').waitFor();
  assert.match(await notice.innerText(), /newEndTs must be between/);

  // Undo restores the segment count.
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('#segments > li').length === n, count);

  // Colour grade: a live preview frame, then Apply makes a graded segment.
  await segments.first().getByRole('button').click();
  await page.getByLabel('Saturation').fill('-1');
  await page.locator('#grade-preview[src^="/api/previews/"]').waitFor();
  await page.getByRole('button', { name: 'Apply grade' }).click();
  await page.getByRole('button', { name: /^Segment 1: .*, graded$/ }).waitFor();

  // An edit made elsewhere: the UI's next edit gets 409, reloads the timeline and says so.
  const { projects: [project] } = await (await context.request.get(`${base}/api/projects`)).json();
  const undone = await context.request.post(`${base}/api/projects/${project.id}/timeline/undo`, { data: {} });
  assert.equal(undone.status(), 200);
  await page.getByRole('button', { name: 'Undo' }).click();
  await notice.getByText(/changed elsewhere/).waitFor();
  await page.getByRole('button', { name: /^Segment 1: [\d.]+ s$/ }).waitFor();

  // Export to MP4 and offer the download.
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  const download = page.getByRole('link', { name: 'Download MP4' });
  await download.waitFor({ timeout: 30_000 });
  const exported = await context.request.head(`${base}${await download.getAttribute('href')}`);
  assert.equal(exported.status(), 200);
  assert.equal(exported.headers()['content-type'], 'video/mp4');

  // Cancel a new video, then retry it: the job's history replays the old cancellation, and the
  // UI must keep following the new run to the end.
  await page.getByRole('button', { name: 'New video' }).click();
  await page.getByLabel('Topic').fill('how tides work');
  await page.getByRole('button', { name: 'Create video' }).click();
  await page.locator('#job-cancel').click();
  await progress.locator('.step', { hasText: /^Cancelled$/ }).waitFor({ timeout: 30_000 });
  await page.locator('#job-retry').click();
  // Exactly "Ready": a step label such as "Compose: Composition ready" must not count.
  await progress.locator('.step', { hasText: /^Ready$/ }).waitFor({ timeout: 60_000 });
  assert.equal(await progress.locator('progress').evaluate((bar) => bar.value), 100);

  // The only console errors are the browser's notes about the three refused requests.
  const unexpected = errors.filter((text) => !/Failed to load resource: .* status of (422|409)/.test(text));
  assert.deepEqual(unexpected, []);
  assert.equal(errors.length, 3, errors.join('\n'));
});

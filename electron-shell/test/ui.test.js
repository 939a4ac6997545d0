'use strict';
// Browser tests of the studio UI against the real backend, with no console errors or CSP
// violations: (1) brief -> live progress -> video -> project -> split, plus readable problem
// details and the generic-outline warning; (2) sources -> script review (edit, reorder, a picture
// of one's own, save, a conflicting edit) -> render -> regenerate one scene -> revision 2.
// The access token is injected as a header, as the Electron shell does. With
// REELFORGE_UI_SCREENSHOTS=<dir>, screenshots of the main views are saved there.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { chromium } = require('playwright-core');

const { Backend } = require('../backend');
const { backendCommand } = require('../policy');

const ROOT = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = process.env.REELFORGE_UI_SCREENSHOTS;

// A real backend (token on stdin, as the shell starts it in development) and a browser page.
async function startStudio(t) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reelforge-ui-'));
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
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext({
    extraHTTPHeaders: { Authorization: `Bearer ${token}` },
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const errors = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} ${message.location().url}`);
  });
  const shot = async (name) => {
    if (!SHOTS) return;
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };
  return { base, token, context, page, errors, dataDir, shot };
}

// The duration of the video the job view plays, once its metadata is loaded.
const videoDuration = (page) => page.locator('#job-video').evaluate((video) => (video.readyState >= 1
  ? video.duration
  : new Promise((resolve, reject) => {
    video.addEventListener('loadedmetadata', () => resolve(video.duration), { once: true });
    video.addEventListener('error', () => reject(new Error(`video error ${video.error?.code}`)), { once: true });
  })));

test('studio UI: brief to video to an edited timeline', { timeout: 120_000 }, async (t) => {
  const { base, context, page, errors, shot } = await startStudio(t);

  const unauthorised = await fetch(`${base}/api/jobs`);
  assert.equal(unauthorised.status, 401, 'the backend must enforce the token');

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

  const duration = await videoDuration(page);
  assert.ok(Number.isFinite(duration) && duration > 0, `video duration ${duration}`);

  // No sources and no model: the script is a generic outline, and the job says so with its remedy.
  const warning = page.getByTestId('job-warnings').locator('[data-code="GENERIC_OUTLINE"]');
  await warning.waitFor();
  assert.ok((await warning.locator('p').count()) >= 2, 'the warning has its remediation');
  await warning.getByRole('button', { name: 'Add source material' }).waitFor();
  await shot('outline-warning');

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

const BEES_DOCUMENT = `# How honeybees make honey

## Gathering nectar

A forager bee visits up to 100 flowers on a single trip. She drinks nectar with her long tongue
and stores it in a special honey stomach. Back at the hive she passes the nectar to a house bee.

## Turning nectar into honey

House bees add enzymes that split the sugars in the nectar. They spread it over the comb and fan
it with their wings until only about 18% of it is water. Then they seal each cell with wax.

## A colony's harvest

A strong colony can store more than 25 kg of honey in a good summer. Beekeepers take only the
surplus and leave the bees enough to survive the winter.
`;

const BEES_NOTES = `Bees dance to share directions. A waggle dance tells the other foragers the direction and
the distance of a good patch of flowers. The angle of the dance shows the direction relative to
the Sun, and the length of the waggle shows how far away the flowers are.`;

test('studio UI: sources, script review, render, regenerate a scene', { timeout: 150_000 }, async (t) => {
  const { base, context, page, errors, dataDir, shot } = await startStudio(t);
  await page.goto(`${base}/`);
  const sources = page.getByTestId('sources');

  // First launch: the sample is offered; it becomes a source with its outline, and can be removed.
  await page.getByRole('button', { name: 'Try the sample: How tides work' }).click();
  const sourceCards = sources.getByTestId('source');
  await sourceCards.first().getByText('How tides work').waitFor();
  assert.match(await sourceCards.first().innerText(), /The pull of the Moon/);
  assert.equal(await page.getByLabel('Review the script before rendering').isChecked(), true,
    'a brief with sources is reviewed first by default');
  await sourceCards.first().getByRole('button', { name: /^Remove source 1/ }).click();
  assert.equal(await sourceCards.count(), 0);

  // A document (its view: title, word count, outline) and pasted notes.
  await page.getByLabel('Add a document…').setInputFiles({
    name: 'honeybees.md', mimeType: 'text/markdown', buffer: Buffer.from(BEES_DOCUMENT),
  });
  const documentCard = sourceCards.filter({ hasText: 'How honeybees make honey' });
  await documentCard.waitFor();
  assert.match(await documentCard.innerText(), /\d+ words/);
  assert.match(await documentCard.innerText(), /Turning nectar into honey/);
  await page.getByLabel('Paste text').fill(BEES_NOTES);
  await page.getByLabel('Title of the text (optional)').fill('Beekeeper notes');
  await page.getByRole('button', { name: 'Add text' }).click();
  await sourceCards.filter({ hasText: 'Beekeeper notes' }).waitFor();
  assert.equal(await page.getByLabel('Topic').inputValue(), 'How honeybees make honey');
  assert.equal(await page.getByLabel('Review the script before rendering').isChecked(), true);
  await shot('brief-with-sources');

  await page.getByLabel('Length (seconds)').fill('15');
  await page.getByText('More options').click();
  await page.getByLabel('Speech rate (words/min)').fill('220');
  await page.getByLabel('Resolution (overrides preset)').fill('320x180');
  await page.getByLabel('Frame rate').fill('15');
  await page.getByLabel('Quality').selectOption('draft');
  await page.getByLabel('Music').uncheck();
  await page.getByRole('button', { name: 'Create video' }).click();

  // The job stops for review: one card per scene.
  await page.getByRole('heading', { name: /^Review the script/ }).waitFor({ timeout: 60_000 });
  const cards = page.getByTestId('review-scene');
  await cards.first().waitFor();
  const { jobs: [job] } = await (await context.request.get(`${base}/api/jobs`)).json();
  assert.equal(job.status, 'review');
  const read = await (await context.request.get(`${base}/api/jobs/${job.id}/script`)).json();
  assert.equal(await cards.count(), read.scenes.length);
  assert.equal(await page.getByTestId('job-warnings').isHidden(), true);
  await cards.first().locator('.provenance summary', { hasText: /^from: / }).waitFor();
  if ((await cards.count()) < 2) {
    await page.getByRole('button', { name: 'Add scene' }).click();
    await cards.nth(1).getByLabel('Narration').fill('Bees are remarkable builders.');
  }

  // Edit the first scene's title and narration, give it a picture, then move the second scene up.
  const first = cards.first();
  await first.getByLabel('Title', { exact: true }).fill('Where honey starts');
  await first.getByLabel('Narration').fill('A forager bee visits up to a hundred flowers on one trip.');
  const picture = path.join(dataDir, 'meadow.png');
  execFileSync(process.env.REELFORGE_PYTHON || path.join(ROOT, '.venv', 'bin', 'python'), ['-c',
    'import sys; from PIL import Image; Image.new("RGB", (320, 180), (240, 190, 40)).save(sys.argv[1])', picture]);
  await first.getByRole('button', { name: 'Choose the image or clip of scene 1' }).click();
  const dialog = page.getByRole('dialog', { name: 'Choose an image or clip' });
  await dialog.getByLabel('Upload an image or clip…').setInputFiles(picture);
  await dialog.locator('.tile[aria-pressed="true"]').waitFor();
  await dialog.getByRole('button', { name: 'Use this' }).click();
  await first.locator('.visual-preview', { hasText: 'meadow.png' }).waitFor();
  assert.equal(await first.getByLabel('Layout').inputValue(), 'image');
  await cards.nth(1).getByRole('button', { name: 'Move scene 2 up' }).click();
  assert.equal(await cards.nth(1).getByLabel('Title', { exact: true }).inputValue(), 'Where honey starts');
  await page.getByText('Unsaved changes').waitFor();
  await shot('review');

  // A figure slide needs its figure: the problem is shown and the scene's layout marked.
  const notice = page.getByTestId('notice');
  const moved = cards.first();
  await moved.getByLabel('Layout').selectOption('figure');
  await moved.getByLabel('Figure', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await notice.getByText(/needs a `figure`/).waitFor();
  assert.equal(await moved.getByLabel('Layout').getAttribute('aria-invalid'), 'true');
  await moved.getByLabel('Figure', { exact: true }).fill('25 kg');
  await moved.getByLabel('Figure label').fill('of honey in a good summer');

  // Save: the version goes up and the server has the edits in their new order.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved · version 2').waitFor();
  const saved = await (await context.request.get(`${base}/api/jobs/${job.id}/script`)).json();
  assert.equal(saved.version, 2);
  assert.equal(saved.scenes[1].title, 'Where honey starts');
  assert.equal(saved.scenes[1].narration, 'A forager bee visits up to a hundred flowers on one trip.');
  assert.equal(saved.scenes[1].layout, 'image');
  assert.deepEqual(saved.scenes[0].figure, { value: '25 kg', label: 'of honey in a good summer' });
  assert.equal(saved.scenes[0].title, read.scenes[1]?.title ?? saved.scenes[0].title);

  // An edit made elsewhere: the UI's save gets 409, reloads the script and says so.
  const { index: _i, sentences: _s, ...elsewhere } = saved.scenes[0];
  const scenes = saved.scenes.map(({ index, sentences, ...scene }) => scene);
  scenes[0] = { ...elsewhere, title: 'Changed elsewhere' };
  const put = await context.request.put(`${base}/api/jobs/${job.id}/script`, { data: { expectedVersion: 2, scenes } });
  assert.equal(put.status(), 200, await put.text());
  await cards.first().getByLabel('Title', { exact: true }).fill('Lost edit');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await notice.getByText(/changed elsewhere/).waitFor();
  assert.equal(await cards.first().getByLabel('Title', { exact: true }).inputValue(), 'Changed elsewhere');
  await page.getByText('Saved · version 3').waitFor();

  // Render: the progress view, then the video.
  await cards.first().getByLabel('Narration').fill('Honeybees turn nectar into honey, and here is how.');
  await page.getByRole('button', { name: 'Render video' }).click();
  const progress = page.getByTestId('job-progress');
  await progress.locator('.step', { hasText: /^Ready$/ }).waitFor({ timeout: 60_000 });
  const duration = await videoDuration(page);
  assert.ok(Number.isFinite(duration) && duration > 0, `video duration ${duration}`);
  const rendered = await (await context.request.get(`${base}/api/jobs/${job.id}/script`)).json();
  assert.equal(rendered.scenes[0].narration, 'Honeybees turn nectar into honey, and here is how.');
  const firstVideo = await page.locator('#job-video').getAttribute('src');

  // Regenerate one scene of the finished video: revision 2 plays, revision 1 stays listed.
  const sceneItems = page.getByTestId('job-scene');
  await sceneItems.first().waitFor();
  assert.equal(await sceneItems.count(), rendered.scenes.length);
  await sceneItems.first().locator('summary').click();
  await sceneItems.first().getByLabel('Narration').fill('Nectar becomes honey in the hive.');
  await sceneItems.first().getByRole('button', { name: 'Regenerate this scene' }).click();
  await progress.locator('.step', { hasText: /^Ready$/ }).waitFor({ timeout: 60_000 });
  const revisions = page.getByTestId('revisions');
  await revisions.getByText('Revision 2 / 2').waitFor();
  const regenerated = await videoDuration(page);
  assert.ok(Number.isFinite(regenerated) && regenerated > 0, `video duration ${regenerated}`);
  const secondVideo = await page.locator('#job-video').getAttribute('src');
  assert.notEqual(secondVideo, firstVideo);
  await page.getByRole('list', { name: 'Scenes', exact: true }).getByText('Nectar becomes honey in the hive.').waitFor();
  await shot('finished-revisions');
  await revisions.getByRole('button', { name: /^Revision 1/ }).click();
  await revisions.getByText('Revision 1 / 2').waitFor();
  assert.equal(await page.locator('#job-video').getAttribute('src'), firstVideo);
  assert.ok((await videoDuration(page)) > 0);

  // The only console errors are the browser's notes about the two refused saves.
  const unexpected = errors.filter((text) => !/Failed to load resource: .* status of (422|409)/.test(text));
  assert.deepEqual(unexpected, []);
  assert.equal(errors.length, 2, errors.join('\n'));
});

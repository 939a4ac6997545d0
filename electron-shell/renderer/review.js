// The script review step of a job stopped after its script (`plan.stopAfter: "script"`): every
// scene as an editable card (title, narration, layout with its bullets, figure or quote, the
// user's picture or clip, where the words came from), reordered, added or removed; Save sends
// the whole script with the version it was read at (409 SCRIPT_CONFLICT: reload and say so);
// Render video saves what is unsaved, then continues the job.
import { api } from './api.js';
import { assetOf, chooseMedia, describe, thumbnail } from './media.js';
import { passageOf, sourceLabel } from './provenance.js';
import { $, busy, clearNotice, el, guarded, inform, report, showView } from './ui.js';
import { renderWarnings } from './warnings.js';

export const LAYOUTS = [
  ['bullets', 'Title and bullets'],
  ['title', 'Title card'],
  ['figure', 'Big figure'],
  ['quote', 'Quote'],
  ['section', 'Section divider'],
  ['image', 'Picture with caption'],
  ['full-bleed', 'Full-frame picture or clip'],
];
const PICTURE_LAYOUTS = ['image', 'full-bleed'];
const WRITERS = {
  extractive: 'written offline from your sources',
  llm: 'written by a language model',
  outline: 'a generic outline (no sources)',
};

let job = null; // the job in review
let script = null; // the script as last read or saved
let draft = null; // {title, scenes}: what the user sees and edits
let dirty = false;
let nextKey = 0; // cards are keyed so that focus survives a reorder
let onRender = () => {};

const words = (text) => (text.match(/\S+/g) ?? []).length;
const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);

export function initReview(render) {
  onRender = render;
  $('#review-title').addEventListener('input', (event) => {
    draft.title = event.target.value;
    changed();
  });
  $('#review-add').addEventListener('click', () => {
    draft.scenes.push(sceneDraft({ title: 'New scene', narration: '', layout: 'bullets' }));
    changed();
    renderScenes();
    $(`[data-key="${draft.scenes.at(-1).key}"] input`).focus();
  });
  // `busy` enables the button again when done; Save stays disabled while nothing is unsaved.
  const settled = (button, fn) => guarded(async () => {
    try {
      await busy(button, fn);
    } finally {
      if (draft) summarise();
    }
  });
  $('#review-save').addEventListener('click', settled($('#review-save'), save));
  $('#review-render').addEventListener('click', settled($('#review-render'), renderVideo));
}

export async function openReview(next) {
  const same = job?.id === next.id;
  job = next;
  showView('review-view');
  renderWarnings($('#review-warnings'), job.warnings);
  if (same && dirty) return; // coming back to unsaved edits keeps them
  adopt(await api(`/api/jobs/${job.id}/script`));
}

export function showReviewWarnings(warnings) {
  renderWarnings($('#review-warnings'), warnings);
}

function adopt(read) {
  script = read;
  draft = { title: script.title, scenes: script.scenes.map(sceneDraft) };
  dirty = false;
  $('#review-heading').textContent = `Review the script: ${script.title}`;
  $('#review-title').value = script.title;
  renderScenes();
  summarise();
}

function sceneDraft(scene) {
  return {
    key: nextKey++,
    title: scene.title ?? '',
    narration: scene.narration ?? '',
    layout: scene.layout ?? 'bullets',
    bullets: [...(scene.bullets ?? [])],
    figure: scene.figure ? { ...scene.figure } : null,
    quote: scene.quote ?? null,
    visual: scene.visual ? { ...scene.visual } : null,
    imagePrompt: scene.imagePrompt ?? '',
    provenance: scene.provenance ?? [],
    voice: scene.voice ?? null,
  };
}

// The scene as `PUT .../script` takes it: the fields read, without `index` and `sentences`.
function sceneEdit(scene) {
  const figure = scene.figure?.value.trim()
    ? { value: scene.figure.value.trim(), label: scene.figure.label.trim() }
    : null;
  return {
    title: scene.title.trim(),
    narration: scene.narration.trim(),
    layout: scene.layout,
    bullets: scene.bullets,
    figure,
    quote: scene.quote?.trim() || null,
    visual: scene.visual,
    imagePrompt: scene.imagePrompt,
    provenance: scene.provenance,
    voice: scene.voice,
  };
}

function changed() {
  dirty = true;
  summarise();
}

function summarise() {
  const total = draft.scenes.reduce((sum, scene) => sum + words(scene.narration), 0);
  const seconds = Math.round((total / script.wordsPerMinute) * 60);
  $('#review-meta').textContent = [
    `${draft.scenes.length} scene${draft.scenes.length === 1 ? '' : 's'}`,
    `about ${seconds} s of narration`,
    WRITERS[script.writer] ?? script.writer,
    `version ${script.version}`,
  ].join(' · ');
  $('#review-state').textContent = dirty ? 'Unsaved changes' : `Saved · version ${script.version}`;
  $('#review-save').disabled = !dirty;
}

async function save() {
  clearNotice();
  markInvalid();
  const body = {
    expectedVersion: script.version,
    ...(draft.title.trim() ? { title: draft.title.trim() } : {}),
    scenes: draft.scenes.map(sceneEdit),
  };
  try {
    adopt(await api(`/api/jobs/${job.id}/script`, { method: 'PUT', body }));
    return true;
  } catch (error) {
    if (error.code !== 'SCRIPT_CONFLICT') {
      markInvalid(error.problem);
      throw error;
    }
    adopt(await api(`/api/jobs/${job.id}/script`));
    inform(`The script was changed elsewhere (it is now at version ${script.version}) and has been `
      + 'reloaded, so your unsaved changes are not in it. Check it, then make your changes again.');
    return false;
  }
}

async function renderVideo() {
  if (dirty && !(await save())) return;
  const continued = await api(`/api/jobs/${job.id}/continue`, { method: 'POST' });
  job = null;
  onRender(continued);
}

// Mark the fields a validation problem names (`scenes[2].narration`), and show the first.
function markInvalid(problem) {
  for (const node of document.querySelectorAll('#review-scenes [aria-invalid]')) node.removeAttribute('aria-invalid');
  const cards = [...$('#review-scenes').children];
  const marked = [];
  for (const { field } of problem?.errors ?? []) {
    const [, index, name] = /scenes\[(\d+)\]\.?(\w+)?/.exec(field ?? '') ?? [];
    const card = cards[Number(index)];
    if (!card) continue;
    // A problem with the scene as a whole ("layout 'figure' needs a `figure`") marks its layout.
    const control = (name && $(`[data-field="${name}"]`, card)) || $('[data-field="layout"]', card);
    control.setAttribute('aria-invalid', 'true');
    marked.push(control);
  }
  marked[0]?.scrollIntoView({ block: 'center' });
  marked[0]?.focus({ preventScroll: true });
}

function renderScenes() {
  const focused = document.activeElement?.closest('#review-scenes [data-key]');
  const action = document.activeElement?.dataset.action;
  $('#review-scenes').replaceChildren(...draft.scenes.map(card));
  if (focused && action) {
    const again = $(`[data-key="${focused.dataset.key}"] [data-action="${action}"]`);
    (again && !again.disabled ? again : $(`[data-key="${focused.dataset.key}"] input`))?.focus();
  }
}

function move(scene, by) {
  const from = draft.scenes.indexOf(scene);
  const to = from + by;
  if (to < 0 || to >= draft.scenes.length) return;
  draft.scenes.splice(from, 1);
  draft.scenes.splice(to, 0, scene);
  changed();
  renderScenes();
}

function removeScene(scene) {
  if (draft.scenes.length === 1) {
    inform('A video needs at least one scene: change this one instead of removing it.');
    return;
  }
  const index = draft.scenes.indexOf(scene);
  draft.scenes.splice(index, 1);
  changed();
  renderScenes();
  const neighbour = draft.scenes[Math.min(index, draft.scenes.length - 1)];
  $(`[data-key="${neighbour.key}"] input`).focus();
}

// A text control bound to one field of the scene.
function bound(tag, scene, field, props, read = (value) => value, write = (value) => value) {
  const control = el(tag, { ...props, value: write(scene[field]) ?? '', 'data-field': field });
  control.addEventListener('input', () => {
    scene[field] = read(control.value);
    changed();
  });
  return control;
}

// A labelled control: the label names it by id (a label wrapping a select would read its options).
function field(scene, label, control, className = '') {
  control.id = `scene-${scene.key}-${control.dataset.field ?? label.toLowerCase().replace(/\W+/g, '-')}`;
  return el('div', { className: `field ${className}`.trim() }, el('label', { htmlFor: control.id, textContent: label }), control);
}

function card(scene, index) {
  const number = index + 1;
  const last = draft.scenes.length - 1;
  const node = el('li', { className: 'scene-card', 'data-key': scene.key, 'data-testid': 'review-scene' });
  const estimate = el('span', { className: 'muted estimate' });
  const showEstimate = () => {
    const count = words(scene.narration);
    estimate.textContent = `${count} word${count === 1 ? '' : 's'} · about ${Math.max(1, Math.round((count / script.wordsPerMinute) * 60))} s`;
  };
  showEstimate();
  const narration = bound('textarea', scene, 'narration', { rows: 4, maxLength: 3000 });
  narration.addEventListener('input', showEstimate);

  const layout = el('select', { 'data-field': 'layout' },
    ...LAYOUTS.map(([value, label]) => el('option', { value, textContent: label })));
  layout.value = scene.layout;
  layout.addEventListener('change', guarded(() => changeLayout(scene, layout)));

  const figure = scene.figure ?? { value: '', label: '' };
  const figureValue = el('input', { value: figure.value, maxLength: 24, placeholder: '46%', 'data-field': 'figure' });
  const figureLabel = el('input', { value: figure.label, maxLength: 120, placeholder: "of the Moon's tidal pull", 'data-field': 'figure-label' });
  const setFigure = () => {
    scene.figure = { value: figureValue.value, label: figureLabel.value };
    changed();
  };
  figureValue.addEventListener('input', setFigure);
  figureLabel.addEventListener('input', setFigure);

  node.append(el('fieldset', {},
    el('legend', { textContent: `Scene ${number}` }),
    el('div', { className: 'card-tools' },
      tool('Move up', `Move scene ${number} up`, 'up', index === 0, () => move(scene, -1)),
      tool('Move down', `Move scene ${number} down`, 'down', index === last, () => move(scene, 1)),
      tool('Remove', `Remove scene ${number}`, 'remove', false, () => removeScene(scene))),
    el('div', { className: 'card-grid' },
      el('div', { className: 'card-text' },
        el('div', { className: 'row' },
          field(scene, 'Title', bound('input', scene, 'title', { maxLength: 200 }), 'grow'),
          field(scene, 'Layout', layout)),
        withEstimate(field(scene, 'Narration', narration), estimate),
        field(scene, 'Bullets (one per line)',
          bound('textarea', scene, 'bullets', { rows: 3 }, lines, (bullets) => bullets.join('\n')), 'layout-bullets'),
        field(scene, SUBTITLES[scene.layout] ?? 'Subtitle', subtitle(scene), 'layout-subtitle'),
        el('div', { className: 'row layout-figure' },
          field(scene, 'Figure', figureValue),
          field(scene, 'Figure label', figureLabel, 'grow')),
        field(scene, 'Quote',
          bound('textarea', scene, 'quote', { rows: 2, maxLength: 400 }, (value) => value, (value) => value ?? ''), 'layout-quote')),
      el('div', { className: 'card-side' },
        visualBlock(scene),
        provenanceNote(scene)))));
  showLayoutFields(node, scene.layout);
  return node;
}

function withEstimate(node, estimate) {
  node.firstChild.after(estimate);
  node.classList.add('with-estimate');
  return node;
}

function tool(label, ariaLabel, action, disabled, onclick) {
  return el('button', { type: 'button', className: 'small', textContent: label, 'aria-label': ariaLabel, disabled, onclick, 'data-action': action });
}

// Title cards, section dividers and pictures show the first bullet as their subtitle or caption.
const SUBTITLES = { title: 'Subtitle', section: 'Subtitle', image: 'Caption' };

function subtitle(scene) {
  const input = el('input', { value: scene.bullets[0] ?? '', maxLength: 200, 'data-field': 'subtitle' });
  input.addEventListener('input', () => {
    const text = input.value.trim();
    scene.bullets = text ? [text, ...scene.bullets.slice(1)] : scene.bullets.slice(1);
    changed();
  });
  return input;
}

function showLayoutFields(node, layout) {
  $('.layout-bullets', node).hidden = layout !== 'bullets';
  $('.layout-subtitle', node).hidden = !(layout in SUBTITLES);
  $('.layout-figure', node).hidden = layout !== 'figure';
  $('.layout-quote', node).hidden = layout !== 'quote';
}

async function changeLayout(scene, select) {
  const layout = select.value;
  if (PICTURE_LAYOUTS.includes(layout) && !scene.visual) {
    const choice = await chooseMedia(null);
    if (!choice) {
      select.value = scene.layout; // no picture, no picture layout
      return;
    }
    scene.visual = choice;
  }
  scene.layout = layout;
  if (layout === 'figure' && !scene.figure) scene.figure = { value: '', label: '' };
  changed();
  renderScenes();
  const next = { figure: 'figure', quote: 'quote' }[layout] ?? 'layout';
  $(`[data-key="${scene.key}"] [data-field="${next}"]`)?.focus();
}

// The scene's own picture or clip: a thumbnail and its name, with choose, fit and remove.
function visualBlock(scene) {
  const block = el('div', { className: 'visual' });
  const number = () => draft.scenes.indexOf(scene) + 1;
  const choose = el('button', {
    type: 'button',
    'data-action': 'choose',
    textContent: scene.visual ? 'Change image or clip' : 'Choose image or clip',
    'aria-label': `${scene.visual ? 'Change' : 'Choose'} the image or clip of scene ${number()}`,
    onclick: guarded(async () => {
      const choice = await chooseMedia(scene.visual);
      if (!choice) return;
      scene.visual = { ...scene.visual, ...choice };
      if (!PICTURE_LAYOUTS.includes(scene.layout)) scene.layout = 'image'; // a picture needs a layout that shows it
      changed();
      renderScenes();
      $(`[data-key="${scene.key}"] [data-action="choose"]`)?.focus();
    }),
  });
  if (!scene.visual) {
    block.append(el('p', { className: 'muted', textContent: 'A slide drawn from the scene’s words.' }), choose);
    return block;
  }
  const preview = el('div', { className: 'visual-preview' }, thumbnail(null), el('span', { className: 'muted', textContent: 'Loading…' }));
  assetOf(scene.visual.assetId).then((asset) => {
    preview.replaceChildren(thumbnail(asset),
      el('span', {}, el('strong', { textContent: asset.name }), el('br'), el('span', { className: 'muted', textContent: describe(asset) })));
  }).catch(() => {
    preview.replaceChildren(el('span', { className: 'problem-text', textContent: 'This picture or clip is no longer in the library.' }));
  });
  const fit = el('select', { 'data-field': 'visual' },
    el('option', { value: 'cover', textContent: 'Fill the frame' }),
    el('option', { value: 'contain', textContent: 'Show it whole' }));
  fit.value = scene.visual.fit;
  fit.addEventListener('change', () => {
    scene.visual = { ...scene.visual, fit: fit.value };
    changed();
  });
  const removeVisual = el('button', {
    type: 'button',
    className: 'link',
    textContent: 'Remove picture',
    'aria-label': `Remove the image or clip of scene ${number()}`,
    onclick: () => {
      scene.visual = null;
      if (PICTURE_LAYOUTS.includes(scene.layout)) scene.layout = 'bullets';
      changed();
      renderScenes();
      $(`[data-key="${scene.key}"] [data-action="choose"]`)?.focus();
    },
  });
  block.append(preview, field(scene, 'Fit', fit), el('div', { className: 'row' }, choose, removeVisual));
  return block;
}

// "from: <source title> ¶ n": where the scene's words came from, the passages on opening.
function provenanceNote(scene) {
  if (!scene.provenance.length) return el('p', { className: 'provenance muted', textContent: 'Not taken from a source.' });
  const sources = [...new Set(scene.provenance.map((p) => p.source))];
  const summary = el('summary', { textContent: 'from: …' });
  Promise.all(sources.map((index) => sourceLabel(job, scene.provenance.filter((p) => p.source === index))))
    .then((labels) => {
      summary.textContent = `from: ${labels.join('; ')}`;
    }).catch(report);
  const passages = el('div', { className: 'passages' });
  const details = el('details', { className: 'provenance' }, summary, passages);
  details.addEventListener('toggle', () => {
    if (!details.open || passages.childElementCount) return;
    Promise.all(scene.provenance.map((p) => passageOf(job, p))).then((texts) => {
      passages.replaceChildren(...texts.map((text) => el('blockquote', { textContent: text })));
    }).catch(report);
  });
  return details;
}

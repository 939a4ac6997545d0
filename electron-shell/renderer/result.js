// A finished video's revisions and scenes. Each revision is a job of its own (the first render,
// then one per scene regeneration), so switching revision opens that job. Each scene can be
// changed in place and regenerated: a new job re-voices and re-renders that scene only and
// publishes the next revision, which plays when it is done.
import { api } from './api.js';
import { assetOf, chooseMedia, describe, thumbnail } from './media.js';
import { $, busy, el, guarded, inform } from './ui.js';

let openJob = () => {};
let listedFor = null; // the job whose scenes are listed

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);
const clock = (sec) => `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;

export function initResult(open) {
  openJob = open;
}

// Fill the revisions switcher and the scene list for `job` (hidden unless it is a finished video).
export async function showResult(job) {
  renderRevisions(job);
  const block = $('#job-scenes-block');
  const finished = job.status === 'completed' && ['generate', 'regenerate'].includes(job.kind);
  if (!finished) {
    block.hidden = true;
    listedFor = null;
    return;
  }
  if (listedFor === job.id) return;
  listedFor = job.id;
  const [script, content] = await Promise.all([
    api(`/api/jobs/${job.id}/script`),
    api(`/api/jobs/${job.id}/content`).catch(() => null),
  ]);
  if (listedFor !== job.id) return;
  const timing = new Map((content?.scenes ?? []).map((scene) => [scene.index, scene]));
  $('#job-scenes').replaceChildren(...script.scenes.map((scene) => sceneItem(job, scene, timing.get(scene.index))));
  block.hidden = false;
}

function renderRevisions(job) {
  const revisions = job.revisions ?? [];
  const group = $('#job-revisions');
  group.hidden = revisions.length < 2;
  if (group.hidden) return;
  const current = revisions.find((revision) => revision.jobId === job.id);
  $('#revision-buttons').replaceChildren(...revisions.map((revision) => el('button', {
    type: 'button',
    className: 'small',
    'aria-pressed': String(revision === current),
    'aria-label': `Revision ${revision.revision}${revision.sceneIndex != null ? `, scene ${revision.sceneIndex + 1} changed` : ', the first render'}`
      + (revision.status !== 'completed' ? ` (${revision.status})` : ''),
    textContent: `Revision ${revision.revision}`,
    title: revision.sceneIndex != null ? `Scene ${revision.sceneIndex + 1} changed` : 'The first render',
    onclick: guarded(async () => {
      if (revision !== current) openJob(await api(`/api/jobs/${revision.jobId}`));
    }),
  })));
  $('#revision-of').textContent = current
    ? `Revision ${current.revision} / ${revisions.length}${current.sceneIndex != null ? ` · scene ${current.sceneIndex + 1} changed` : ''}`
    : '';
}

// One scene of the finished video: its title and words, opened to change and regenerate it.
function sceneItem(job, scene, timing) {
  const number = scene.index + 1;
  const title = el('input', { value: scene.title, maxLength: 200 });
  const narration = el('textarea', { value: scene.narration, rows: 4, maxLength: 3000 });
  const bullets = el('textarea', { value: scene.bullets.join('\n'), rows: 3 });
  let visual = scene.visual;
  const picture = el('div', { className: 'visual-preview' });
  const showPicture = () => {
    picture.replaceChildren();
    if (!visual) return;
    assetOf(visual.assetId).then((asset) => picture.replaceChildren(thumbnail(asset),
      el('span', {}, el('strong', { textContent: asset.name }), el('br'), el('span', { className: 'muted', textContent: describe(asset) }))))
      .catch(() => {});
  };
  showPicture();
  const choose = el('button', {
    type: 'button',
    textContent: 'Choose image or clip',
    'aria-label': `Choose an image or clip for scene ${number}`,
    onclick: guarded(async () => {
      const choice = await chooseMedia(visual);
      if (!choice) return;
      visual = choice;
      showPicture();
    }),
  });

  const regenerate = el('button', { type: 'button', className: 'primary', textContent: 'Regenerate this scene' });
  regenerate.addEventListener('click', guarded(() => busy(regenerate, async () => {
    const changes = {};
    if (title.value.trim() !== scene.title) changes.title = title.value.trim();
    if (narration.value.trim() !== scene.narration) changes.narration = narration.value.trim();
    if (lines(bullets.value).join('\n') !== scene.bullets.join('\n')) changes.bullets = lines(bullets.value);
    if (JSON.stringify(visual) !== JSON.stringify(scene.visual)) changes.visual = visual;
    if (!Object.keys(changes).length) {
      inform('Change the scene’s title, words, bullets or picture first: there is nothing new to render.');
      return;
    }
    openJob(await api(`/api/jobs/${job.id}/scenes/${scene.index}/regenerate`, { method: 'POST', body: changes }));
  })));

  const when = timing?.startSec != null ? `${clock(timing.startSec)}–${clock(timing.startSec + timing.durationSec)}` : '';
  const play = timing?.startSec != null ? [el('button', {
    type: 'button',
    textContent: 'Play this scene',
    onclick: () => {
      const video = $('#job-video');
      video.currentTime = timing.startSec + 0.01;
      video.play().catch(() => {});
    },
  })] : [];
  return el('li', { className: 'scene-item', 'data-testid': 'job-scene' },
    el('details', {},
      el('summary', {},
        el('span', { className: 'scene-number', textContent: String(number) }),
        el('span', { className: 'scene-summary' },
          el('strong', { textContent: scene.title }),
          el('span', { className: 'muted', textContent: when ? ` · ${when}` : '' }),
          el('span', { className: 'muted excerpt', textContent: scene.narration }))),
      el('div', { className: 'scene-edit' },
        el('label', {}, 'Title', title),
        el('label', {}, 'Narration', narration),
        el('label', {}, 'Bullets (one per line)', bullets),
        el('div', { className: 'row' }, picture, choose),
        el('div', { className: 'actions' }, regenerate, ...play))));
}

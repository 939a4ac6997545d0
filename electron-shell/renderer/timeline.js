// A project's timeline: the segment strip with thumbnails, the playhead and its frame, and the
// edits (split, trim, delete, undo, redo, grade). Every edit names the version it was made on;
// on 409 VERSION_CONFLICT the timeline is reloaded and the user told.
import { api } from './api.js';
import { initExport, resetExport } from './export.js';
import { initGrade, showGrade } from './grade.js';
import {
  $, clearNotice, debounce, el, guarded, inform, renderSidebarList, report, seconds, showView,
} from './ui.js';

let projects = [];
let project = null;
let timeline = null;
let playhead = 0; // a frame of the timeline; the segment showing it is the selected one
let shownSegmentId = null; // the segment the side panels were filled for
let pending = false; // an edit is in flight
let frameTicket = 0; // the latest frame request; older answers are dropped
const marker = el('div', { className: 'playhead-marker', 'aria-hidden': 'true' });

const post = (path, body) => api(path, { method: 'POST', body });
const frameOf = (sec) => Math.round(sec * timeline.fps);
// The time sent for a frame is its middle, so the backend's snapping to frames cannot land on a
// neighbour however the seconds were rounded.
const timeOf = (frame) => Math.round(((frame + 0.5) / timeline.fps) * 1e6) / 1e6;
const span = (segment) => {
  const start = frameOf(segment.timelineStart);
  return { start, end: start + frameOf(segment.duration) };
};

export function initTimeline() {
  $('#scrub').addEventListener('input', (event) => seek(Number(event.target.value)));
  $('#playhead').addEventListener('change', (event) => seek(frameOf(Number(event.target.value))));
  $('#undo').addEventListener('click', guarded(() =>
    edit((version) => post(`/api/projects/${project.id}/timeline/undo`, { expectedVersion: version }))));
  $('#redo').addEventListener('click', guarded(() =>
    edit((version) => post(`/api/projects/${project.id}/timeline/redo`, { expectedVersion: version }))));
  $('#split').addEventListener('click', guarded(() => {
    const segment = selected();
    const splitTs = timeOf(frameOf(segment.startTs) + playhead - span(segment).start);
    return edit(async (version) =>
      (await post(`/api/segments/${segment.id}/split`, { splitTs, expectedVersion: version })).timeline);
  }));
  $('#trim').addEventListener('click', guarded(() => {
    const [start, end] = ['#trim-start', '#trim-end'].map((id) => frameOf(Number($(id).value)));
    const body = { newStartTs: timeOf(start), newEndTs: timeOf(end) };
    return edit(async (version) =>
      (await post(`/api/segments/${selected().id}/trim`, { ...body, expectedVersion: version })).timeline);
  }));
  $('#delete').addEventListener('click', guarded(() =>
    edit((version) => api(`/api/segments/${selected().id}?expectedVersion=${version}`, { method: 'DELETE' }))));
  initGrade((segment, grade) => edit(async (version) =>
    (await post(`/api/segments/${segment.id}/color-grade`, { ...grade, expectedVersion: version })).timeline));
  initExport(() => project, edit);
}

export async function refreshProjects() {
  ({ projects } = await api('/api/projects'));
  renderList();
}

function renderList() {
  renderSidebarList($('#project-list'), projects, {
    isCurrent: (p) => p.id === project?.id,
    open: guarded(openProject),
    label: (p) => p.name,
    badge: (p) => ({ className: 'badge', textContent: p.settings.resolution }),
    empty: 'No projects yet',
  });
}

export async function openProject(chosen) {
  project = chosen;
  playhead = 0;
  shownSegmentId = null;
  clearNotice();
  resetExport();
  $('#project-title').textContent = project.name;
  showView('project-view');
  await Promise.all([loadTimeline(), refreshProjects()]);
}

async function loadTimeline() {
  setTimeline(await api(`/api/projects/${project.id}/timeline`));
}

// Run an edit `request(version)` that answers the new timeline (or nothing).
async function edit(request) {
  if (pending) return;
  pending = true;
  $('#project-view').setAttribute('aria-busy', 'true');
  try {
    const changed = await request(timeline.version);
    if (changed) setTimeline(changed);
  } catch (error) {
    if (error.code !== 'VERSION_CONFLICT') throw error;
    await loadTimeline();
    inform(`The timeline was changed elsewhere (it is now at version ${error.problem.currentVersion}) `
      + 'and has been reloaded. Check it, then make your edit again.');
  } finally {
    pending = false;
    $('#project-view').removeAttribute('aria-busy');
  }
}

function setTimeline(next) {
  // A response that arrives after the user switched projects belongs to the other project.
  if (next.projectId !== project?.id) return;
  timeline = next;
  $('#scrub').max = Math.max(0, frameOf(timeline.duration) - 1);
  $('#playhead').max = Math.max(0, timeline.duration - 1 / timeline.fps).toFixed(3);
  $('#playhead').step = (1 / timeline.fps).toFixed(6);
  $('#project-meta').textContent = [
    `${project.settings.resolution}, ${timeline.fps} fps`,
    `${timeline.segments.length} segment${timeline.segments.length === 1 ? '' : 's'}`,
    seconds(timeline.duration),
    `version ${timeline.version}`,
  ].join(' · ');
  $('#undo').disabled = !timeline.canUndo;
  $('#redo').disabled = !timeline.canRedo;
  $('#export').disabled = !timeline.segments.length;
  renderSegments();
  seek(playhead);
  loadThumbnails(timeline).catch(report);
}

function renderSegments() {
  $('#segments').replaceChildren(...timeline.segments.map((segment, index) => {
    const item = el('li', { 'data-segment-id': segment.id },
      el('button', {
        type: 'button',
        className: 'segment',
        'aria-pressed': 'false',
        'aria-label': `Segment ${index + 1}: ${seconds(segment.duration)}${segment.grade ? ', graded' : ''}`,
        onclick: () => seek(Math.floor((span(segment).start + span(segment).end) / 2)),
      }, el('span', { className: 'thumbs' }), el('span', { className: 'length', textContent: seconds(segment.duration) })));
    item.style.flexGrow = segment.duration; // proportional width (CSSOM, allowed by the CSP)
    return item;
  }));
}

// Preview frames of the whole timeline, each shown in the segment it falls in.
async function loadThumbnails(shown) {
  if (!shown.duration) return;
  const body = { start: 0, end: shown.duration, fps: Math.min(2, 40 / shown.duration), width: 160 };
  const { frames } = await post(`/api/projects/${project.id}/preview/strip`, body);
  if (shown !== timeline) return;
  for (const frame of frames) {
    const segment = segmentAt(frameOf(frame.timestamp));
    $(`[data-segment-id="${segment.id}"] .thumbs`)?.append(el('img', { src: frame.frameUrl, alt: '' }));
  }
}

function segmentAt(frame) {
  const { segments } = timeline;
  return segments.find((s) => frame < span(s).end) ?? segments[segments.length - 1];
}

const selected = () => segmentAt(playhead);

function seek(frame) {
  const frames = frameOf(timeline.duration);
  playhead = Math.min(Math.max(0, frame), Math.max(0, frames - 1));
  $('#scrub').value = playhead;
  $('#playhead').value = (playhead / timeline.fps).toFixed(3);
  const segment = selected();
  marker.remove();
  if (segment) {
    const { start, end } = span(segment);
    marker.style.left = `${((playhead - start) / (end - start)) * 100}%`;
    $(`[data-segment-id="${segment.id}"]`).append(marker);
  }
  for (const button of document.querySelectorAll('#segments .segment')) {
    button.setAttribute('aria-pressed', String(button.parentElement.dataset.segmentId === segment?.id));
  }
  if (segment?.id !== shownSegmentId) showSegment(segment);
  showFrame();
}

function showSegment(segment) {
  shownSegmentId = segment?.id ?? null;
  for (const control of ['#split', '#delete', '#trim', '#grade-apply']) $(control).disabled = !segment;
  $('#segment-heading').textContent = segment
    ? `Segment ${segment.orderIndex + 1} (source ${seconds(segment.startTs)} to ${seconds(segment.endTs)})`
    : 'No segments';
  $('#trim-start').value = segment?.startTs.toFixed(3) ?? '';
  $('#trim-end').value = segment?.endTs.toFixed(3) ?? '';
  showGrade(segment);
}

const showFrame = debounce(guarded(async () => {
  const image = $('#frame');
  if (!timeline.segments.length) {
    frameTicket += 1;
    image.removeAttribute('src');
    $('#frame-caption').textContent = 'The timeline is empty.';
    return;
  }
  const ticket = ++frameTicket;
  const body = { ts: timeOf(playhead), width: 640 };
  const { frameUrl, timestamp } = await post(`/api/projects/${project.id}/preview/frame`, body);
  if (ticket !== frameTicket) return;
  image.src = frameUrl;
  $('#frame-caption').textContent = `Frame at ${seconds(timestamp)}`;
}), 120);

// Generation jobs: the brief form, live progress over SSE, the result, the list of past videos.
import { api, follow } from './api.js';
import {
  $, busy, clearNotice, el, failure, guarded, inform, renderSidebarList, report, showProgress,
  showView, stepLabel,
} from './ui.js';

const ACTIVE = ['queued', 'running'];
const STATUS = {
  queued: 'Queued', running: 'Rendering', completed: 'Ready', failed: 'Failed', cancelled: 'Cancelled',
};

let jobs = [];
let shown = null; // the job on screen
let unfollow = () => {};

const title = (job) => job.request?.brief.topic ?? 'Untitled video';

export function initJobs(openProject) {
  const form = $('#brief-form');
  form.addEventListener('submit', guarded((event) => submit(event, form)));
  // The job's event stream reports the cancellation.
  $('#job-cancel').addEventListener('click', guarded(() =>
    busy($('#job-cancel'), () => api(`/api/jobs/${shown.id}/cancel`, { method: 'POST' }))));
  $('#job-retry').addEventListener('click', guarded(() =>
    busy($('#job-retry'), async () => openJob(await api(`/api/jobs/${shown.id}/retry`, { method: 'POST' })))));
  $('#job-open-project').addEventListener('click', guarded(() =>
    busy($('#job-open-project'), async () => openProject(await projectFor(shown)))));
}

// The request body from the form: input names are JSON paths ("brief.topic"); empty optional
// fields are left out so that the backend's defaults apply.
function requestFrom(form) {
  const body = {};
  for (const input of form.elements) {
    if (!input.name) continue;
    const value = input.type === 'checkbox' ? input.checked : input.value.trim();
    if (value === '' && !input.required) continue;
    const [group, key] = input.name.split('.');
    body[group] ??= {};
    body[group][key] = input.type === 'number' ? Number(value) : value;
  }
  return body;
}

function markInvalid(form, problem) {
  for (const input of form.elements) input.removeAttribute('aria-invalid');
  const invalid = (problem?.errors ?? []).map(({ field }) => form.elements[field]).filter(Boolean);
  for (const input of invalid) input.setAttribute('aria-invalid', 'true');
  invalid[0]?.scrollIntoView({ block: 'center' });
  invalid[0]?.focus({ preventScroll: true });
}

async function submit(event, form) {
  event.preventDefault();
  clearNotice();
  markInvalid(form);
  await busy($('button[type=submit]', form), async () => {
    try {
      const job = await api('/api/jobs', { method: 'POST', body: requestFrom(form) });
      openJob(job);
      await refreshJobs();
    } catch (error) {
      markInvalid(form, error.problem);
      throw error;
    }
  });
}

export async function loadVoices() {
  const voices = await api('/api/voices');
  const select = $('#voice-select');
  select.replaceChildren(...voices.map((voice) =>
    el('option', { value: voice.id, textContent: `${voice.name} (${voice.language})` })));
  select.value = voices.find((voice) => voice.language === 'en-us')?.id ?? voices[0]?.id;
}

export async function refreshJobs() {
  ({ jobs } = await api('/api/jobs?kind=generate'));
  renderList();
}

function renderList() {
  renderSidebarList($('#job-list'), jobs, {
    isCurrent: (job) => job.id === shown?.id,
    open: openJob,
    label: title,
    badge: (job) => ({ className: `badge ${job.status}`, textContent: STATUS[job.status] }),
    empty: 'No videos yet',
  });
}

export function openJob(job) {
  unfollow();
  shown = job;
  clearNotice();
  showView('job-view');
  render(job);
  renderList();
  if (ACTIVE.includes(job.status)) unfollow = listen(job.id);
}

function listen(id, after = null) {
  const update = (changes) => {
    if (shown?.id === id) render(Object.assign(shown, changes));
  };
  const finish = guarded(async (_data, eventId) => {
    const job = await api(`/api/jobs/${id}`);
    if (shown?.id !== id) return;
    render((shown = job));
    // An earlier run's end, replayed from the job's history: the retried run goes on after it.
    if (ACTIVE.includes(job.status)) unfollow = listen(id, eventId);
    await refreshJobs();
  });
  const query = after ? `?lastEventId=${encodeURIComponent(after)}` : '';
  return follow(`/api/jobs/${id}/events${query}`, {
    'step-progress': ({ stage, message, percent, etaSec }) => update({ stage, message, percent, etaSec }),
    'job-status': ({ status }) => {
      update({ status });
      refreshJobs().catch(report);
    },
    warning: ({ message }) => inform(message),
    'job-completed': finish,
    'job-failed': finish,
    'job-cancelled': finish,
  }, () => report(new Error('Lost the connection to the job. Open it again from the list to resume following it.')));
}

function render(job) {
  const active = ACTIVE.includes(job.status);
  $('#job-title').textContent = title(job);
  $('#job-status').textContent = `Created ${new Date(job.createdAt).toLocaleString()}`;
  showProgress($('#job-progress'), {
    label: active ? stepLabel(job) || 'Waiting to start…' : STATUS[job.status],
    // The status event that ends a run can arrive before its last progress report.
    percent: job.status === 'completed' ? 100 : job.percent,
    etaSec: active ? job.etaSec : null,
  });
  $('#job-cancel').hidden = !active;
  $('#job-retry').hidden = !['failed', 'cancelled'].includes(job.status);
  $('#job-open-project').hidden = job.status !== 'completed';
  const error = $('#job-error');
  error.hidden = !job.error;
  if (job.error) error.replaceChildren(...failure(job.error).map((line) => el('p', { textContent: line })));

  const video = job.artifacts.find((artifact) => artifact.kind === 'video');
  const player = $('#job-video');
  player.hidden = !video;
  if (player.getAttribute('src') !== (video?.url ?? null)) {
    if (video) player.src = video.url;
    else {
      player.removeAttribute('src');
      player.load();
    }
  }
  const download = $('#job-download');
  download.hidden = !video;
  if (video) download.href = video.downloadUrl;
}

// The project made from this job earlier, else a new one.
async function projectFor(job) {
  const { projects } = await api('/api/projects');
  return projects.find((project) => project.sourceJobId === job.id)
    ?? api('/api/projects', { method: 'POST', body: { name: title(job), fromJobId: job.id } });
}

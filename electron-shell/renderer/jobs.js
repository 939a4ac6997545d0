// Generation jobs: the brief form, live progress over SSE, the script review, the result with its
// warnings, revisions and scenes, and the list of past videos.
import { api, follow } from './api.js';
import { initResult, showResult } from './result.js';
import { initReview, openReview, showReviewWarnings } from './review.js';
import { briefSources, initSources, markSources, offerSample, reviewFirst } from './sources.js';
import {
  $, busy, clearNotice, el, failure, guarded, renderSidebarList, report, showProgress, showView,
  stepLabel,
} from './ui.js';
import { mergeWarnings, renderWarnings } from './warnings.js';

const ACTIVE = ['queued', 'running'];
const STATUS = {
  queued: 'Queued',
  running: 'Rendering',
  review: 'Needs review',
  completed: 'Ready',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

let jobs = [];
let shown = null; // the job on screen
let unfollow = () => {};
const seen = new Map(); // job id -> the id of its last event received, to follow on from there

const title = (job) => job.request?.brief.topic ?? 'Untitled video';

export function initJobs(openProject) {
  const form = $('#brief-form');
  initSources();
  initReview(openJob);
  initResult(openJob);
  form.addEventListener('submit', guarded((event) => submit(event, form)));
  // The job's event stream reports the cancellation.
  $('#job-cancel').addEventListener('click', guarded(() =>
    busy($('#job-cancel'), () => api(`/api/jobs/${shown.id}/cancel`, { method: 'POST' }))));
  $('#job-retry').addEventListener('click', guarded(() =>
    busy($('#job-retry'), async () => openJob(await api(`/api/jobs/${shown.id}/retry`, { method: 'POST' })))));
  $('#job-open-project').addEventListener('click', guarded(() =>
    busy($('#job-open-project'), async () => openProject(await projectFor(shown)))));
}

// A field's value: a checkbox's state, a number, `true`/`false` from a `data-json` select (the
// music picker), else its trimmed text.
function fieldValue(input) {
  if (input.type === 'checkbox') return input.checked;
  const value = input.value.trim();
  if (input.type === 'number' && value !== '') return Number(value);
  if ('json' in input.dataset && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

// The request body from the form: input names are JSON paths ("brief.topic"); empty optional
// fields and switched-off ones (the caption style without captions) are left out so that the
// backend's defaults apply.
function requestFrom(form) {
  const body = {};
  for (const input of form.elements) {
    if (!input.name || input.disabled) continue;
    const value = fieldValue(input);
    if (value === '' && !input.required) continue;
    const [group, key] = input.name.split('.');
    body[group] ??= {};
    body[group][key] = value;
  }
  const sources = briefSources();
  if (sources.length) body.brief.sources = sources;
  if (reviewFirst()) (body.plan ??= {}).stopAfter = 'script';
  return body;
}

function markInvalid(form, problem) {
  for (const input of form.elements) input.removeAttribute('aria-invalid');
  const invalid = (problem?.errors ?? []).map(({ field }) => form.elements[field]).filter(Boolean);
  for (const input of invalid) input.setAttribute('aria-invalid', 'true');
  invalid[0]?.scrollIntoView({ block: 'center' });
  invalid[0]?.focus({ preventScroll: true });
  markSources(problem);
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

export async function refreshJobs() {
  ({ jobs } = await api('/api/jobs?kind=generate'));
  renderList();
  await offerSample(jobs.length === 0);
}

// The first video of the family the shown job belongs to (its revisions are jobs of their own).
const familyOf = (job) => job?.revisions?.[0]?.jobId ?? job?.parentId ?? job?.id;

function renderList() {
  renderSidebarList($('#job-list'), jobs, {
    isCurrent: (job) => job.id === familyOf(shown),
    open: openJob,
    label: title,
    badge: (job) => ({ className: `badge ${job.status}`, textContent: STATUS[job.status] }),
    empty: 'No videos yet',
  });
}

// Show a job: its script review when it waits for one, else its progress or its video. The
// full view (warnings, revisions) is read again, as a listed job has no revisions.
export function openJob(job) {
  unfollow();
  shown = job;
  clearNotice();
  renderList();
  if (job.status === 'review') {
    openReview(job).catch(report);
    return;
  }
  showView('job-view');
  render(job);
  if (ACTIVE.includes(job.status)) unfollow = listen(job.id, seen.get(job.id));
  else {
    api(`/api/jobs/${job.id}`).then((full) => {
      if (shown?.id === full.id && !ACTIVE.includes(full.status)) {
        render((shown = full));
        renderList();
      }
    }).catch(report);
  }
}

function listen(id, after = null) {
  const update = (changes) => {
    if (shown?.id === id) render(Object.assign(shown, changes));
  };
  const noted = (handler) => (data, eventId) => {
    if (eventId) seen.set(id, eventId);
    handler(data, eventId);
  };
  // The run ended or stopped for review; or this is an earlier run's end replayed from the
  // job's history, and the retried or continued run goes on after it.
  const settle = guarded(async (_data, eventId) => {
    const job = await api(`/api/jobs/${id}`);
    if (shown?.id !== id) return;
    shown = job;
    if (ACTIVE.includes(job.status)) {
      render(job);
      unfollow = listen(id, eventId);
    } else if (job.status === 'review') {
      await openReview(job);
    } else render(job);
    await refreshJobs();
  });
  const query = after ? `?lastEventId=${encodeURIComponent(after)}` : '';
  return follow(`/api/jobs/${id}/events${query}`, Object.fromEntries(Object.entries({
    'step-progress': ({ stage, message, percent, etaSec }) => update({ stage, message, percent, etaSec }),
    'job-status': ({ status }) => {
      update({ status });
      refreshJobs().catch(report);
    },
    warning: ({ code, message, remediation }) => {
      if (shown?.id !== id) return;
      shown.warnings = mergeWarnings(shown.warnings, { code: code ?? null, message, remediation: remediation ?? null });
      render(shown);
      showReviewWarnings(shown.warnings);
    },
    'job-review': settle,
    'job-completed': settle,
    'job-failed': settle,
    'job-cancelled': settle,
  }).map(([type, handler]) => [type, noted(handler)])),
  () => report(new Error('Lost the connection to the job. Open it again from the list to resume following it.')));
}

function render(job) {
  const active = ACTIVE.includes(job.status);
  $('#job-title').textContent = title(job);
  $('#job-status').textContent = [
    job.kind === 'regenerate' ? 'A scene regenerated' : 'Created',
    new Date(job.createdAt).toLocaleString(),
  ].join(' ');
  renderWarnings($('#job-warnings'), job.warnings);
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
  showResult(job).catch(report);
}

// The project made from this job earlier, else a new one.
async function projectFor(job) {
  const { projects } = await api('/api/projects');
  return projects.find((project) => project.sourceJobId === job.id)
    ?? api('/api/projects', { method: 'POST', body: { name: title(job), fromJobId: job.id } });
}

// Export the project's timeline (MP4, WebM or GIF) with live progress, then offer the download.
import { api, follow } from './api.js';
import { $, guarded, report, reportFailure, showProgress, stepLabel } from './ui.js';

let unfollow = () => {};
let running = null; // the export being followed

// `edit(request)` runs `request(version)` with the timeline's version-conflict handling.
export function initExport(currentProject, edit) {
  $('#export').addEventListener('click', guarded(() => edit(async (version) => {
    const body = {
      projectId: currentProject().id,
      format: $('#export-format').value,
      preset: $('#export-preset').value,
      expectedVersion: version,
    };
    track(await api('/api/exports', { method: 'POST', body }));
  })));
  $('#export-cancel').addEventListener('click', guarded(() =>
    api(`/api/exports/${running.id}/cancel`, { method: 'POST' })));
}

export function resetExport() {
  unfollow();
  running = null;
  $('#export-progress').hidden = true;
  $('#export-download').hidden = true;
}

function track(job) {
  resetExport();
  running = job;
  const block = $('#export-progress');
  const show = (state) => showProgress(block, { ...state, label: stepLabel(state) || 'Queued' });
  block.hidden = false;
  $('#export-cancel').hidden = false;
  show(job);
  const finish = guarded(async () => {
    const done = await api(`/api/exports/${job.id}`);
    if (running?.id !== job.id) return;
    $('#export-cancel').hidden = true;
    if (done.status === 'completed') {
      showProgress(block, { label: 'Export ready', percent: 100 });
      const link = $('#export-download');
      link.href = done.downloadUrl;
      link.textContent = `Download ${done.format.toUpperCase()}`;
      link.hidden = false;
    } else {
      showProgress(block, { label: done.error ? 'Export failed' : 'Export cancelled', percent: done.percent });
      if (done.error) reportFailure(done.error);
    }
  });
  unfollow = follow(job.eventsUrl, {
    'step-progress': show,
    'job-completed': finish,
    'job-failed': finish,
    'job-cancelled': finish,
  }, () => report(new Error('Lost the connection to the export in progress.')));
}

// Reelforge Studio: wires the views together. Served by the backend (same origin as the API);
// inside Electron the shell injects the access token into every request.
import { initJobs, refreshJobs } from './jobs.js';
import { initMedia } from './media.js';
import { initPickers } from './pickers.js';
import { initTimeline, openProject, refreshProjects } from './timeline.js';
import { $, clearNotice, report, showView } from './ui.js';

$('#new-video').addEventListener('click', () => {
  showView('brief-view');
  $('#brief-form').elements['brief.topic'].focus();
});
$('#notice-close').addEventListener('click', clearNotice);

// Links to other sites open in the system browser when the desktop shell offers it.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href]');
  const openExternal = window.reelforge?.openExternal;
  if (!link || !openExternal || link.origin === location.origin || !/^https?:$/.test(link.protocol)) return;
  event.preventDefault();
  openExternal(link.href);
});

initJobs(openProject);
initMedia();
initTimeline();
Promise.all([refreshJobs(), refreshProjects(), initPickers()]).catch(report);

'use strict';
// The local status page (error.html): a "starting" state while the backend comes up, and once
// it has been given up on, the reason, its last log lines and a Retry button. Main reloads this
// page whenever the backend's state changes, so it renders once per load.

const TITLES = {
  restarting: 'Restarting Reelforge…',
  fatal: 'Reelforge could not start its engine',
};

async function render() {
  const api = window.reelforge;
  const status = await api.getStatus();
  document.body.dataset.state = status.state;
  document.getElementById('version').textContent = api.version ? `Reelforge ${api.version}` : '';
  if (TITLES[status.state]) document.getElementById('title').textContent = TITLES[status.state];
  if (status.message) document.getElementById('message').textContent = status.message;
  if (status.state === 'fatal') {
    const lines = await api.getLastLogLines();
    // Text only: log lines are never parsed as markup.
    const pre = document.getElementById('lines');
    pre.textContent = lines.length ? lines.join('\n') : '(no output)';
    pre.scrollTop = pre.scrollHeight; // the newest lines, where the error usually is
    document.getElementById('retry').focus();
  }
}

document.getElementById('retry').addEventListener('click', (event) => {
  event.currentTarget.disabled = true;
  window.reelforge.retryBackend();
});
document.getElementById('logs').addEventListener('click', () => window.reelforge.openLogFolder());

render();

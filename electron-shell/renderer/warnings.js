// A job's warnings ({code, message, remediation}), shown as a panel on the job and review views
// rather than as a passing notice: GENERIC_OUTLINE, for one, says the whole video is only an
// outline, and how to get a real script.
import { $, el, showView } from './ui.js';

const key = (warning) => `${warning.code}|${warning.message}`;

// The warnings with `more` added, without repeats (a replayed event repeats a stored one).
export function mergeWarnings(warnings = [], ...more) {
  const seen = new Map(warnings.map((warning) => [key(warning), warning]));
  for (const warning of more) if (!seen.has(key(warning))) seen.set(key(warning), warning);
  return [...seen.values()];
}

export function renderWarnings(container, warnings = []) {
  container.hidden = !warnings.length;
  container.replaceChildren(...warnings.map((warning) => el('div', {
    className: 'warning',
    role: 'status',
    'data-code': warning.code ?? '',
  },
  el('p', { className: 'warning-message', textContent: warning.message }),
  ...(warning.remediation ? [el('p', { textContent: warning.remediation })] : []),
  ...(warning.code === 'GENERIC_OUTLINE' ? [el('button', {
    type: 'button',
    textContent: 'Add source material',
    onclick: () => {
      showView('brief-view');
      $('#source-text').focus();
    },
  })] : []))));
}

// Small DOM helpers shared by the views: element building, the notice area, progress bars.
import { ApiError, problemLines } from './api.js';

export const $ = (selector, root = document) => root.querySelector(selector);

// `el('button', { type: 'button', 'aria-pressed': 'true' }, 'Label')`: properties are set
// directly, `aria-*` and `data-*` keys as attributes.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (/^(aria|data)-/.test(key)) node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

/**
 * Fills a sidebar list: one button per entry with its label and badge, the current one marked,
 * or a muted line saying the list is empty.
 */
export function renderSidebarList(list, entries, { isCurrent, open, label, badge, empty }) {
  const items = entries.map((entry) => el('li', {},
    el('button', {
      type: 'button',
      className: 'item',
      'aria-current': String(isCurrent(entry)),
      onclick: () => open(entry),
    }, el('span', { textContent: label(entry) }), el('span', badge(entry)))));
  list.replaceChildren(...(items.length ? items : [el('li', { className: 'muted', textContent: empty })]));
}

export function showView(id) {
  for (const view of document.querySelectorAll('main > section')) view.hidden = view.id !== id;
}

function notify(kind, lines) {
  const notice = $('#notice');
  $('#notice-text').replaceChildren(...lines.map((line) => el('p', { textContent: line })));
  notice.className = `notice ${kind}`;
  notice.hidden = false;
}

export function report(error) {
  notify('error', error instanceof ApiError ? problemLines(error.problem) : [error.message]);
}

export const inform = (text) => notify('info', [text]);

// The lines describing a failed job's `error` {code, message, remediation}.
export const failure = ({ code, message, remediation }) => [`${code}: ${message}`, remediation].filter(Boolean);

export const reportFailure = (error) => notify('error', failure(error));

export function clearNotice() {
  $('#notice').hidden = true;
}

// Wrap an async event handler so that its errors are shown instead of lost.
export const guarded = (fn) => (...args) => fn(...args).catch(report);

// Disable a control (or a whole fieldset) while `fn` runs.
export async function busy(control, fn) {
  control.disabled = true;
  try {
    return await fn();
  } finally {
    control.disabled = false;
  }
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export const seconds = (value) => `${value.toFixed(2)} s`;

function eta(sec) {
  if (sec == null) return '';
  if (sec < 1) return 'almost done';
  const whole = Math.ceil(sec);
  return whole < 60 ? `about ${whole} s left` : `about ${Math.floor(whole / 60)} min ${whole % 60} s left`;
}

// Fill a progress block (`.step`, `progress`, `.percent`, `.eta` inside `root`).
export function showProgress(root, { label, percent, etaSec }) {
  const whole = Math.floor(percent ?? 0);
  $('.step', root).textContent = label;
  $('progress', root).value = whole;
  $('progress', root).textContent = `${whole}%`;
  $('.percent', root).textContent = `${whole}%`;
  $('.eta', root).textContent = whole < 100 ? eta(etaSec) : '';
}

export const stepLabel = ({ stage, message }) =>
  [stage && stage[0].toUpperCase() + stage.slice(1), message].filter(Boolean).join(': ');

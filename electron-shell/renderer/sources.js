// The brief's source material: pasted text and uploaded documents (each shown with its title,
// word count and outline), the bundled sample document, and the "review the script first"
// choice, which is ticked for the user as soon as a brief has sources (unless they chose).
import { api, upload } from './api.js';
import { $, busy, el, guarded, report } from './ui.js';

let sources = []; // {text, title} pasted, or {document} uploaded (the document's view)
let reviewChosen = false; // the user ticked or cleared "Review the script" themselves
let sample = null; // the sample document's summary {name, title, words}, if the backend has one
let named = null; // the source whose title was put in the empty Topic field

const words = (text) => (text.match(/\S+/g) ?? []).length;
const plural = (n, one, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function initSources() {
  $('#source-add-text').addEventListener('click', addText);
  $('#source-file').addEventListener('change', guarded(async (event) => {
    const files = [...event.target.files];
    event.target.value = '';
    await addFiles(files);
  }));
  $('#review-first').addEventListener('change', () => {
    reviewChosen = true;
  });
  $('#sample-button').addEventListener('click', guarded(() => busy($('#sample-button'), addSample)));
  const drop = $('#sources');
  drop.addEventListener('dragover', (event) => {
    if (![...event.dataTransfer.types].includes('Files')) return;
    event.preventDefault();
    drop.classList.add('dropping');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dropping'));
  drop.addEventListener('drop', guarded(async (event) => {
    event.preventDefault();
    drop.classList.remove('dropping');
    await addFiles([...event.dataTransfer.files]);
  }));
  renderSources();
}

// The sample is offered as a button on first launch (no videos yet), as a quiet link after.
export async function offerSample(firstLaunch) {
  if (sample === null) {
    const listed = await api('/api/samples').catch(() => []);
    sample = (Array.isArray(listed) ? listed : listed.samples ?? [])[0] ?? false;
  }
  const offer = $('#sample-offer');
  offer.hidden = !sample;
  if (!sample) return;
  $('#sample-button').textContent = `Try the sample: ${sample.title}`;
  $('#sample-button').className = firstLaunch ? 'primary' : 'link';
  $('span', offer).hidden = !firstLaunch;
}

async function addSample() {
  const { title, text } = await api(`/api/samples/${encodeURIComponent(sample.name)}`);
  if (!sources.some((source) => source.text === text)) add({ text, title });
}

function addText() {
  const text = $('#source-text').value;
  if (!text.trim()) {
    $('#source-text').focus();
    $('#source-status').textContent = 'Paste some text first.';
    return;
  }
  add({ text, title: $('#source-title').value.trim() || null });
  $('#source-text').value = '';
  $('#source-title').value = '';
}

async function addFiles(files) {
  const status = $('#source-status');
  for (const file of files) {
    status.textContent = `Reading ${file.name}…`;
    try {
      const document = await upload('/api/documents', file);
      add({ document });
      status.textContent = `Added ${document.title || file.name}.`;
    } catch (error) {
      status.textContent = `Could not use ${file.name}.`;
      report(error);
    }
  }
}

const topicField = () => $('#brief-form').elements['brief.topic'];
const titleOf = (source) => (source.document?.title || source.title || '').slice(0, 200);

function add(source) {
  sources.push(source);
  if (!reviewChosen) $('#review-first').checked = true;
  nameTopic();
  renderSources();
}

// An empty Topic takes the first source's title; a topic taken that way follows its source out.
function nameTopic() {
  const topic = topicField();
  if (named && !sources.includes(named) && topic.value === titleOf(named)) topic.value = '';
  if (topic.value.trim()) return;
  named = sources.find((source) => titleOf(source)) ?? null;
  if (named) topic.value = titleOf(named);
}

function remove(source) {
  sources = sources.filter((s) => s !== source);
  if (!reviewChosen && !sources.length) $('#review-first').checked = false;
  nameTopic();
  renderSources();
  $('#source-text').focus();
}

// The brief's `sources`: pasted text as is, documents by id.
export function briefSources() {
  return sources.map((source) => (source.document
    ? { documentId: source.document.id }
    : { text: source.text, ...(source.title ? { title: source.title } : {}) }));
}

export const reviewFirst = () => $('#review-first').checked;

// Mark the source a validation problem names (`brief.sources[2].text`).
export function markSources(problem) {
  const items = [...$('#source-list').children];
  for (const item of items) item.removeAttribute('aria-invalid');
  for (const { field } of problem?.errors ?? []) {
    const index = /^brief\.sources\[(\d+)\]/.exec(field ?? '')?.[1];
    if (index !== undefined) items[Number(index)]?.setAttribute('aria-invalid', 'true');
  }
}

function renderSources() {
  $('#source-list').replaceChildren(...sources.map((source, index) => sourceCard(source, index)));
  $('#source-list').hidden = !sources.length;
}

function sourceCard(source, index) {
  const { document } = source;
  const name = document ? document.title || document.name : source.title || 'Pasted text';
  const facts = document
    ? [plural(document.wordCount, 'word'), plural(document.sections?.length ?? 0, 'section'),
      document.format?.toUpperCase(), document.name !== name ? document.name : null]
    : [plural(words(source.text), 'word'), 'pasted text'];
  const outline = (document ? document.outline ?? [] : headings(source.text))
    .filter((line) => line !== name); // the title's own heading says nothing new
  return el('li', { className: 'source-card', 'data-testid': 'source' },
    el('div', { className: 'source-head' },
      el('span', { className: 'source-kind', 'aria-hidden': 'true', textContent: document ? 'DOC' : 'TXT' }),
      el('div', { className: 'grow' },
        el('strong', { className: 'source-title', textContent: name }),
        el('span', { className: 'muted', textContent: ` · ${facts.filter(Boolean).join(' · ')}` })),
      el('button', {
        type: 'button',
        className: 'link',
        textContent: 'Remove',
        'aria-label': `Remove source ${index + 1}: ${name}`,
        onclick: () => remove(source),
      })),
    outline.length
      ? el('ol', { className: 'outline', 'aria-label': `Outline of ${name}` },
        ...outline.slice(0, 8).map((line) => el('li', { textContent: line })),
        ...(outline.length > 8 ? [el('li', { className: 'muted', textContent: `and ${outline.length - 8} more` })] : []))
      : el('p', { className: 'excerpt muted', textContent: document ? 'No headings found.' : excerpt(source.text) }));
}

// The Markdown headings of pasted text (the sample is Markdown).
function headings(text) {
  return [...text.matchAll(/^#{1,3}[ \t]+(.+?)[ \t#]*$/gm)].map((match) => match[1]);
}

function excerpt(text) {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

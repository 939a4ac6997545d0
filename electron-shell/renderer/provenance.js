// Where a scene's words came from: a scene's `provenance` names passages (offset, length) of the
// job's sources, pasted text (kept in the job's request) or documents (read from the API once).
// The label names the source and the section or paragraph; the passages are shown on request.
import { api } from './api.js';

const documents = new Map(); // id -> Promise of {title, text|null, sections}

function documentOf(id) {
  if (!documents.has(id)) {
    documents.set(id, (async () => {
      const view = await api(`/api/documents/${id}`).catch(() => null);
      // The plain text the offsets point into, with where its sections lie.
      const read = await api(`/api/documents/${id}/text`).catch(() => null);
      return { title: view?.title || view?.name || 'a document', text: read?.text ?? null, sections: read?.sections ?? [] };
    })());
  }
  return documents.get(id);
}

// {title, text} of the source a passage belongs to (text is null when it cannot be read).
async function sourceOf(job, passage) {
  const pasted = job.request?.brief.sources?.[passage.source];
  if (passage.documentId) {
    const document = await documentOf(passage.documentId);
    return { ...document, title: pasted?.title || document.title };
  }
  const text = pasted?.text ?? null;
  return { title: pasted?.title || firstHeading(text) || 'your pasted text', text, sections: [] };
}

const firstHeading = (text) => /^#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text ?? '')?.[1];

// Where in the text `offset` is: its section's heading (a document's sections, or the Markdown
// heading above it in pasted text), else its paragraph number.
function placeOf({ text, sections }, offset) {
  const section = sections.find((s) => s.heading && offset >= s.offset && offset < s.offset + s.length);
  if (section) return `“${section.heading}”`;
  const before = text.slice(0, offset);
  const heading = [...before.matchAll(/^#{2,6}[ \t]+(.+?)[ \t#]*$/gm)].at(-1)?.[1];
  if (heading) return `“${heading}”`;
  return `¶ ${before.split(/\n[ \t]*\n/).length}`;
}

// "How tides work, “Two bulges, not one”" for the passages of one source.
export async function sourceLabel(job, passages) {
  const source = await sourceOf(job, passages[0]);
  const { title, text } = source;
  if (text == null) return `${title} ¶`;
  const places = [...new Set(passages.map((p) => placeOf(source, p.offset)))];
  return `${title}, ${places.join(', ')}`;
}

export async function passageOf(job, passage) {
  const { text } = await sourceOf(job, passage);
  if (text == null) return `Characters ${passage.offset} to ${passage.offset + passage.length} of the document.`;
  return text.slice(passage.offset, passage.offset + passage.length).replace(/\s+/g, ' ').trim();
}

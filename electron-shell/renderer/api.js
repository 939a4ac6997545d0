// The backend's HTTP API: JSON requests, RFC 9457 problem details as errors, SSE streams.
// The UI is served by the backend itself, so every path is same-origin and relative.

export class ApiError extends Error {
  constructor(problem, status) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.problem = problem;
    this.status = status;
    this.code = problem.code;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { Accept: 'application/json, application/problem+json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send(path, init);
}

// Upload one file as the multipart field `file` (documents, pictures, clips). The browser sets
// the multipart Content-Type with its boundary.
export function upload(path, file) {
  const body = new FormData();
  body.append('file', file, file.name);
  return send(path, { method: 'POST', body, headers: { Accept: 'application/json, application/problem+json' } });
}

// Post a multipart form of several fields (a voice's model and config files, its name).
export function postForm(path, fields) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value instanceof File) body.append(name, value, value.name);
    else if (value != null) body.append(name, value);
  }
  return send(path, { method: 'POST', body, headers: { Accept: 'application/json, application/problem+json' } });
}

// Fetch a media answer (the audio of a voice or music preview) as a Blob; a refusal throws an
// ApiError with its problem details, as `api` does.
export function fetchBlob(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { Accept: 'audio/*, image/*, application/problem+json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return send(path, init, { blob: true });
}

async function send(path, init, { blob = false } = {}) {
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError({
      title: 'Cannot reach the Reelforge engine',
      detail: error.message,
      remediation: 'Check that Reelforge is still running, then try again.',
    }, 0);
  }
  const isJson = /json/.test(response.headers.get('Content-Type') ?? '');
  if (blob && response.ok) return response.blob();
  const data = isJson ? await response.json() : await response.text();
  if (!response.ok) {
    const problem = isJson ? data : { title: `HTTP ${response.status}`, detail: data.slice(0, 300) };
    throw new ApiError(problem, response.status);
  }
  return data;
}

// The lines a person needs to understand and fix a problem, most important first.
export function problemLines(problem) {
  const detail = problem.detail ?? '';
  const lines = [[problem.title, detail].filter(Boolean).join(': ')];
  for (const { field, message } of problem.errors ?? []) {
    if (!detail.includes(message)) lines.push(`${field}: ${message}`);
  }
  const { allowed } = problem;
  if (allowed && !detail.includes(`${allowed.end} s`)) {
    lines.push(`Allowed: ${allowed.start} s to ${allowed.end} s.`);
  }
  if (problem.remediation) lines.push(problem.remediation);
  if (problem.correlationId) lines.push(`Reference: ${problem.correlationId}`);
  return lines;
}

// Events after which a job waits: it ended, or its script waits for review (`job-review`).
const TERMINAL = ['job-completed', 'job-failed', 'job-cancelled', 'job-review'];

// Follow a job's Server-Sent Events; returns a function that stops following. The stream is
// closed after a terminal event (otherwise EventSource would reconnect to a finished job).
// Handlers get the event's data and its id: a retried or continued job's history holds an old
// terminal event, after which the caller can follow again from that id (`?lastEventId=`).
export function follow(url, handlers, onLost) {
  const source = new EventSource(url);
  for (const [type, handler] of Object.entries(handlers)) {
    source.addEventListener(type, (event) => {
      if (TERMINAL.includes(type)) source.close();
      handler(JSON.parse(event.data), event.lastEventId);
    });
  }
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) onLost?.();
  });
  return () => source.close();
}

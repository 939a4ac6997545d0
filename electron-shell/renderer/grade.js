// Colour grade sliders for the selected segment, with a live (debounced) graded preview frame.
// Fields and ranges: docs/color-grade.md; 0 means unchanged.
import { api } from './api.js';
import { $, debounce, el, guarded } from './ui.js';

const FIELDS = [
  { key: 'brightness', label: 'Brightness', min: -1, max: 1, step: 0.01 },
  { key: 'contrast', label: 'Contrast', min: -1, max: 1, step: 0.01 },
  { key: 'saturation', label: 'Saturation', min: -1, max: 1, step: 0.01 },
  { key: 'temperature', label: 'Temperature', min: -1, max: 1, step: 0.01 },
  { key: 'gamma', label: 'Gamma', min: -1, max: 1, step: 0.01 },
  { key: 'hueShift', label: 'Hue shift (degrees)', min: -180, max: 180, step: 1 },
];

const sliders = {};
let segment = null;
let ticket = 0; // the latest preview request; older answers are dropped

export function initGrade(apply) {
  for (const { key, label, min, max, step } of FIELDS) {
    const id = `grade-${key}`;
    const input = el('input', { id, type: 'range', min, max, step, value: 0 });
    const output = el('output', { htmlFor: id, value: '0' });
    input.addEventListener('input', () => {
      output.value = input.value;
      preview();
    });
    sliders[key] = { input, output };
    $('#grade-sliders').append(el('label', { htmlFor: id, textContent: label }), input, output);
  }
  $('#grade-apply').addEventListener('click', guarded(() => apply(segment, grade())));
  $('#grade-reset').addEventListener('click', () => {
    setSliders({});
    preview();
  });
}

// Show the grade of `next` (a segment or nothing) on the sliders.
export function showGrade(next) {
  segment = next;
  ticket += 1;
  setSliders(segment?.grade ?? {});
  $('#grade-preview').hidden = true;
}

function setSliders(values) {
  for (const { key } of FIELDS) {
    const { input, output } = sliders[key];
    input.value = values[key] ?? 0;
    output.value = input.value;
  }
}

const grade = () => Object.fromEntries(FIELDS.map(({ key }) => [key, Number(sliders[key].input.value)]));

const preview = debounce(guarded(async () => {
  if (!segment) return;
  const mine = ++ticket;
  const { previewFrameUrl } = await api(`/api/segments/${segment.id}/grade-preview?width=480`, {
    method: 'POST',
    body: grade(),
  });
  if (mine !== ticket) return;
  $('#grade-preview').src = previewFrameUrl;
  $('#grade-preview').hidden = false;
}), 250);

// The brief form's voice, music and caption choices, each one heard or seen before the video is
// made: the narration voice (natural Piper voices first, espeak-ng's basic ones after) with a
// spoken sample at the form's rate and pitch; the music bed (automatic from the tone, none, a
// mood or one track) with a listen button; the caption style with a sample frame the backend
// draws at the form's preset. A Piper voice the user downloaded can be imported (and removed).
// A preview or an import that fails shows its problem next to its picker.
import { ApiError, api, fetchBlob, postForm, problemLines } from './api.js';
import { $, busy, el } from './ui.js';

const AUTO_VOICE = 'auto';
const VOICE_DEFAULTS = { rate: 175, pitch: 50 };
// The preset a render uses when the form leaves it to the aspect (as the backend does).
const ASPECT_PRESETS = { '16:9': '1080p', '9:16': 'vertical', '1:1': 'square' };
const PRESET_NAMES = { '1080p': '1080p', '720p': '720p', vertical: 'vertical 1080x1920', square: 'square 1080x1080' };

let voices = []; // GET /api/voices, natural voices first
let music = { tracks: [], moods: [] }; // GET /api/music

const form = () => $('#brief-form');
const capitalised = (text) => text.charAt(0).toUpperCase() + text.slice(1);
const minutes = (sec) => `${Math.floor(sec / 60)}:${String(Math.round(sec % 60)).padStart(2, '0')}`;

export function initPickers() {
  $('#voice-select').addEventListener('change', () => {
    clearSample($('#voice-picker'));
    describeVoice();
  });
  $('#voice-preview').addEventListener('click', previewVoice);
  $('#voice-file').addEventListener('change', (event) => {
    const files = [...event.target.files];
    event.target.value = '';
    importVoice(files);
  });
  $('#voice-remove').addEventListener('click', removeVoice);
  $('#music-select').addEventListener('change', () => {
    clearSample($('#music-picker'));
    describeMusic();
  });
  $('#music-preview').addEventListener('click', previewMusic);
  const captions = form().elements['render.captions'];
  for (const control of [$('#caption-style'), captions, form().elements['render.preset'], form().elements['plan.aspect']]) {
    control.addEventListener('change', showCaptionSample);
  }
  const sample = $('#caption-sample');
  sample.addEventListener('load', () => {
    $('#caption-status').textContent = '';
  });
  sample.addEventListener('error', () => captionSampleFailed(sample.getAttribute('src')));
  // A voice sample and a music sample do not play over each other.
  for (const audio of document.querySelectorAll('.picker audio')) {
    audio.addEventListener('play', () => {
      for (const other of document.querySelectorAll('.picker audio')) if (other !== audio) other.pause();
    });
  }
  showCaptionSample();
  return Promise.all([loadVoices(), loadMusic()]);
}

// --- shared: problems and playing a sample ---------------------------------------------------

function showProblem(box, error) {
  box.hidden = !error;
  if (!error) {
    box.replaceChildren();
    return;
  }
  const lines = error instanceof ApiError ? problemLines(error.problem) : [error.message];
  box.replaceChildren(...lines.map((line) => el('p', { textContent: line })));
}

// Put a picker's sample away (its choice changed, or a new sample failed): no stale player.
function clearSample(picker) {
  const audio = $('audio', picker);
  audio.pause();
  if (audio.src.startsWith('blob:')) URL.revokeObjectURL(audio.src);
  audio.removeAttribute('src');
  audio.load();
  audio.hidden = true;
  $('.status', picker).textContent = '';
  showProblem($('.problem', picker), null);
}

// Fetch a sample's audio and play it in the picker's <audio> (shown with its controls, so it
// can be paused or played again). The source is an object URL of the answer, so that a refusal
// arrives as problem details rather than as a bare media error.
async function play(picker, label, load) {
  const audio = $('audio', picker);
  const status = $('.status', picker);
  const problem = $('.problem', picker);
  const button = $('.preview', picker);
  showProblem(problem, null);
  status.textContent = `Preparing ${label}…`;
  button.disabled = true;
  picker.setAttribute('aria-busy', 'true');
  try {
    const blob = await load();
    if (audio.src.startsWith('blob:')) URL.revokeObjectURL(audio.src);
    audio.src = URL.createObjectURL(blob);
    audio.hidden = false;
    await audio.play().catch((error) => {
      // Refused autoplay still leaves the sample ready behind the player's own play button.
      if (error.name !== 'NotAllowedError') throw new Error(`The sample cannot be played: ${error.message}`);
    });
    status.textContent = audio.paused ? `Ready: ${label}. Use the player to listen.` : `Playing ${label}.`;
  } catch (error) {
    clearSample(picker);
    showProblem(problem, error);
  } finally {
    button.disabled = false;
    picker.removeAttribute('aria-busy');
  }
}

// --- voices ------------------------------------------------------------------------------------

async function loadVoices(chosenId = null) {
  try {
    const { voices: listed } = await api('/api/voices');
    const natural = listed.filter((voice) => voice.engine === 'piper');
    const basic = listed.filter((voice) => voice.engine !== 'piper')
      .sort((a, b) => basicName(a).localeCompare(basicName(b)));
    voices = [...natural, ...basic];
    const select = $('#voice-select');
    const chosen = chosenId ?? select.value;
    select.replaceChildren(
      el('option', { value: AUTO_VOICE, textContent: 'Best voice for the language' }),
      ...(natural.length ? [el('optgroup', { label: 'Natural voices (neural, Piper)' },
        ...natural.map((voice) => el('option', {
          value: voice.id,
          textContent: voice.builtin ? voice.name : `${voice.name}, imported as ${voice.id.replace(/^piper:/, '')}`,
        })))] : []),
      ...(basic.length ? [el('optgroup', { label: 'Basic voices (espeak-ng)' },
        ...basic.map((voice) => el('option', { value: voice.id, textContent: `${basicName(voice)}, basic` })))] : []),
    );
    select.value = voices.some((voice) => voice.id === chosen) ? chosen : AUTO_VOICE;
    showProblem($('#voice-problem'), null);
  } catch (error) {
    showProblem($('#voice-problem'), error);
  }
  describeVoice();
}

const basicName = (voice) => voice.name.replace(/\s*\(espeak-ng\)$/, '');

const briefLanguage = () => (form().elements['brief.language']?.value || 'en').toLowerCase();

function languageName() {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(briefLanguage());
  } catch {
    return briefLanguage();
  }
}

// The voice "auto" stands for: as the backend chooses, a natural voice for the brief's language
// (its region first), else a basic one.
function autoVoice() {
  const language = briefLanguage();
  const primary = language.split('-')[0];
  const speaks = (voice, exact) => (exact ? voice.language === language : voice.language.split('-')[0] === primary);
  const natural = voices.filter((voice) => voice.engine === 'piper');
  const basic = voices.filter((voice) => voice.engine !== 'piper');
  return natural.find((v) => speaks(v, true)) ?? natural.find((v) => speaks(v, false))
    ?? basic.find((v) => speaks(v, true)) ?? basic.find((v) => v.language === primary)
    ?? basic.find((v) => speaks(v, false)) ?? voices[0];
}

function selectedVoice() {
  const id = $('#voice-select').value;
  return id === AUTO_VOICE ? autoVoice() : voices.find((voice) => voice.id === id);
}

function describeVoice() {
  const voice = selectedVoice();
  const auto = $('#voice-select').value === AUTO_VOICE;
  $('#voice-preview').disabled = !voice;
  $('#voice-remove').hidden = auto || !voice || voice.builtin;
  $('#voice-info').textContent = !voice ? '' : [
    auto ? `For ${languageName()}: ${voice.name}` : voice.engine === 'piper' ? 'A natural (neural) voice' : 'A basic, robotic voice',
    voice.engine === 'piper' ? `${voice.quality} quality` : null,
    `${(voice.sampleRate / 1000).toLocaleString()} kHz`,
    voice.license ? `licence: ${voice.license}` : null,
  ].filter(Boolean).join(' · ');
}

// The form's speech rate and pitch when they are valid, else the voice's own.
function ratePitch() {
  const value = (name, min, max) => {
    const input = form().elements[name];
    const number = Number(input?.value);
    return input && input.value !== '' && Number.isInteger(number) && number >= min && number <= max
      ? number : VOICE_DEFAULTS[name.split('.')[1]];
  };
  return { rate: value('voice.rate', 80, 400), pitch: value('voice.pitch', 0, 100) };
}

function previewVoice() {
  const voice = selectedVoice();
  if (!voice) return;
  const { rate, pitch } = ratePitch();
  const standard = rate === VOICE_DEFAULTS.rate && pitch === VOICE_DEFAULTS.pitch && voice.previewUrl;
  play($('#voice-picker'), `a sample of ${voice.name}`, () => (standard
    ? fetchBlob(voice.previewUrl)
    : fetchBlob('/api/voices/preview', { method: 'POST', body: { voice: voice.id, rate, pitch } })));
}

// A downloaded Piper voice: its model (.onnx) and config (.onnx.json), chosen together. The
// backend checks both and has the voice speak a test sentence before it lists it.
async function importVoice(files) {
  const picker = $('#voice-picker');
  const status = $('#voice-status');
  showProblem($('#voice-problem'), null);
  const model = files.find((file) => /\.onnx$/i.test(file.name));
  const config = files.find((file) => /\.json$/i.test(file.name));
  if (!model) {
    status.textContent = 'Choose the voice\'s .onnx model file (and its .onnx.json config with it).';
    return;
  }
  status.textContent = `Checking ${model.name}: loading it and trying a sentence…`;
  picker.setAttribute('aria-busy', 'true');
  try {
    const voice = await busy($('#voice-file'), () => postForm('/api/voices', { model, config }));
    await loadVoices(voice.id);
    status.textContent = `Imported ${voice.name}. It is now the chosen voice.`;
  } catch (error) {
    status.textContent = '';
    showProblem($('#voice-problem'), error);
  } finally {
    picker.removeAttribute('aria-busy');
  }
}

async function removeVoice() {
  const voice = selectedVoice();
  if (!voice || voice.builtin) return;
  clearSample($('#voice-picker'));
  let failed = null;
  try {
    await busy($('#voice-remove'), () => api(`/api/voices/${encodeURIComponent(voice.id)}`, { method: 'DELETE' }));
  } catch (error) {
    failed = error;
  }
  await loadVoices(failed ? null : AUTO_VOICE);
  if (failed) showProblem($('#voice-problem'), failed);
  else $('#voice-status').textContent = `Removed ${voice.name}; the voice is chosen for the language again.`;
}

// --- music -------------------------------------------------------------------------------------

async function loadMusic() {
  try {
    const answer = await api('/api/music');
    const tracks = answer.tracks ?? [];
    const moods = [...new Set([...(answer.moods ?? []), ...tracks.map((track) => track.mood)])];
    music = { tracks, moods };
    const select = $('#music-select');
    const chosen = select.value;
    select.replaceChildren(
      el('option', { value: 'true', textContent: 'Automatic (from tone)' }),
      el('option', { value: 'false', textContent: 'No music' }),
      el('optgroup', { label: 'A mood (its track chosen for the video)' },
        ...moods.map((mood) => el('option', { value: mood, textContent: `${capitalised(mood)} (any ${mood} track)` }))),
      ...moods.map((mood) => el('optgroup', { label: `${capitalised(mood)} tracks` },
        ...tracks.filter((track) => track.mood === mood).map((track) => el('option', {
          value: track.id,
          textContent: [track.title, track.tempoBpm ? `${Math.round(track.tempoBpm)} BPM` : null,
            track.durationSec ? minutes(track.durationSec) : null].filter(Boolean).join(' · '),
        })))),
    );
    select.value = [...select.options].some((option) => option.value === chosen) ? chosen : 'true';
    showProblem($('#music-problem'), null);
  } catch (error) {
    showProblem($('#music-problem'), error);
  }
  describeMusic();
}

// The track the preview plays: the chosen track, or the first of the chosen mood.
function sampleTrack() {
  const value = $('#music-select').value;
  return music.tracks.find((track) => track.id === value)
    ?? music.tracks.find((track) => track.mood === value);
}

function describeMusic() {
  const value = $('#music-select').value;
  const track = sampleTrack();
  $('#music-preview').disabled = !track;
  let text = '';
  if (value === 'true') text = 'A track whose mood suits the brief\'s tone, ducked under the narration.';
  else if (value === 'false') text = 'The narration only.';
  else if (track && track.id === value) {
    text = [capitalised(track.mood), track.tempoBpm ? `${Math.round(track.tempoBpm)} BPM` : null, track.key,
      track.durationSec ? minutes(track.durationSec) : null, track.license ? `licence: ${track.license}` : null,
    ].filter(Boolean).join(' · ');
  } else if (track) text = `A ${value} track picked by the topic (the same one for every render of this brief). The preview plays ${track.title}.`;
  $('#music-info').textContent = text;
}

function previewMusic() {
  const track = sampleTrack();
  if (track) play($('#music-picker'), track.title, () => fetchBlob(track.previewUrl));
}

// --- caption style -----------------------------------------------------------------------------

function captionPreset() {
  const { elements } = form();
  return elements['render.preset'].value || ASPECT_PRESETS[elements['plan.aspect'].value] || '1080p';
}

function showCaptionSample() {
  const on = form().elements['render.captions'].checked;
  const select = $('#caption-style');
  select.disabled = !on;
  $('#caption-picker').classList.toggle('off', !on);
  const style = select.value;
  const preset = captionPreset();
  const url = `/api/captions/sample?style=${encodeURIComponent(style)}&preset=${encodeURIComponent(preset)}`;
  const img = $('#caption-sample');
  img.alt = `A sample frame with ${style} captions at ${PRESET_NAMES[preset] ?? preset}`;
  img.classList.toggle('tall', preset === 'vertical');
  if (img.getAttribute('src') === url) return;
  showProblem($('#caption-problem'), null);
  $('#caption-status').textContent = 'Drawing the sample frame…';
  img.hidden = false;
  img.src = url;
}

// An <img> says only that it failed: ask again to show the backend's problem details.
async function captionSampleFailed(url) {
  if (!url || $('#caption-sample').getAttribute('src') !== url) return;
  $('#caption-status').textContent = '';
  let error = new Error('The sample frame could not be shown.');
  try {
    await fetchBlob(url);
  } catch (refused) {
    error = refused;
  }
  if ($('#caption-sample').getAttribute('src') !== url) return;
  $('#caption-sample').hidden = true;
  showProblem($('#caption-problem'), error);
}

// The media library picker: a dialog listing the library's pictures and clips as thumbnails,
// with an upload button; it answers the scene visual the user chose ({assetId, fit}) or null.
import { api, upload } from './api.js';
import { $, el, report } from './ui.js';

const assets = new Map(); // id -> asset view, for the thumbnails of chosen visuals
let picked = null;
let settle = () => {};

export function initMedia() {
  const dialog = $('#media-dialog');
  $('#media-cancel').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => settle(null));
  $('#media-choose').addEventListener('click', () => {
    settle({ assetId: picked.id, fit: $('#media-fit').value });
    dialog.close();
  });
  $('#media-file').addEventListener('change', async (event) => {
    const [file] = event.target.files;
    event.target.value = '';
    if (!file) return;
    const status = $('#media-status');
    status.textContent = `Uploading ${file.name}…`;
    try {
      const { asset } = await upload('/api/assets', file);
      assets.set(asset.id, asset);
      status.textContent = `Added ${asset.name}.`;
      await list();
      select(asset);
    } catch (error) {
      status.textContent = `Could not use ${file.name}.`;
      report(error);
    }
  });
}

// Open the picker on `current` (a scene's visual or null); resolves with the choice or null.
export function chooseMedia(current) {
  const dialog = $('#media-dialog');
  picked = null;
  $('#media-choose').disabled = true;
  $('#media-fit').value = current?.fit ?? 'cover';
  $('#media-status').textContent = '';
  dialog.showModal();
  list().then(() => {
    if (current && assets.has(current.assetId)) select(assets.get(current.assetId));
  }).catch(report);
  return new Promise((resolve) => {
    settle = (choice) => {
      settle = () => {};
      resolve(choice);
    };
  });
}

// An asset's view (cached), for showing a chosen visual.
export async function assetOf(id) {
  if (!assets.has(id)) assets.set(id, await api(`/api/assets/${id}`));
  return assets.get(id);
}

async function list() {
  const { assets: found } = await api('/api/assets');
  const usable = found.filter((asset) => asset.kind === 'image' || asset.kind === 'video');
  for (const asset of usable) assets.set(asset.id, asset);
  $('#media-grid').replaceChildren(...(usable.length
    ? usable.map(tile)
    : [el('li', { className: 'muted', textContent: 'Your media library is empty: upload a picture or a clip.' })]));
}

function tile(asset) {
  return el('li', {},
    el('button', {
      type: 'button',
      className: 'tile',
      'aria-pressed': String(picked?.id === asset.id),
      'data-asset-id': asset.id,
      onclick: () => select(asset),
      ondblclick: () => {
        select(asset);
        $('#media-choose').click();
      },
    },
    thumbnail(asset),
    el('span', { className: 'tile-name', textContent: asset.name }),
    el('span', { className: 'muted', textContent: describe(asset) })));
}

export function thumbnail(asset) {
  return asset?.thumbnailUrl
    ? el('img', { src: asset.thumbnailUrl, alt: '', loading: 'lazy' })
    : el('span', { className: 'no-thumb', 'aria-hidden': 'true', textContent: asset?.kind === 'video' ? '▶' : '▨' });
}

export const describe = (asset) => (asset.kind === 'video'
  ? `clip, ${asset.duration.toFixed(1)} s`
  : `picture, ${asset.width}×${asset.height}`);

function select(asset) {
  picked = asset;
  $('#media-choose').disabled = false;
  for (const button of document.querySelectorAll('#media-grid .tile')) {
    button.setAttribute('aria-pressed', String(button.dataset.assetId === asset.id));
  }
  $(`#media-grid [data-asset-id="${asset.id}"]`)?.focus();
}

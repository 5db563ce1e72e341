// A capsule's files: browse directories, upload into the one shown, download and remove entries.
import { api, capsulePath, request, requestJson } from './api.js';
import { act, button, bytes, failed, field, h, table, time, toast } from './ui.js';

const HOME = '/root';

function parent(path) {
  const i = path.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function join(dir, name) {
  return (dir.endsWith('/') ? dir : dir + '/') + name;
}

/** Saves what {@code path} holds in the capsule as a download named {@code name}. */
async function download(capsuleId, path, name) {
  const r = await requestJson('POST', capsulePath(capsuleId, '/files/stream/read'), { path });
  const url = URL.createObjectURL(await r.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function filesPanel(capsuleId) {
  let dir = HOME;
  const where = h('input', { type: 'text', name: 'path', value: dir, 'aria-label': 'Directory', class: 'mono grow' });
  const rows = h('tbody', { id: 'file-rows' });
  const empty = h('p', { class: 'muted', id: 'no-files', hidden: true }, 'This directory is empty.');
  const chooser = h('input', { type: 'file', name: 'upload', multiple: true, 'aria-label': 'Files to upload' });

  async function list(path) {
    const { entries } = await api('POST', capsulePath(capsuleId, '/files/list'), { path });
    dir = path;
    where.value = path;
    entries.sort((a, b) => (b.type === 'directory') - (a.type === 'directory') || a.name.localeCompare(b.name));
    rows.replaceChildren(...entries.map(entryRow));
    empty.hidden = entries.length > 0;
  }

  function entryRow(e) {
    const name = e.type === 'directory'
      ? h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); list(e.path).catch(failed); } }, e.name + '/')
      : h('span', {}, e.name);
    const actions = [];
    if (e.type === 'file') actions.push(button('Download', () => download(capsuleId, e.path, e.name)));
    actions.push(button('Remove', async () => {
      if (!confirm('Remove ' + e.path + (e.type === 'directory' ? ' and everything in it' : '') + '?')) return;
      await api('POST', capsulePath(capsuleId, '/files/remove'), { path: e.path });
      await list(dir);
    }));
    return h('tr', { 'data-name': e.name, 'data-type': e.type },
      h('td', { class: 'mono' }, name, e.symlink_target ? h('span', { class: 'muted' }, ' → ' + e.symlink_target) : null),
      h('td', {}, e.type === 'file' ? bytes(e.size) : ''), h('td', { class: 'mono' }, e.permissions),
      h('td', {}, time(new Date(e.modified_at * 1000).toISOString().replace(/\.\d+Z$/, 'Z'))),
      h('td', { class: 'actions' }, actions));
  }

  const upload = h('button', { type: 'submit', id: 'upload' }, 'Upload');
  const uploadForm = h('form', {
    class: 'inline',
    id: 'upload-form',
    onsubmit: (ev) => {
      ev.preventDefault();
      act(upload, async () => {
        if (!chooser.files.length) throw new Error('Choose a file to upload first');
        for (const file of chooser.files) {
          const form = new FormData();
          form.append('path', join(dir, file.name));   // the path part comes first (api.md)
          form.append('file', file);
          await request('POST', capsulePath(capsuleId, '/files/stream/write'), form);
        }
        toast(chooser.files.length + ' file(s) uploaded to ' + dir);
        chooser.value = '';
        await list(dir);
      });
    },
  }, field('Upload into this directory', chooser), upload);

  const go = h('form', {
    class: 'inline',
    id: 'files-go',
    onsubmit: (ev) => { ev.preventDefault(); list(where.value.trim() || HOME).catch(failed); },
  }, where, h('button', { type: 'submit', class: 'quiet' }, 'Open'),
  button('Up', () => list(parent(dir))), button('Refresh', () => list(dir)));

  return {
    element: h('section', { class: 'panel', 'aria-labelledby': 'files-heading' }, h('h2', { id: 'files-heading' }, 'Files'),
      go, table('files', ['Name', 'Size', 'Mode', 'Modified', ''], rows), empty, uploadForm),
    load: () => list(dir),
  };
}

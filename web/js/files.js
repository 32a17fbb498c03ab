// A memo's attached files (docs/api.md, "Attachments"): the list every reader sees, with a
// download link for each, and the drafter's part of the editor, which sends each file in parts
// and resumes an upload that stopped (from the server's count of what arrived).
import { api, post } from './api.js';
import { h, clear } from './dom.js';
import { sentence } from './errors.js';
import { M } from './memo-common.js';

export function sizeText(n) {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

// The media type the server takes: lowercase, no parameters; octet-stream when unknown.
function mediaType(file) {
  const t = (file.type || '').toLowerCase().split(';')[0].trim();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/.test(t) ? t : 'application/octet-stream';
}

const contentUrl = (id, a) => `${M(id)}/attachments/${encodeURIComponent(a.id)}/content`;

// The files of a memo past its draft, or a draft read by a co-signer: what the signatures cover.
export function filesSection(m) {
  const files = m.attachments || [];
  if (!files.length) return null;
  return h('section', { 'aria-labelledby': 'h-files', id: 'files' },
    h('h2', { id: 'h-files' }, `Attached files (${files.length})`),
    h('p', { class: 'hint' }, m.state === 'draft'
      ? 'The drafter may still add or remove files until the text is finalized.'
      : 'The signatures cover each file\'s name, size and SHA-256 digest, listed with the text.'),
    h('ul', { class: 'file-list' }, files.map((a) => h('li', {},
      a.complete
        ? h('a', { href: contentUrl(m.id, a), download: a.name, class: 'file-name' }, a.name)
        : h('span', { class: 'file-name' }, a.name),
      ` — ${sizeText(a.size)}, ${a.type}`,
      a.complete ? null : ` (being sent: ${sizeText(a.received)} so far)`,
      h('br'), h('span', { class: 'mono digest small', title: 'SHA-256' }, `SHA-256 ${a.sha256}`)))));
}

// The drafter's files in the editor. @changed(): called after a file was added or removed (the
// memo's version moved on: the editor learns the new one before its next save). @exclusive(fn):
// runs fn, a change of the memo's version, with no save of the text under way meanwhile (the
// editor's saves wait for it, so that none goes out with the version from before).
export function filesEditor(memo, changed, exclusive = (fn) => fn()) {
  const id = memo.id;
  let files = memo.attachments || [];
  const chosen = new Map(); // file id -> the File chosen in this page (to resume with)
  const list = h('ul', { class: 'file-list', id: 'draft-files' });
  const status = h('div', { role: 'status', 'aria-live': 'polite', id: 'files-status' });
  const input = h('input', { type: 'file', multiple: true, id: 'file-input', class: 'visually-hidden', tabindex: '-1', 'aria-label': 'Choose files to attach' });
  const addBtn = h('button', { type: 'button', class: 'secondary', id: 'add-files' }, 'Add files…');
  addBtn.addEventListener('click', () => input.click());

  const say = (text, error = false) => {
    clear(status).append(h('p', { class: error ? 'error-msg' : 'note' }, text));
  };

  async function refresh() {
    const r = await api('GET', M(id));
    files = r.data.attachments || [];
    await changed(r.data);
    draw();
  }

  // Send @file from the server's count on; @progress shows how far.
  async function send(a, file, progress) {
    let at = a.received;
    const step = a.part_size;
    while (at < a.size) {
      const part = file.slice(at, Math.min(at + step, a.size));
      try {
        const r = await api('PUT', `${M(id)}/attachments/${encodeURIComponent(a.id)}?offset=${at}`, part);
        at = r.data.received;
      } catch (e) {
        if (e.code === 'offset_mismatch' && e.received !== null) { at = e.received; continue; }
        throw e;
      }
      progress.value = at;
      progress.textContent = `${Math.round((100 * at) / a.size)}%`;
    }
  }

  async function upload(file, existing = null) {
    const progress = h('progress', { max: String(file.size || 1), value: '0', 'aria-label': `Sending ${file.name}` });
    say(`Reading ${file.name}…`);
    status.append(progress);
    let a = existing;
    try {
      const digest = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
      if (a && digest !== a.sha256) {
        say(`${file.name} is not the file that was being sent (its content differs). Choose the same file, or remove the incomplete one and add this one.`, true);
        return;
      }
      if (!a) {
        a = await exclusive(async () => {
          const made = await post(`${M(id)}/attachments`, { name: file.name, type: mediaType(file), size: file.size, sha256: digest });
          await refresh();
          return made;
        });
      }
      chosen.set(a.id, file);
      say(`Sending ${file.name} (${sizeText(file.size)})…`);
      status.append(progress);
      await send(a, file, progress);
      chosen.delete(a.id);
      say(`${file.name} is attached.`);
    } catch (e) {
      say(a ? `${file.name} stopped before it was sent whole: ${sentence(e)} Use "Resume" to send the rest.` : `${file.name} was not added: ${sentence(e)}`, true);
    }
    // (a file whose bytes failed their check was removed by the server: the version moved)
    await exclusive(() => refresh()).catch(() => {});
  }

  async function remove(a) {
    await exclusive(async () => {
      let done = false;
      try {
        await api('DELETE', `${M(id)}/attachments/${encodeURIComponent(a.id)}`);
        chosen.delete(a.id);
        done = true;
      } catch (e) {
        say(`${a.name} was not removed: ${sentence(e)}`, true);
      }
      await refresh().catch(() => {});
      if (done) say(`${a.name} was removed.`);
    });
  }

  function resumeControl(a) {
    const file = chosen.get(a.id);
    if (file) return h('button', { type: 'button', class: 'secondary', onclick: () => upload(file, a) }, `Resume ${a.name}`);
    // after a reload the browser no longer holds the file: choose it again
    const again = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-label': `Choose ${a.name} again to resume` });
    again.addEventListener('change', () => { if (again.files[0]) upload(again.files[0], a); });
    return h('button', { type: 'button', class: 'secondary', onclick: () => again.click() }, `Resume ${a.name}…`, again);
  }

  function draw() {
    clear(list).append(...(files.length ? files.map((a) => h('li', {},
      a.complete ? h('a', { href: contentUrl(id, a), download: a.name, class: 'file-name' }, a.name) : h('span', { class: 'file-name' }, a.name),
      ` — ${sizeText(a.size)}, ${a.type}`,
      a.complete ? null : h('span', { class: 'badge state' }, ` incomplete: ${sizeText(a.received)} of ${sizeText(a.size)}`),
      h('span', { class: 'file-actions' },
        a.complete ? null : resumeControl(a),
        h('button', { type: 'button', class: 'secondary', onclick: () => remove(a) }, `Remove ${a.name}`))))
      : [h('li', { class: 'muted' }, 'No files attached.')]));
  }

  input.addEventListener('change', async () => {
    const picked = [...input.files];
    input.value = '';
    for (const f of picked) await upload(f); // one after the other: the server's order is theirs
  });
  draw();
  return h('section', { 'aria-labelledby': 'h-draft-files', class: 'draft-files' },
    h('h2', { id: 'h-draft-files' }, 'Attached files'),
    h('p', { class: 'hint', id: 'files-hint' }, 'Annexes such as cables or data. Each file is encrypted for the memo\'s readers as it is sent; its name, size and digest become part of the text everyone signs. Up to 25 MiB a file unless your organisation set another limit.'),
    list, h('div', { class: 'actions' }, addBtn, input), status);
}

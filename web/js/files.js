// A memo's attached files (docs/api.md, "Attachments"): the list every reader sees, with a
// download link for each, and the drafter's part of the editor, which sends each file in parts
// and resumes an upload that stopped (from the server's count of what arrived).
import { api, post } from './api.js';
import { h, clear } from './dom.js';
import { sentence } from './errors.js';
import { M } from './memo-common.js';
import { t, language } from './i18n.js';

// Numbers of a size as the language writes them, without a thousands separator ("1023 bytes",
// "1023.9 KiB"); KiB and MiB always with one decimal.
const whole = (x) => new Intl.NumberFormat(language(), { useGrouping: false }).format(x);
const tenths = (x) => new Intl.NumberFormat(language(), { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false }).format(x);

export function sizeText(n) {
  if (n < 1024) return t('files.size.bytes', { count: n, size: whole(n) });
  if (n < 1024 * 1024) return t('files.size.kib', { size: tenths(n / 1024) });
  return t('files.size.mib', { size: tenths(n / 1024 / 1024) });
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
    h('h2', { id: 'h-files' }, t('files.section.title', { count: files.length })),
    h('p', { class: 'hint' }, m.state === 'draft'
      ? t('files.section.draft')
      : t('files.section.signed')),
    h('ul', { class: 'file-list' }, files.map((a) => h('li', {},
      a.complete
        ? h('a', { href: contentUrl(m.id, a), download: a.name, class: 'file-name' }, a.name)
        : h('span', { class: 'file-name' }, a.name),
      ` ${t('files.meta', { size: sizeText(a.size), type: a.type })}`,
      a.complete ? null : ` ${t('files.partial', { size: sizeText(a.received) })}`,
      h('br'), h('span', { class: 'mono digest small', title: 'SHA-256' }, `SHA-256 ${a.sha256}`))))); // eslint-disable-line dissent/no-literal-text
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
  const input = h('input', { type: 'file', multiple: true, id: 'file-input', class: 'visually-hidden', tabindex: '-1', 'aria-label': t('files.choose') });
  const addBtn = h('button', { type: 'button', class: 'secondary', id: 'add-files' }, t('files.add'));
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
      progress.textContent = t('files.percent', { percent: Math.round((100 * at) / a.size) });
    }
  }

  async function upload(file, existing = null) {
    const progress = h('progress', { max: String(file.size || 1), value: '0', 'aria-label': t('files.sendingLabel', { name: file.name }) });
    say(t('files.reading', { name: file.name }));
    status.append(progress);
    let a = existing;
    try {
      const digest = hex(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()));
      if (a && digest !== a.sha256) {
        say(t('files.differs', { name: file.name }), true);
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
      say(t('files.sending', { name: file.name, size: sizeText(file.size) }));
      status.append(progress);
      await send(a, file, progress);
      chosen.delete(a.id);
      say(t('files.attached', { name: file.name }));
    } catch (e) {
      say(t(a ? 'files.stopped' : 'files.notAdded', { name: file.name, reason: sentence(e) }), true);
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
        say(t('files.notRemoved', { name: a.name, reason: sentence(e) }), true);
      }
      await refresh().catch(() => {});
      if (done) say(t('files.removed', { name: a.name }));
    });
  }

  function resumeControl(a) {
    const file = chosen.get(a.id);
    if (file) return h('button', { type: 'button', class: 'secondary', onclick: () => upload(file, a) }, t('files.resume', { name: a.name }));
    // after a reload the browser no longer holds the file: choose it again
    const again = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-label': t('files.chooseAgain', { name: a.name }) });
    again.addEventListener('change', () => { if (again.files[0]) upload(again.files[0], a); });
    return h('button', { type: 'button', class: 'secondary', onclick: () => again.click() }, t('files.resumeChoose', { name: a.name }), again);
  }

  function draw() {
    clear(list).append(...(files.length ? files.map((a) => h('li', {},
      a.complete ? h('a', { href: contentUrl(id, a), download: a.name, class: 'file-name' }, a.name) : h('span', { class: 'file-name' }, a.name),
      ` ${t('files.meta', { size: sizeText(a.size), type: a.type })}`,
      a.complete ? null : h('span', { class: 'badge state' }, ` ${t('files.incomplete', { received: sizeText(a.received), size: sizeText(a.size) })}`),
      h('span', { class: 'file-actions' },
        a.complete ? null : resumeControl(a),
        h('button', { type: 'button', class: 'secondary', onclick: () => remove(a) }, t('files.remove', { name: a.name })))))
      : [h('li', { class: 'muted' }, t('files.none'))]));
  }

  input.addEventListener('change', async () => {
    const picked = [...input.files];
    input.value = '';
    for (const f of picked) await upload(f); // one after the other: the server's order is theirs
  });
  draw();
  return h('section', { 'aria-labelledby': 'h-draft-files', class: 'draft-files' },
    h('h2', { id: 'h-draft-files' }, t('files.title')),
    h('p', { class: 'hint', id: 'files-hint' }, t('files.hint')),
    list, h('div', { class: 'actions' }, addBtn, input), status);
}

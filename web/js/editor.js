// Drafting that cannot lose text: a new memo, and the draft editor with a live preview beside the
// text, saving shortly after each change and when a field loses the focus, a warning before
// leaving with unsaved changes (closing the tab, or moving elsewhere in the app), and, when the
// session ended, the text kept on the page with a way to sign in again without leaving it.
// The text lives only in the page and on the server: never in localStorage or sessionStorage.
import { api, get, post } from './api.js';
import { h, field, check, clear } from './dom.js';
import { app, page, go, guardLeave, provided, reauth } from './shell.js';
import { sentence } from './errors.js';
import { confirmStep } from './dialog.js';
import { M, renderInto, showOnMemo, can } from './memo-common.js';
import { stateBadge } from './memo-status.js';
import { failed, done, clearErrors } from './actionbar.js';
import { filesEditor } from './files.js';
import { t, language } from './i18n.js';

const SAVE_DELAY = 1000;
const PREVIEW_DELAY = 400;

// ---- the unsaved-changes guard ----
// The editor on screen, when there is one: {hash, dirty(), busy(), flush(), focus()}.
let guard = null;

// Asked before leaving the editor: true when nothing is unsaved (after letting a save under way
// finish), else the user chooses in a dialog.
async function mayLeave(g) {
  if (!g.dirty() && g.busy()) {
    try { await g.flush(); } catch { /* asked below */ }
  }
  if (!g.dirty() && !g.busy()) { if (guard === g) guard = null; return true; }
  const leave = await confirmStep({
    title: t('editor.leave.title'),
    text: [t('editor.leave.unsaved'), t('editor.leave.lost')],
    confirm: t('editor.leave.confirm'), cancel: t('editor.leave.stay'), danger: true,
  });
  if (leave) { if (guard === g) guard = null; return true; }
  g.focus();
  g.flush().catch(() => {});
  return false;
}

// The app asks registered guards before a move inside it (app.js guardLeave); without that, a
// capturing listener on the target runs before the app's own and holds the move back.
const appGuards = () => provided('guardLeave');
function setGuard(g) {
  guard = g;
  if (appGuards()) guardLeave(g ? () => mayLeave(g) : null, g ? () => g.dirty() || g.busy() : null);
}

window.addEventListener('hashchange', async (ev) => {
  const g = guard;
  if (!g || appGuards()) return;
  if (location.hash === g.hash) return;
  if (!g.dirty() && !g.busy()) { guard = null; return; }
  ev.stopImmediatePropagation();
  const target = location.hash;
  history.replaceState(null, '', g.hash);
  if (await mayLeave(g)) location.hash = target;
}, true);

window.addEventListener('beforeunload', (ev) => {
  if (!appGuards() && guard && (guard.dirty() || guard.busy())) {
    ev.preventDefault();
    ev.returnValue = '';
  }
});

// A message for the editor's next drawing (after creating the draft).
let note = null;

export async function newMemo() {
  setGuard(null);
  // the channel it is filed to, among those the drafter may file to, when the deployment runs
  // more than one (docs/channels.md)
  const mine = (await get('/api/v1/channels')).channels.filter((c) => c.may_file !== false);
  if (!mine.length) { page(t('editor.new.title'), h('p', { class: 'note' }, t('editor.new.noChannel'))); return; }
  const channel = mine.length > 1
    ? h('select', { 'data-field': 'channel', id: 'new-channel' },
      mine.map((c) => h('option', { value: c.slug }, c.name || c.slug)))
    : null;
  const title = h('input', { type: 'text', required: true, maxlength: 300, 'data-field': 'title', id: 'new-title' });
  const body = h('textarea', { rows: 14, 'data-field': 'body', id: 'new-body' });
  const btn = h('button', { type: 'submit' }, t('editor.new.create'));
  const form = h('form', { 'aria-label': t('editor.new.title'), novalidate: true },
    channel ? field(t('editor.new.channel'), channel, t('editor.new.channelHint')) : null,
    field(t('editor.title'), title, t('editor.new.titleHint')),
    field(t('editor.text'), body, t('editor.new.textHint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!title.value.trim()) { failed(form, { field: 'title' }, t('editor.new.noTitle')); return; }
    btn.disabled = true;
    try {
      const m = await post('/api/v1/memos', { title: title.value, body: body.value, channel: channel ? channel.value : mine[0].slug });
      note = { id: m.id, text: t('editor.new.created') };
      go(`#/memo/${m.id}/edit`);
    } catch (e) {
      btn.disabled = false;
      failed(form, e);
    }
  });
  page(t('editor.new.title'), h('p', {}, t('editor.new.intro')), form);
}

// a version number as the language writes numbers, without a thousands separator ("version 1234")
const vers = (n) => new Intl.NumberFormat(language(), { useGrouping: false }).format(n);
// the browser's own time of day, hours and minutes, as the language in use writes them
const clock = () => new Intl.DateTimeFormat(language(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());

export async function editor(id) {
  const [r, { channels: chans }] = await Promise.all([api('GET', M(id)), get('/api/v1/channels')]);
  const memo = r.data;
  if (!can(memo, 'edit')) { setGuard(null); go(`#/memo/${id}`); return; }
  let version = memo.version;
  let timer = null;
  let ptimer = null;
  let saving = null;
  let fileOp = null; // a file being added or removed (the memo's version moves): saves wait
  let dirty = false;
  let lastError = null;
  const title = h('input', { type: 'text', required: true, maxlength: 300, value: memo.title || '', 'data-field': 'title', id: 'draft-title' });
  const body = h('textarea', { rows: 18, value: memo.body || '', 'data-field': 'body', id: 'draft-body' });
  const names = h('input', { type: 'checkbox', checked: memo.show_signer_names, 'data-field': 'show_signer_names', id: 'draft-names' });
  // its channel, until it is filed, among those the drafter may file to (and its own)
  const current = chans.find((c) => c.number === memo.channel);
  const choices = chans.filter((c) => c.may_file !== false || c === current);
  let savedChannel = current ? current.slug : null;
  const channel = chans.length > 1 && choices.length > 1
    ? h('select', { 'data-field': 'channel', id: 'draft-channel' },
      choices.map((c) => h('option', { value: c.slug, selected: c === current }, c.name || c.slug)))
    : null;
  const namesHint = h('p', { class: 'hint', id: 'draft-names-hint' });
  names.setAttribute('aria-describedby', namesHint.id);
  const showNames = () => {
    namesHint.textContent = names.checked
      ? t('editor.names.on')
      : t('editor.names.off');
  };
  showNames();
  const status = h('div', { class: 'status save-status', role: 'status', 'aria-live': 'polite', id: 'save-status' }, t('editor.status.version', { version: vers(version) }));
  // the spillage guard (docs/api.md, "Finalize"): a classification marking is said as it is
  // typed; finalizing refuses the memo while one is there
  const warning = h('div', { role: 'status', 'aria-live': 'polite', id: 'marking-warning' });
  let fileNames = (memo.attachments || []).map((a) => a.name);
  const checkMarkings = () => {
    const markings = (app.me && app.me.refuse_markings) || [];
    // [where (editor.marking.in.WHERE), its text, the message's other placeholders]
    const where = [['title', title.value, {}], ['body', body.value, {}], ...fileNames.map((n) => ['file', n, { name: n }])];
    let hit = null;
    for (const mk of markings) {
      const w = where.find(([, text]) => text.includes(mk));
      if (w) { hit = [mk, w[0], w[2]]; break; }
    }
    clear(warning);
    if (hit) {
      warning.append(h('p', { class: 'warning-msg' }, h('strong', {}, t('editor.marking.label'), ' '),
        `${t(`editor.marking.in.${hit[1]}`, { ...hit[2], marking: hit[0] })} ${t('editor.marking.advice')}`));
    }
  };
  const preview = h('div', { class: 'memo-body preview', id: 'preview', 'aria-live': 'polite' });
  const form = h('form', { 'aria-label': t('editor.form'), novalidate: true, onsubmit: (ev) => ev.preventDefault() });

  const ended = () => !!lastError && lastError.code === 'unauthorized';
  function setStatus(...parts) { status.replaceChildren(...parts.flat().filter(Boolean).map((p) => (typeof p === 'string' ? document.createTextNode(p) : p))); }

  // After a failed save: what happened, that the text is still here, and what to do.
  function saveFailed(e, explicit) {
    if (e && e.code === 'unauthorized') {
      // already said: keep the buttons where they are (they may be under the pointer)
      if (status.querySelector('#save-error.session-ended')) return;
      const retry = h('button', { type: 'button', class: 'secondary', onclick: () => save({ explicit: true }).catch(() => {}) }, t('editor.retry'));
      const again = provided('reauth')
        ? h('button', { type: 'button', onclick: async () => { if (await reauth()) save({ explicit: true }).catch(() => {}); } }, t('editor.signIn'))
        : h('a', { href: '#/signin', target: '_blank', rel: 'noopener' }, t('editor.signInTab'));
      setStatus(h('p', { class: 'error-msg session-ended', id: 'save-error' }, t('editor.notSaved.ended')),
        h('div', { class: 'actions' }, again, retry));
      if (explicit) status.querySelector('.error-msg').setAttribute('tabindex', '-1');
      if (explicit) status.querySelector('.error-msg').focus();
      return;
    }
    if (e && e.field && (e.field === 'title' || e.field === 'body')) {
      if (explicit) {
        setStatus(h('p', { class: 'error-msg', id: 'save-error' }, t(e.field === 'title' ? 'editor.notSaved.title' : 'editor.notSaved.body')));
        failed(form, e);
      } else {
        setStatus(h('p', { class: 'error-msg', id: 'save-error' }, t('editor.notSaved.error', { reason: sentence(e) })));
      }
      return;
    }
    setStatus(h('p', { class: 'error-msg', id: 'save-error' }, t(e && e.code === 'version_mismatch' ? 'editor.notSaved.reload' : 'editor.notSaved.error', { reason: sentence(e) })));
    if (explicit) { const m = status.querySelector('.error-msg'); m.setAttribute('tabindex', '-1'); m.focus(); }
  }

  async function save({ explicit = false } = {}) {
    for (;;) {
      while (fileOp) { try { await fileOp; } catch { /* said by the files' part */ } }
      if (saving) { try { await saving; } catch { /* saved again below */ } }
      if (!fileOp && !saving) break;
    }
    clearTimeout(timer);
    if (!dirty) return;
    dirty = false;
    const snap = { title: title.value, body: body.value, show_signer_names: names.checked };
    if (channel && channel.value !== savedChannel) snap.channel = channel.value;
    if (!ended()) setStatus(t('editor.saving')); // after the session ended, the way back stays in view
    saving = (async () => {
      try {
        const res = await api('PATCH', M(id), snap, { 'If-Match': `"${version}"` });
        version = res.data.version;
        if (snap.channel) savedChannel = snap.channel;
        lastError = null;
        clearErrors(form);
        setStatus(t('editor.saved', { time: clock(), version: vers(version) }));
      } catch (e) {
        dirty = true;
        lastError = e;
        saveFailed(e, explicit);
        throw e;
      } finally {
        saving = null;
      }
    })();
    return saving;
  }

  const schedulePreview = () => {
    clearTimeout(ptimer);
    ptimer = setTimeout(() => renderInto(preview, body.value, t('editor.preview.empty')), PREVIEW_DELAY);
  };
  // While the session is over, the message with its way back stays in view (saving goes on
  // trying, so that a sign-in made elsewhere, such as the app's own dialog, is used at once).
  const changed = () => {
    dirty = true;
    clearTimeout(timer);
    if (!ended()) setStatus(t('editor.unsaved'));
    timer = setTimeout(() => save().catch(() => {}), SAVE_DELAY);
  };
  title.addEventListener('input', changed);
  title.addEventListener('input', checkMarkings);
  body.addEventListener('input', checkMarkings);
  body.addEventListener('input', () => { changed(); schedulePreview(); });
  names.addEventListener('change', () => { showNames(); changed(); });
  if (channel) channel.addEventListener('change', changed);
  for (const el of [title, body]) el.addEventListener('blur', () => { if (dirty) save().catch(() => {}); });

  const saveBtn = h('button', { type: 'button', class: 'secondary', onclick: () => { dirty = true; save({ explicit: true }).catch(() => {}); } }, t('editor.saveNow'));
  const finBtn = h('button', { type: 'button' }, t('editor.finalize.button'));
  finBtn.addEventListener('click', async () => {
    const ok = await confirmStep({
      title: t('editor.finalize.title'), confirm: t('editor.finalize.confirm'),
      text: [t('editor.finalize.frozen'), t('editor.finalize.reopen')],
    });
    if (!ok) return;
    try {
      if (dirty || saving) await save({ explicit: true });
    } catch { return; }
    finBtn.disabled = true;
    try {
      await post(`${M(id)}/finalize`);
    } catch (e) {
      finBtn.disabled = false;
      failed(form, e);
      return;
    }
    setGuard(null);
    showOnMemo(id, t('editor.finalized'));
    go(`#/memo/${id}`);
  });

  form.append(
    field(t('editor.title'), title),
    h('div', { class: 'side-by-side editor-grid' },
      h('div', { class: 'text-col' }, field(t('editor.text'), body, t('editor.textHint')), warning),
      h('section', { class: 'preview-col', 'aria-labelledby': 'h-preview' }, h('h2', { id: 'h-preview' }, t('editor.preview')), preview)),
    check(t('editor.names.label'), names), namesHint,
    channel ? field(t('editor.new.channel'), channel, t('editor.new.channelHint')) : null,
    status,
    h('div', { class: 'actions' }, saveBtn, finBtn));
  // a file added or removed moves the memo's version: what is typed is saved first, with the
  // version it knows; no save goes out while the file changes; the new version is learnt after
  const files = filesEditor(memo, async (m) => {
    version = m.version;
    if (!dirty && !saving && !ended()) setStatus(t('editor.status.version', { version: vers(version) }));
    fileNames = (m.attachments || []).map((a) => a.name);
    checkMarkings();
  }, async (fn) => {
    for (;;) {
      while (fileOp) { try { await fileOp; } catch { /* its own message */ } }
      if (dirty || saving) { try { await save(); } catch { /* said in the status */ } }
      if (!fileOp && !saving) break;
    }
    const op = fn(); // runs to its first request before anything else can start
    fileOp = op;
    try { return await op; } finally { if (fileOp === op) fileOp = null; }
  });
  page(t('editor.edit.title'),
    h('p', {}, stateBadge('draft'), ' ', t('editor.edit.intro')),
    form, files);
  setGuard({
    hash: location.hash,
    dirty: () => dirty,
    busy: () => !!saving,
    flush: () => (dirty || saving ? save() : Promise.resolve()),
    focus: () => body.focus(),
  });
  if (note && note.id === id) done(form, note.text);
  note = null;
  renderInto(preview, body.value, t('editor.preview.empty'));
  checkMarkings();
}

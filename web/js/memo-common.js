// What the memo page, the editor and the officer's actions share: the memo's API path, the
// server's rendering of CommonMark, colleagues' names, the actions the server offers, and the
// usernames form under the action bar.
import { get, post } from './api.js';
import { h, field, clear, suggest } from './dom.js';
import { failed } from './actionbar.js';
import { t } from './i18n.js';

export const M = (id) => `/api/v1/memos/${encodeURIComponent(id)}`;
export const names = (s) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

// CommonMark rendered by the server (cmark, safe mode) into @target. Returns false when the
// server could not render it (the source is shown instead).
export async function renderInto(target, source, empty = t('memo.empty')) {
  if (!source) { clear(target).append(h('p', { class: 'muted' }, empty)); return true; }
  try {
    const r = await post('/api/v1/preview', { body: source });
    target.innerHTML = r.html; // cmark safe mode: no raw HTML, no unsafe links
    return true;
  } catch {
    clear(target).append(h('pre', {}, source));
    return false;
  }
}

// Colleagues holding @role whose username starts with, or name contains, @q.
export const findColleagues = (q, role) =>
  get(`/api/v1/users/search?role=${role}&q=${encodeURIComponent(q)}`).then((r) => r.users);

// A message left for the next drawing of a memo page (after a move from the editor): the text for
// memo @id, or null; clearShown() once the page is drawn.
let pending = null;
export function showOnMemo(id, text) { pending = { id, text }; }
export const shownFor = (id) => (pending && pending.id === id ? pending.text : null);
export function clearShown() { pending = null; }

// Whether the server offers @action on memo @m to this reader (the memo's "actions",
// docs/api.md): every button on a memo is drawn from that list, never from its state.
export const can = (m, action) => (m.actions || []).includes(action);

// A usernames form under the bar: invite co-signers, distribute to principals.
export function namesForm(bar, { heading, label, hint, submit, role, send, msg, id }) {
  const input = h('input', { type: 'text', autocapitalize: 'none', id, 'data-field': 'usernames', autocomplete: 'off' });
  const btn = h('button', { type: 'submit' }, submit);
  const form = h('form', { 'aria-label': heading }, field(label, input, hint), suggest(input, (q) => findColleagues(q, role)), h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const list = names(input.value);
    if (!list.length) { failed(form, { field: 'usernames' }, t('memo.usernames.empty')); return; }
    bar.submit(form, () => send(list), msg, btn);
  });
  return form;
}

// The shell every page shares: who is signed in, notices, drawing a page, and what to do with an
// error no form claimed. Feature modules import this, never app.js (the router, which imports
// every feature): what they need of the router (go, reauth, refreshCounts, guardLeave) app.js
// provides here when it starts, so that no module imports another in a circle.
import { ApiError } from './api.js';
import { sentence } from './errors.js';
import { h, clear, day } from './dom.js';
import { t, parts } from './i18n.js';

export const app = { me: null };
const main = document.getElementById('main');

const hooks = {};
// Called once by app.js with its go, reauth, refreshCounts and guardLeave.
export function provide(fns) { Object.assign(hooks, fns); }
// Whether the router provided @name (a page without app.js has none of them).
export const provided = (name) => typeof hooks[name] === 'function';
export const go = (...a) => hooks.go(...a);
export const reauth = (...a) => hooks.reauth(...a);
export const refreshCounts = (...a) => hooks.refreshCounts(...a);
export const guardLeave = (...a) => hooks.guardLeave(...a);

// ---- notices ----
// A notice is shown under the page's title, where the eye is after a navigation, and stays
// there until the user moves to another page (one-time notices such as "a recovery code was
// used" are not wiped by the navigation that follows them).
let pending = null;

function showNotice(n) {
  let el = main.querySelector(':scope > .page-msg');
  if (!n || !n.text) { if (el) el.remove(); return; }
  if (!el) {
    el = h('p', { class: 'page-msg', tabindex: '-1' });
    const h1 = main.querySelector(':scope > h1');
    if (h1) h1.after(el); else main.prepend(el);
  }
  el.className = `page-msg ${n.ok ? 'done-msg' : 'error-msg'}`;
  el.setAttribute('role', n.ok ? 'status' : 'alert');
  el.textContent = n.text;
  if (!n.ok) el.focus();
}

// flash(text, ok): a notice on the current page (an error unless @ok). flash('') removes it.
export function flash(msg, ok = false) {
  showNotice(msg ? { text: msg, ok } : null);
}

// A notice for the next page drawn (after a navigation this code starts).
export function notice(text, ok = true) { pending = { text, ok }; }

// What to do with an error no form claimed: the session's end opens the sign-in dialog (the
// page and anything typed in it stay), enrolment sends to the account page, the rest is a
// notice in plain words.
export function fail(e) {
  if (e instanceof ApiError && e.status === 401 && e.code === 'unauthorized') {
    reauth().then((ok) => { if (ok) flash(t('shell.signedInAgain'), true); });
    return;
  }
  if (e instanceof ApiError && (e.code === 'totp_enrolment_required' || e.code === 'password_change_required')) {
    // Only a move to the account page, never a redraw of it: the account page itself must not
    // fetch what needs two-factor sign-in, or each redraw would fail and redraw again.
    if (location.hash !== '#/account') { notice(sentence(e), false); go('#/account'); } else flash(sentence(e));
    return;
  }
  flash(sentence(e));
}
export const has = (role) => !!app.me && app.me.roles.includes(role);

// Render a page: title (focused, so keyboard and screen reader users land on it) and content.
// An administrator's reset is told to its user on every page until the officers have confirmed
// the account and shared its memos again (docs/security.md).
function resetNote() {
  const r = app.me && app.me.reset;
  if (!r || !r.pending) return null;
  let back = 'shell.reset.shareAgain';
  if (r.held) back = r.confirmations_required === 1 ? 'shell.reset.heldOne' : (r.confirmations ? 'shell.reset.heldTwoOneHas' : 'shell.reset.heldTwo');
  return h('p', { class: 'note', role: 'note', id: 'reset-note' },
    t('shell.reset.when', { date: day(String(r.at).slice(0, 10)) }), ' ', t(back), ' ',
    parts('shell.reset.fingerprint', { fingerprint: h('strong', { class: 'mono', id: 'reset-fingerprint' }, r.fingerprint || '') }));
}

export function page(title, ...content) {
  clear(main);
  const h1 = h('h1', { tabindex: '-1' }, title);
  main.append(h1, ...[resetNote()].filter(Boolean), ...content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  document.title = t('shell.title', { title });
  h1.focus();
  if (pending) { const n = pending; pending = null; showNotice(n); }
  return main;
}

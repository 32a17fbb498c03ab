// The single page app: session, navigation by role, hash routes, messages.
import { api, ApiError, describe } from './api.js';
import { sentence } from './errors.js';
import { h, field, clear, setZone } from './dom.js';
import { editor, memoPage, newMemo } from './memos.js';
import { myMemos, principalList, inbox } from './queue.js';
import { dashboard } from './stats.js';
import { admin } from './admin.js';
import { totpSection } from './totp.js';
import { notificationsSection } from './notify.js';

export const app = { me: null };
const main = document.getElementById('main');
const flashEl = document.getElementById('flash');
// A non-secret hint that a session cookie (HttpOnly, unseen here) probably exists, so that a
// visitor who never signed in is not greeted by a 401.
const HINT = 'dissent.signed-in';

export function flash(msg, ok = false) {
  flashEl.className = ok ? 'ok' : '';
  flashEl.setAttribute('role', ok ? 'status' : 'alert');
  flashEl.textContent = msg || '';
}
export function fail(e) {
  if (e instanceof ApiError && e.status === 401 && e.code === 'unauthorized') {
    signedOut();
    flash('Your session has ended. Please sign in again.');
    return;
  }
  if (e instanceof ApiError && e.code === 'totp_enrolment_required') {
    // Only a move to the account page, never a redraw of it: the account page itself must not
    // fetch what needs two-factor sign-in, or each redraw would fail and redraw again.
    if (location.hash !== '#/account') go('#/account');
    flash(describe(e));
    return;
  }
  flash(describe(e));
}
export const has = (role) => !!app.me && app.me.roles.includes(role);

function signedOut() {
  app.me = null;
  localStorage.removeItem(HINT);
  renderChrome();
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

// Render a page: title (focused, so keyboard and screen reader users land on it) and content.
export function page(title, ...content) {
  clear(main);
  const h1 = h('h1', { tabindex: '-1' }, title);
  main.append(h1, ...content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  document.title = `${title} – Dissent`;
  h1.focus();
  return main;
}

const NAV = [
  ['staff', '#/memos', 'My memos'],
  ['staff', '#/new', 'New memo'],
  ['officer', '#/inbox', 'Officer inbox'],
  ['principal', '#/reading', 'For my reading'],
  ['auditor', '#/stats', 'Statistics'],
  ['admin', '#/admin', 'Accounts'],
];

function renderChrome() {
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  if (!app.me) return;
  for (const [role, href, text] of NAV) if (has(role)) nav.append(h('a', { href }, text));
  who.append(
    h('a', { href: '#/account', title: 'Your account' }, app.me.display_name || app.me.username),
    h('button', { class: 'secondary', type: 'button', onclick: signOut }, 'Sign out'));
  markCurrent();
}

function markCurrent() {
  for (const a of document.querySelectorAll('#nav a')) {
    if (location.hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  try { await api('DELETE', '/api/v1/session'); } catch (e) { /* signed out either way */ }
  flash('You are signed out.', true);
  signedOut();
}

// An account whose role requires two-factor sign-in starts on its account page until it is on.
const mustEnrol = () => !!app.me && !!app.me.totp && app.me.totp.required && !app.me.totp.enabled;

function home() {
  if (mustEnrol()) return '#/account';
  if (has('staff')) return '#/memos';
  if (has('officer')) return '#/inbox';
  if (has('principal')) return '#/reading';
  if (has('auditor')) return '#/stats';
  if (has('admin')) return '#/admin';
  return '#/account';
}

function signIn() {
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const btn = h('button', { type: 'submit' }, 'Sign in');
  // shown when the server answers totp_required: a code from the app, or a recovery code
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', autocapitalize: 'none', maxlength: 64, size: 20 });
  const codeField = field('Code from your authenticator app', code, 'Six digits, or one of your recovery codes.');
  codeField.hidden = true;
  const form = h('form', { 'aria-label': 'Sign in' }, field('Username', user), field('Password', pass), codeField, btn);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    flash('');
    try {
      const body = { username: user.value.trim(), password: pass.value };
      const c = code.value.trim();
      if (!codeField.hidden && c) {
        if (/^[0-9 ]+$/.test(c)) body.totp = c.replace(/ /g, '');
        else body.recovery_code = c;
      }
      const r = await api('POST', '/api/v1/session', body);
      app.me = (await api('GET', '/api/v1/me')).data;
      setZone(app.me.timezone);
      if (r.data.recovery_codes_left !== undefined) flash(`A recovery code was used: ${r.data.recovery_codes_left} left.`, true);
      localStorage.setItem(HINT, '1');
      renderChrome();
      if (r.data.recovery_key) showRecovery(r.data);
      else location.hash = home();
    } catch (e) {
      if (e.code === 'totp_required' || e.code === 'totp_invalid') {
        codeField.hidden = false;
        flash(e.code === 'totp_required' ? 'Enter the code from your authenticator app.' : describe(e));
        code.value = '';
        code.focus();
        return;
      }
      fail(e);
      pass.focus();
    } finally {
      btn.disabled = false;
    }
  });
  page('Sign in', h('p', {}, 'Sign in with the account your administrator gave you.'), form);
  user.focus();
}

function showRecovery(d) {
  const ack = h('input', { type: 'checkbox' });
  const go = h('button', { type: 'button', disabled: true, onclick: () => { location.hash = home(); } }, 'Continue');
  ack.addEventListener('change', () => { go.disabled = !ack.checked; });
  ack.id = 'recovery-ack';
  page('Your recovery key',
    h('div', { class: 'warning', role: 'alert' },
      h('p', {}, h('strong', {}, 'Shown only once. '), d.recovery_notice ||
        'Write this recovery key down now and keep it somewhere safe.'),
      h('p', {}, 'If you forget your password, this key is the only way to reset it without losing access to your memos. Nobody, not even an administrator, can show it to you again.')),
    h('pre', { class: 'recovery-key', 'aria-label': 'Recovery key', id: 'recovery-key' }, d.recovery_key),
    h('div', { class: 'field' }, h('label', { class: 'check', for: 'recovery-ack' }, ack, 'I have written down my recovery key')),
    h('div', { class: 'actions' }, go));
}

function account() {
  const me = app.me;
  const cur = h('input', { type: 'password', autocomplete: 'current-password', required: true });
  const nw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const form = h('form', { 'aria-label': 'Change password' }, h('h2', {}, 'Change your password'),
    field('Current password', cur), field('New password', nw, 'At least 8 characters. You keep access to your memos; every session ends.'),
    h('button', { type: 'submit' }, 'Change password'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/api/v1/me/password', { current_password: cur.value, new_password: nw.value });
      flash('Password changed. Please sign in again.', true);
      app.me = null;
      localStorage.removeItem(HINT);
      renderChrome();
      location.hash = '#/signin';
    } catch (e) { fail(e); }
  });
  page('Your account',
    h('dl', { class: 'meta' }, h('dt', {}, 'Username'), h('dd', {}, me.username),
      h('dt', {}, 'Name'), h('dd', {}, me.display_name || '—'),
      h('dt', {}, 'Roles'), h('dd', {}, me.roles.join(', '))),
    totpSection(me, {
      flash, fail,
      refresh: async () => {
        try {
          app.me = (await api('GET', '/api/v1/me')).data;
          renderChrome();
          account();
        } catch (e) { fail(e); }
      },
    }),
    mustEnrol() ? null : form, mustEnrol() ? null : notificationsSection());
}

const ROUTES = [
  [/^#\/memos$/, () => myMemos()],
  [/^#\/new$/, () => newMemo()],
  [/^#\/memo\/([0-9a-f]+)\/edit$/, (m) => editor(m[1])],
  [/^#\/memo\/([0-9a-f]+)$/, (m) => memoPage(m[1])],
  [/^#\/inbox$/, () => inbox()],
  [/^#\/reading$/, () => principalList()],
  [/^#\/stats$/, () => dashboard()],
  [/^#\/admin$/, () => admin()],
  [/^#\/account$/, () => account()],
];

// Navigations are numbered: a page whose data arrives after the user has moved on may draw over
// the newer page (the route functions draw when their requests finish). When such a stale
// navigation ends after the newest one has drawn, the newest page is drawn again.
let navSeq = 0;
let doneSeq = 0;

// The page a route could not draw: the reason in plain words, in place of whatever was shown
// before (never the previous memo's text under an error), with the focus on it.
function errorPage(e) {
  if (e instanceof ApiError && (e.code === 'unauthorized' || e.code === 'totp_enrolment_required')) { fail(e); return; }
  const title = e instanceof ApiError && (e.status === 404 || e.code === 'not_found') ? 'Not found'
    : e instanceof ApiError && e.status === 403 ? 'Not available to you' : 'This page could not be shown';
  page(title, h('p', { class: 'error-msg', role: 'alert' }, sentence(e)),
    h('p', {}, h('a', { href: home() }, 'Go to your start page')));
}

export async function route() {
  const seq = ++navSeq;
  const hash = location.hash || '#/';
  markCurrent();
  if (!app.me) {
    if (hash !== '#/signin') { location.hash = '#/signin'; return; }
    signIn();
    return;
  }
  if (hash === '#/' || hash === '#/signin') { location.hash = home(); return; }
  for (const [re, fn] of ROUTES) {
    const m = hash.match(re);
    if (m) {
      try {
        await fn(m);
      } catch (e) {
        if (seq === navSeq) errorPage(e);
      }
      if (seq === navSeq) doneSeq = seq;
      else if (doneSeq === navSeq) route();
      return;
    }
  }
  page('Not found', h('p', {}, 'There is no such page. '), h('a', { href: home() }, 'Go to your start page'));
}

window.addEventListener('hashchange', () => { flashKeep ? (flashKeep = false) : flash(''); route(); });
let flashKeep = false;
// Navigate and keep the current message (after an action that moved to another page).
export function go(hash, msg) {
  if (msg) flash(msg, true);
  flashKeep = true;
  if (location.hash === hash) { flashKeep = false; route(); } else location.hash = hash;
}

async function start() {
  if (localStorage.getItem(HINT)) {
    try {
      app.me = (await api('GET', '/api/v1/me')).data;
      setZone(app.me.timezone);
    } catch (e) {
      localStorage.removeItem(HINT);
    }
  }
  renderChrome();
  route();
}
start();

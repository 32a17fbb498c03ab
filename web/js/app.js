// The single page app: session, navigation by role, hash routes, notices, and the session's
// end (a warning before it, and signing in again in a dialog so that nothing typed is lost).
import { api, ApiError, onResponse } from './api.js';
import { sentence, showError, clearError } from './errors.js';
import { h, field, clear, setZone } from './dom.js';
import { keepButtons } from './keep.js';
import { app, flash, notice, fail, has, page, provide } from './shell.js';
import { memoPage } from './memos.js';
import { editor, newMemo } from './editor.js';
import * as queue from './queue.js';
import { dashboard } from './stats.js';
import { admin } from './admin.js';
import { calendarPage } from './calendar.js';
import { recordsPage } from './records.js';
import { totpSection } from './totp.js';
import { passkeySection, passkeyAnswer, passkeyProblem, passkeysSupported } from './passkey.js';
import { notificationsSection } from './notify.js';
import { language, number, pick, t, useLanguage } from './i18n.js';
import { languageSection } from './language.js';

// A non-secret hint that a session cookie (HttpOnly, unseen here) probably exists, so that a
// visitor who never signed in is not greeted by a 401.
const HINT = 'dissent.signed-in';

// The page to come back to after signing in again (kept in memory only).
let returnTo = null;

// Forget the session here; then (unless @stay: the caller draws a page of its own) show the
// sign-in page with @msg.
function signedOut(msg, { stay = false } = {}) {
  app.me = null;
  localStorage.removeItem(HINT);
  stopSessionWatch();
  renderChrome();
  if (stay) return;
  if (msg) notice(msg, true);
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
}

// the menu: who sees each entry, where it leads, and its name's message (i18n.js)
const NAV = [
  ['staff', '#/memos', 'nav.memos'],
  ['staff', '#/new', 'nav.new'],
  ['officer', '#/inbox', 'nav.inbox'],
  ['principal', '#/reading', 'nav.reading'],
  ['auditor', '#/stats', 'nav.stats'],
  ['admin', '#/admin', 'nav.accounts'],
  ['officer', '#/calendar', 'nav.calendar'],
  ['admin', '#/calendar', 'nav.calendar'],
  ['records', '#/records', 'nav.records'],
];

function renderChrome() {
  const nav = clear(document.getElementById('nav'));
  const who = clear(document.getElementById('who'));
  nav.setAttribute('aria-label', t('nav.label'));
  if (!app.me) return;
  if (!mustEnrol()) {
    for (const [role, href, key] of NAV) {
      if (has(role)) nav.append(h('a', { href, 'data-nav': href }, h('span', {}, t(key)), h('span', { class: 'count', hidden: true })));
    }
  }
  who.append(
    h('a', { href: '#/account', title: t('chrome.account') }, app.me.display_name || app.me.username),
    h('button', { class: 'secondary', type: 'button', onclick: signOut }, t('chrome.signOut')));
  markCurrent();
  refreshCounts();
}

// The number of items waiting for the user's action, next to each list in the navigation.
let countsSeq = 0;
async function refreshCounts() {
  if (!app.me || mustEnrol() || typeof queue.navCounts !== 'function') return;
  const mine = ++countsSeq;
  try {
    const counts = await queue.navCounts();
    if (mine !== countsSeq) return;
    for (const a of document.querySelectorAll('#nav a[data-nav]')) {
      const n = counts[a.getAttribute('data-nav')];
      const c = a.querySelector('.count');
      if (!c) continue;
      c.hidden = !n;
      // the visible name stays the start of the accessible name (WCAG 2.5.3)
      c.replaceChildren(...(n ? [number(n),
        h('span', { class: 'visually-hidden' }, ` ${t('nav.waiting', { count: n })}`)] : []));
    }
  } catch { /* counts are a convenience */ }
}

function markCurrent() {
  for (const a of document.querySelectorAll('#nav a')) {
    const href = a.getAttribute('href');
    if (location.hash === href || location.hash.startsWith(`${href}?`) || location.hash.startsWith(`${href}/`)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function signOut() {
  if (!(await mayLeave())) return;
  leaveGuard = null;
  let logout = null;
  try { logout = (await api('DELETE', '/api/v1/session')).data; } catch { /* signed out either way */ }
  returnTo = null;
  // an account of the organisation's sign-in service: it ends its own session too, then sends
  // the browser back here (nothing is drawn meanwhile: the page is left at once)
  if (logout && logout.logout_url) {
    signedOut(null, { stay: true });
    location.assign(logout.logout_url);
    return;
  }
  signedOut(t('chrome.signedOut'));
}

// An account whose role requires two-factor sign-in starts on its account page until it is on:
// TOTP or a passkey, or a passkey where the role must use one.
const passkeyCount = () => (app.me && app.me.passkeys ? app.me.passkeys.count : 0);
const mustSetUp2fa = () => !!app.me && !!app.me.totp &&
  ((app.me.passkeys && app.me.passkeys.required && passkeyCount() === 0) ||
   (app.me.totp.required && !app.me.totp.enabled && passkeyCount() === 0));
// keys an administrator's password once wrapped: a new password (and so new keys) first
const mustRekey = () => !!app.me && !!app.me.rekey_required;
// the account page is all there is until both are done
const mustEnrol = () => mustSetUp2fa() || mustRekey();

function home() {
  if (mustEnrol()) return '#/account';
  if (has('staff')) return '#/memos';
  if (has('officer')) return '#/inbox';
  if (has('principal')) return '#/reading';
  if (has('auditor')) return '#/stats';
  if (has('admin')) return '#/admin';
  if (has('records')) return '#/records';
  return '#/account';
}

// ---- signing in ----
// The fields of a sign-in (page or dialog): password, and a code field that appears only when
// the server asks for one. submit() resolves to the session answer, or null after showing why
// not inside @where.
function signInFields(where, { username = null, sso = false } = {}) {
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', 'data-field': 'username' });
  if (username) { user.value = username; user.readOnly = true; }
  const pass = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, 'data-field': 'password' });
  const code = h('input', { type: 'text', name: 'code', autocomplete: 'one-time-code', autocapitalize: 'none', maxlength: 64, size: 20, 'data-field': 'totp' });
  const codeField = field(t('signin.code'), code, t('signin.codeHint'));
  codeField.hidden = true;
  const ask = h('p', { class: 'note', role: 'status', hidden: true }, t('signin.askCode'));
  // the passkey's step, when the server asks for one after the password
  const usePasskey = h('button', { type: 'button', id: 'use-passkey' }, t('signin.usePasskey'));
  const askPasskey = h('div', { class: 'note', role: 'status', hidden: true, id: 'passkey-step' },
    h('p', {}, t('signin.askPasskey')), usePasskey);
  let passkey = null;
  const fields = [field(t('signin.username'), user), sso ? field(t('signin.passphrase'), pass, t('signin.passphraseHint')) : field(t('signin.password'), pass), ask, codeField, askPasskey];
  async function submit() {
    clearError(where);
    // after the organisation's sign-in, its ticket (a cookie) names the account
    const body = sso ? { sso: true, password: pass.value } : { username: user.value.trim(), password: pass.value };
    const c = code.value.trim();
    if (!codeField.hidden && c) {
      if (/^[0-9 ]+$/.test(c)) body.totp = c.replace(/ /g, '');
      else body.recovery_code = c;
    }
    if (passkey) body.passkey = passkey;
    passkey = null;
    try {
      return (await api('POST', '/api/v1/session', body)).data;
    } catch (e) {
      if (e.code === 'passkey_required') {
        askPasskey.hidden = false;
        usePasskey.focus();
        return null;
      }
      if (e.code === 'totp_required' || (e.code === 'totp_invalid' && codeField.hidden)) {
        codeField.hidden = false;
        ask.hidden = false;
        code.value = '';
        code.focus();
        return null;
      }
      if (e.code === 'totp_invalid') {
        showError(where, e);
        code.select();
        return null;
      }
      showError(where, e, sso && e.code === 'invalid_credentials' ? t('signin.wrongPassphrase') : null);
      if (e.code === 'invalid_credentials') { pass.select(); pass.focus(); }
      return null;
    }
  }
  // the passkey's answer, then the same sign-in again with it (through the form's submit)
  usePasskey.addEventListener('click', async () => {
    clearError(where);
    try {
      passkey = (await passkeyAnswer()).passkey;
    } catch (e) {
      showError(where, e, passkeyProblem(e));
      return;
    }
    where.requestSubmit();
  });
  return { fields, submit, user, pass };
}

async function afterSignIn(r) {
  app.me = (await api('GET', '/api/v1/me')).data;
  await useLanguage(pick(app.me.language));
  setZone(app.me.timezone);
  localStorage.setItem(HINT, '1');
  renderChrome();
  startSessionWatch();
  if (r.recovery_codes_left !== undefined) {
    notice(t('signin.recoveryCodeUsed', { count: r.recovery_codes_left }), true);
  }
}

// Submitting @form (fields @f, button @btn) signs in, then calls @then(answer).
function onSignIn(form, btn, f, then) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    try {
      const r = await f.submit();
      if (!r) return;
      await afterSignIn(r);
      then(r);
    } catch (e) {
      showError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
}

function signIn() {
  const btn = h('button', { type: 'submit' }, t('signin.title'));
  const form = h('form', { 'aria-label': t('signin.title') });
  const f = signInFields(form);
  form.append(...f.fields, h('div', { class: 'actions' }, btn));
  onSignIn(form, btn, f, (r) => {
    const back = returnTo && !mustEnrol() ? returnTo : home();
    returnTo = null;
    if (r.recovery_key) showRecovery(r, back);
    else go(back);
  });
  // a passkey alone, where the server allows it (the options say so)
  const alone = h('button', { type: 'button', class: 'secondary', id: 'passkey-signin' }, t('signin.passkeyAlone'));
  alone.addEventListener('click', async () => {
    clearError(form);
    alone.disabled = true;
    try {
      const a = await passkeyAnswer();
      if (!a.passwordless) {
        showError(form, null, t('signin.passkeyAfterPassword'));
        f.user.focus();
        return;
      }
      const r = (await api('POST', '/api/v1/session', { passkey: a.passkey })).data;
      await afterSignIn(r);
      const back = returnTo && !mustEnrol() ? returnTo : home();
      returnTo = null;
      go(back);
    } catch (e) {
      showError(form, e, passkeyProblem(e));
    } finally {
      alone.disabled = false;
    }
  });
  // the organisation's sign-in service, where [oidc] is set: first, as most people use it
  const org = h('div', { id: 'sso-box', hidden: true });
  page(t('signin.title'), org, h('p', {}, t('signin.intro')), form,
    passkeysSupported() ? h('p', {}, alone) : null,
    h('p', {}, h('a', { href: '#/forgot' }, t('signin.forgot'))),
    h('p', {}, h('a', { href: '#/enrol' }, t('signin.enrol'))));
  f.user.focus();
  ssoState().then((s) => {
    if (!s.enabled || !org.isConnected) return;
    const orgBtn = h('button', { type: 'button', id: 'sso-signin' }, t('signin.sso'));
    orgBtn.addEventListener('click', () => ssoStart(org, orgBtn));
    org.append(h('p', {}, orgBtn),
      h('p', { class: 'note' }, s.passwords ? t('signin.ssoOr') : t('signin.ssoOnly')));
    org.hidden = false;
    if (!f.user.value) orgBtn.focus();
  });
}

// ---- single sign-on: the organisation's sign-in service ([oidc], core/oidc.h) ----

async function ssoState() {
  try {
    return (await api('GET', '/api/v1/sso')).data;
  } catch {
    return { enabled: false, pending: null };
  }
}

// To the organisation's sign-in page (it sends the browser back to #/sso).
async function ssoStart(where, btn) {
  clearError(where);
  btn.disabled = true;
  try {
    location.assign((await api('POST', '/api/v1/sso/start')).data.url);
  } catch (e) {
    showError(where, e);
    btn.disabled = false;
  }
}

// Back from the organisation's sign-in: its refusal in words, or the step that opens the keys,
// which the organisation never holds (a key passphrase, or a passkey that unlocks them).
async function ssoPage() {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const again = h('button', { type: 'button', id: 'sso-again' }, t('signin.sso'));
  const box = h('div', {});
  again.addEventListener('click', () => ssoStart(box, again));
  const back = h('p', {}, h('a', { href: '#/signin' }, t('common.backToSignIn')));
  const s = await ssoState();
  if (q.get('error') || !s.pending) {
    const e = new ApiError(401, { code: q.get('error') || 'sso_expired' });
    page(t('sso.title'), box,
      h('p', { class: 'error-msg', role: 'alert', id: 'sso-error' }, sentence(e)),
      h('div', { class: 'actions' }, again), back);
    again.focus();
    return;
  }
  const p = s.pending;
  if (p.enrol) { ssoEnrol(p); return; }
  const btn = h('button', { type: 'submit' }, t('sso.open'));
  const form = h('form', { 'aria-label': t('sso.unlockForm') });
  const f = signInFields(form, { username: p.username, sso: true });
  form.append(...f.fields, h('div', { class: 'actions' }, btn));
  onSignIn(form, btn, f, () => {
    const to = returnTo && !mustEnrol() ? returnTo : home();
    returnTo = null;
    go(to);
  });
  // a passkey that unlocks the keys does it alone here (the organisation vouched for the person)
  const withKey = h('button', { type: 'button', class: 'secondary', id: 'sso-passkey' }, t('sso.passkeyInstead'));
  withKey.addEventListener('click', async () => {
    clearError(form);
    withKey.disabled = true;
    try {
      const a = await passkeyAnswer();
      await afterSignIn((await api('POST', '/api/v1/session', { sso: true, passkey: a.passkey })).data);
      go(home());
    } catch (e) {
      showError(form, e, passkeyProblem(e));
    } finally {
      withKey.disabled = false;
    }
  });
  page(t('sso.openTitle'),
    h('p', { role: 'status' }, t('sso.signedInAs', { name: p.display_name || p.username })),
    form, p.passkeys && passkeysSupported() ? h('p', {}, withKey) : null, back);
  f.pass.focus();
}

// The first time: the key passphrase is chosen, the keys and the recovery key are made.
function ssoEnrol(p) {
  const pw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'password', id: 'sso-pass' });
  const pw2 = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'password2', id: 'sso-pass2' });
  const btn = h('button', { type: 'submit' }, t('sso.makeKeys'));
  const form = h('form', { 'aria-label': t('sso.chooseTitle') },
    field(t('sso.choose'), pw, t('sso.chooseHint')),
    field(t('sso.again'), pw2),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (pw.value !== pw2.value) {
      showError(form, new ApiError(422, { code: 'invalid_field', field: 'password2' }), t('sso.differ'));
      return;
    }
    btn.disabled = true;
    try {
      const d = (await api('POST', '/api/v1/enrol', { sso: true, password: pw.value })).data;
      await afterSignIn((await api('POST', '/api/v1/session', { sso: true, password: pw.value })).data);
      showRecovery(d, home(), p.username);
    } catch (e) {
      showError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
  page(t('sso.chooseTitle'),
    h('p', { role: 'status' }, t('sso.firstTime', { name: p.display_name || p.username })),
    form, h('p', {}, h('a', { href: '#/signin' }, t('common.backToSignIn'))));
  pw.focus();
}

// Sign in again without leaving the page, when the session has ended: a modal dialog for the
// same account. Resolves true once signed in, false when the user gave up (then the sign-in page
// is shown, and after it the page the user was on). Concurrent callers share one dialog.
let reauthing = null;
function reauth() {
  if (reauthing) return reauthing;
  if (!app.me) return Promise.resolve(false);
  const opener = document.activeElement;
  const username = app.me.username;
  reauthing = new Promise((resolve) => {
    const btn = h('button', { type: 'submit' }, t('signin.title'));
    const quit = h('button', { type: 'button', class: 'secondary' }, t('reauth.quit'));
    const form = h('form', { method: 'dialog', 'aria-label': t('reauth.form') });
    const f = signInFields(form, { username });
    form.append(h('h2', { id: 'reauth-t' }, t('reauth.title')),
      h('p', { id: 'reauth-d' }, t('reauth.text')),
      ...f.fields, h('div', { class: 'actions' }, btn, quit));
    const dlg = h('dialog', { class: 'confirm', id: 'reauth', 'aria-labelledby': 'reauth-t', 'aria-describedby': 'reauth-d' }, form);
    let ok = false;
    onSignIn(form, btn, f, () => { ok = true; dlg.close(); });
    quit.addEventListener('click', () => dlg.close());
    dlg.addEventListener('cancel', (ev) => ev.preventDefault()); // Escape: choose a button
    dlg.addEventListener('close', () => {
      dlg.remove();
      reauthing = null;
      if (ok) {
        hideWarning();
        if (opener && opener.isConnected) opener.focus();
        resolve(true);
        return;
      }
      returnTo = location.hash;
      leaveGuard = null;
      signedOut(t('session.ended'));
      resolve(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    f.pass.focus();
  });
  return reauthing;
}

// The recovery key, shown once; with ways to keep it that do not involve retyping it.
function showRecovery(d, next, username = null) {
  const ack = h('input', { type: 'checkbox', id: 'recovery-ack' });
  const cont = h('button', { type: 'button', disabled: true, onclick: () => go(next || home()) }, t('common.continue'));
  ack.addEventListener('change', () => { cont.disabled = !ack.checked; });
  const who = username || (app.me && app.me.username) || 'account';
  page(t('recovery.title'),
    h('div', { class: 'warning', role: 'alert' },
      h('p', {}, h('strong', {}, `${t('common.once')} `), d.recovery_notice || t('recovery.writeDown')),
      h('p', {}, t('recovery.only'))),
    h('pre', { class: 'recovery-key', 'aria-label': t('recovery.label'), id: 'recovery-key' }, d.recovery_key),
    keepButtons(() => d.recovery_key, `dissent-recovery-key-${who}.txt`, 'key',
      `${t('recovery.file', { user: who })}\n${d.recovery_key}\n`),
    h('div', { class: 'field' }, h('label', { class: 'check', for: 'recovery-ack' }, ack, t('recovery.ack'))),
    h('div', { class: 'actions' }, cont));
}

// After a password change (one's own, or with the recovery key): the new recovery key, shown
// once, and the way back to the sign-in page. The old key no longer works.
function newKeyPage(username, key) {
  page(t('recovery.newTitle'),
    h('p', { class: 'done-msg', role: 'status' }, t('recovery.changed')),
    h('div', { class: 'warning', role: 'alert' },
      h('p', {}, h('strong', {}, `${t('common.once')} `), t('recovery.newKeep'))),
    h('pre', { class: 'recovery-key', 'aria-label': t('recovery.label'), id: 'recovery-key' }, key),
    keepButtons(() => key, `dissent-recovery-key-${username}.txt`, 'key',
      `${t('recovery.file', { user: username })}\n${key}\n`),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/signin' }, t('recovery.signInNew'))));
}

// Enrolment: the code an administrator gave proves who the person is; they choose their own
// password, and their keys and recovery key are made then (nobody else ever holds them). Then
// they are signed in and shown the recovery key once.
function enrol() {
  const user = h('input', { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', 'data-field': 'username' });
  const code = h('input', { type: 'text', autocomplete: 'off', required: true, autocapitalize: 'none', spellcheck: 'false', 'data-field': 'code' });
  const pw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'password' });
  const pw2 = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'password2' });
  const btn = h('button', { type: 'submit' }, t('enrol.title'));
  const form = h('form', { 'aria-label': t('enrol.form') },
    field(t('signin.username'), user),
    field(t('enrol.code'), code, t('enrol.codeHint')),
    field(t('enrol.password'), pw, t('enrol.passwordHint')),
    field(t('enrol.again'), pw2),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (pw.value !== pw2.value) {
      showError(form, new ApiError(422, { code: 'invalid_field', field: 'password2' }), t('enrol.differ'));
      return;
    }
    btn.disabled = true;
    const username = user.value.trim();
    try {
      const d = (await api('POST', '/api/v1/enrol', { username, code: code.value.trim(), password: pw.value })).data;
      let next = '#/signin';
      try {
        await afterSignIn((await api('POST', '/api/v1/session', { username, password: pw.value })).data);
        next = home();
      } catch { /* enrolled all the same: the key is shown, then the sign-in page */ }
      showRecovery(d, next, username);
    } catch (e) {
      showError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
  page(t('enrol.title'),
    h('p', {}, t('enrol.intro')),
    form, h('p', {}, h('a', { href: '#/signin' }, t('common.backToSignIn'))));
  user.focus();
}

// "Forgot password": a new password with the recovery key; the key is then replaced.
function forgot() {
  const user = h('input', { type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', 'data-field': 'username' });
  const key = h('input', { type: 'text', autocomplete: 'off', required: true, autocapitalize: 'none', spellcheck: 'false', 'data-field': 'recovery_key' });
  const pw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'new_password' });
  const pw2 = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'new_password2' });
  const btn = h('button', { type: 'submit' }, t('forgot.submit'));
  const form = h('form', { 'aria-label': t('forgot.form') },
    field(t('signin.username'), user),
    field(t('recovery.label'), key, t('forgot.keyHint')),
    field(t('forgot.new'), pw, t('forgot.newHint')),
    field(t('forgot.again'), pw2),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (pw.value !== pw2.value) {
      showError(form, new ApiError(422, { code: 'invalid_field', field: 'new_password2' }), t('forgot.differ'));
      return;
    }
    btn.disabled = true;
    try {
      const r = (await api('POST', '/api/v1/recovery', { username: user.value.trim(), recovery_key: key.value.trim(), new_password: pw.value })).data;
      newKeyPage(user.value.trim(), r.recovery_key);
    } catch (e) {
      showError(form, e);
    } finally {
      btn.disabled = false;
    }
  });
  page(t('forgot.title'),
    h('p', {}, t('forgot.intro')),
    form, h('p', {}, h('a', { href: '#/signin' }, t('common.backToSignIn'))));
  user.focus();
}

function account() {
  const me = app.me;
  const cur = h('input', { type: 'password', autocomplete: 'current-password', required: true, 'data-field': 'current_password' });
  const nw = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: 8, 'data-field': 'new_password' });
  const form = h('form', { 'aria-label': t('account.passwordForm') }, h('h2', {}, t('account.passwordTitle')),
    field(t('account.current'), cur), field(t('account.new'), nw, t('account.newHint')),
    h('button', { type: 'submit' }, t('account.passwordSubmit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = (await api('POST', '/api/v1/me/password', { current_password: cur.value, new_password: nw.value })).data;
      returnTo = null;
      signedOut(null, { stay: true }); // the server ended every session
      newKeyPage(me.username, r.recovery_key);
    } catch (e) {
      if (e.code === 'unauthorized') fail(e);
      else showError(form, e);
    }
  });
  page(t('account.title'),
    mustRekey() ? h('p', { class: 'note', id: 'rekey-note' }, t('account.rekeyNote')) : null,
    mustSetUp2fa() ? h('p', { class: 'note', id: 'factor-note' }, me.passkeys && me.passkeys.required
      ? t('account.passkeyNote') : t('account.factorNote')) : null,
    h('dl', { class: 'meta' }, h('dt', {}, t('account.username')), h('dd', {}, me.username),
      h('dt', {}, t('account.name')), h('dd', {}, me.display_name || '—'),
      h('dt', {}, t('account.roles')), h('dd', {}, me.roles.map((r) => t(`role.${r}`)).join(', '))),
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
    passkeySection(me, {
      fail,
      refresh: async (msg) => {
        try {
          app.me = (await api('GET', '/api/v1/me')).data;
          renderChrome();
          account();
          if (msg) flash(msg, true);
        } catch (e) { fail(e); }
      },
    }),
    mustEnrol() && !mustRekey() ? null : form, mustEnrol() ? null : notificationsSection(),
    languageSection(me, {
      fail,
      redraw: (next) => {
        app.me = next;
        renderChrome();
        account();
      },
    }));
}

// ---- the session's end ----
// GET /api/v1/me says when the session ends if unused (`session.expires_at`, idle timeout) and
// at the latest (`lifetime_ends_at`). Every answer from the server counts as use. A warning
// appears shortly before the end, with a button that keeps the session going (when the
// lifetime allows); at the end, the sign-in dialog.
let watch = null;
let lastUse = Date.now() / 1000;
const warnEl = h('div', { class: 'session-warning', role: 'alert', hidden: true });
document.body.append(warnEl);

function hideWarning() { warnEl.hidden = true; clear(warnEl); }

// The server records a session's use at most every quarter of the idle timeout (at most every
// 60 s): the session ends between @early (the last use it may not have recorded) and @at.
function sessionEnds() {
  const s = app.me && app.me.session;
  if (!s || !s.idle_timeout) return null;
  const slack = Math.max(1, Math.min(60, Math.floor(s.idle_timeout / 4)));
  const idleEnd = lastUse + s.idle_timeout;
  const capped = !!s.lifetime_ends_at && s.lifetime_ends_at <= idleEnd;
  const at = capped ? s.lifetime_ends_at : idleEnd;
  return { at, early: capped ? at : at - slack, capped, idle: s.idle_timeout };
}

function tick() {
  const e = sessionEnds();
  if (!e || !app.me) { hideWarning(); return; }
  const now = Date.now() / 1000;
  const margin = Math.min(120, Math.max(4, e.idle / 3));
  if (now >= e.at) {
    hideWarning();
    stopSessionWatch();
    reauth();
    return;
  }
  if (now < e.early - margin) { hideWarning(); return; }
  const left = Math.max(0, Math.round(e.early - now));
  const text = e.capped ? t('session.capped', { count: left })
    : left > 0 ? t('session.ends', { count: left }) : t('session.ending');
  if (warnEl.hidden) {
    clear(warnEl).append(h('p', { id: 'session-left' }, text),
      e.capped ? null : h('button', { type: 'button', onclick: staySignedIn }, t('session.stay')));
    warnEl.hidden = false;
  } else {
    const p = warnEl.querySelector('#session-left');
    if (p) p.textContent = text;
  }
}

async function staySignedIn() {
  try {
    app.me = (await api('GET', '/api/v1/me')).data;
    hideWarning();
    flash(t('session.still'), true);
  } catch (e) { fail(e); }
}

function startSessionWatch() {
  stopSessionWatch();
  lastUse = Date.now() / 1000;
  watch = setInterval(tick, 1000);
}
function stopSessionWatch() { if (watch) clearInterval(watch); watch = null; hideWarning(); }

onResponse((status) => {
  if (status !== 401) lastUse = Date.now() / 1000;
});

// ---- leaving a page with unsaved work ----
// A page with unsaved work registers a guard: an async function that resolves true when the
// user may leave (after asking). Navigation inside the app and signing out ask it first;
// closing or reloading the tab gets the browser's own warning (beforeunload) while it is set.
let leaveGuard = null;
let dirtyCheck = null;
function guardLeave(mayGo, isDirty) { leaveGuard = mayGo; dirtyCheck = isDirty || null; }
async function mayLeave() {
  if (!leaveGuard) return true;
  const ok = await leaveGuard();
  if (ok) { leaveGuard = null; dirtyCheck = null; }
  return ok;
}
window.addEventListener('beforeunload', (ev) => {
  if (leaveGuard && (!dirtyCheck || dirtyCheck())) { ev.preventDefault(); ev.returnValue = ''; }
});

const ROUTES = [
  [/^#\/memos(\?.*)?$/, () => queue.myMemos()],
  [/^#\/new$/, () => newMemo()],
  [/^#\/memo\/([0-9a-f]+)\/edit$/, (m) => editor(m[1])],
  [/^#\/memo\/([0-9a-f]+)$/, (m) => memoPage(m[1])],
  [/^#\/inbox(\?.*)?$/, () => queue.inbox()],
  [/^#\/reading(\?.*)?$/, () => queue.principalList()],
  [/^#\/stats(\?.*)?$/, (m) => dashboard(m[1])],
  [/^#\/admin(\?.*)?$/, () => admin()],
  [/^#\/calendar$/, () => calendarPage()],
  [/^#\/records$/, () => recordsPage()],
  [/^#\/account$/, () => account()],
];

// Navigations are numbered: a page whose data arrives after the user has moved on may draw over
// the newer page (the route functions draw when their requests finish). When such a stale
// navigation ends after the newest one has drawn, the newest page is drawn again.
let navSeq = 0;
let doneSeq = 0;
let shownHash = null;

// The page a route could not draw: the reason in plain words, in place of whatever was shown
// before (never the previous memo's text under an error), with the focus on it.
function errorPage(e) {
  if (e instanceof ApiError && e.code === 'unauthorized') {
    reauth().then((ok) => { if (ok) route(); });
    return;
  }
  if (e instanceof ApiError && (e.code === 'totp_enrolment_required' || e.code === 'password_change_required')) { fail(e); return; }
  const title = e instanceof ApiError && (e.status === 404 || e.code === 'not_found') ? t('page.notFound')
    : e instanceof ApiError && e.status === 403 ? t('page.notYours') : t('page.failed');
  page(title, h('p', { class: 'error-msg', role: 'alert' }, sentence(e)),
    h('p', {}, h('a', { href: home() }, t('page.home'))));
}

async function route() {
  const seq = ++navSeq;
  const hash = location.hash || '#/';
  markCurrent();
  if (!app.me) {
    if (hash === '#/forgot') { forgot(); return; }
    if (hash === '#/enrol') { enrol(); return; }
    if (hash === '#/sso' || hash.startsWith('#/sso?')) { await ssoPage(); return; }
    if (hash !== '#/signin') {
      if (hash !== '#/' && hash !== '#/signout') returnTo = hash;
      location.hash = '#/signin';
      return;
    }
    signIn();
    return;
  }
  if (hash === '#/' || hash === '#/signin' || hash === '#/forgot' || hash === '#/enrol' || hash.startsWith('#/sso')) { location.hash = home(); return; }
  for (const [re, fn] of ROUTES) {
    const m = hash.match(re);
    if (m) {
      // the page is busy until its last drawing is done (assistive technology, and tests, wait)
      const mainEl = document.getElementById('main');
      if (mainEl) mainEl.setAttribute('aria-busy', 'true');
      try {
        await fn(m);
      } catch (e) {
        if (seq === navSeq) errorPage(e);
      }
      if (seq === navSeq) { doneSeq = seq; shownHash = hash; refreshCounts(); } else if (doneSeq === navSeq) route();
      if (seq === navSeq && mainEl) mainEl.removeAttribute('aria-busy');
      return;
    }
  }
  page(t('page.notFound'), h('p', {}, `${t('page.noSuch')} `), h('a', { href: home() }, t('page.home')));
}

// A hash change asks the page being left first (unsaved work); when the user stays, the
// address goes back to that page without drawing it again.
let reverting = false;
window.addEventListener('hashchange', async () => {
  if (reverting) { reverting = false; return; }
  if (leaveGuard && shownHash && location.hash !== shownHash) {
    const target = location.hash;
    const ok = await mayLeave();
    if (!ok) {
      // the revert's own hashchange is skipped; when the address is already back (another
      // move meanwhile), there is no such event, and the flag would swallow the next real move
      if (location.hash !== shownHash) {
        reverting = true;
        location.hash = shownHash;
      }
      return;
    }
    if (location.hash !== target) return;
  }
  route();
});

// Navigate, with an optional success notice for the page it leads to.
function go(hash, msg) {
  if (msg) notice(msg, true);
  if (location.hash === hash) route(); else location.hash = hash;
}

// What the feature modules need of the router, through the shell (shell.js).
provide({ go, reauth, refreshCounts, guardLeave });

async function start() {
  // the browser's language first (every word below needs a catalog), then the account's
  await useLanguage(pick(null));
  if (localStorage.getItem(HINT)) {
    try {
      app.me = (await api('GET', '/api/v1/me')).data;
      if (pick(app.me.language) !== language()) await useLanguage(pick(app.me.language));
      setZone(app.me.timezone);
      startSessionWatch();
    } catch {
      localStorage.removeItem(HINT);
      if (location.hash && !['#/', '#/signin', '#/forgot'].includes(location.hash) && !location.hash.startsWith('#/sso')) {
        returnTo = location.hash;
        notice(t('session.ended'), true);
      }
    }
  }
  renderChrome();
  // index.html's <main> is busy until now (its "…" has no words: no language is known there)
  document.getElementById('main').removeAttribute('aria-busy');
  route();
}
start();

// An administrator's edit form for one account: name, email, roles, disabled, and the two
// resets. Each reset says what it does before it runs: resetting two-factor sign-in keeps the
// account's keys; a reset of the account revokes its password and keys and gives a new
// enrolment code (core/enrol.h): the administrator never learns a password. The role boxes and
// the enrolment code's panel are shared with the new-account form (admin.js).
import { api } from './api.js';
import { h, field, check, when } from './dom.js';
import { fail, notice } from './shell.js';
import { keepButtons } from './keep.js';
import { showError, showDone } from './errors.js';
import { confirmStep } from './dialog.js';

const userPath = (u) => `/api/v1/users/${encodeURIComponent(u.username)}`;

export const ROLES = ['staff', 'officer', 'principal', 'auditor', 'admin', 'records'];

export function roleBoxes(prefix, current = []) {
  const boxes = ROLES.map((r) => [r, h('input', { type: 'checkbox', name: `${prefix}-${r}`, checked: current.includes(r) })]);
  const fs = h('fieldset', {}, h('legend', {}, 'Roles'), boxes.map(([r, b]) => check(r, b)));
  return { fs, value: () => boxes.filter(([, b]) => b.checked).map(([r]) => r) };
}

// The one-time enrolment code of a new (or reset) account, for the administrator to hand over.
export function codePanel(u, enrolment) {
  return h('section', { class: 'warning', role: 'alert', 'aria-label': `Enrolment code for ${u.username}` },
    h('h2', {}, `Enrolment code for ${u.username}`),
    h('p', {}, h('strong', {}, 'Shown only once. '), `Give it to ${u.display_name || u.username} alone, by a safe route. With it they choose their own password at the “Enrol” link of the sign-in page; their keys are made then, and you never hold them. It works once, until ${when(enrolment.expires_at)}.`),
    h('pre', { class: 'recovery-key', 'aria-label': 'Enrolment code' }, enrolment.code),
    keepButtons(() => enrolment.code, `dissent-enrolment-${u.username}.txt`, 'code',
      `Dissent enrolment code for ${u.username}\n${enrolment.code}\n`));
}

// @done(changed, panel): the caller redraws the list (changed, with @panel above it) or closes
// the form.
export function editForm(u, done) {
  const name = h('input', { type: 'text', value: u.display_name || '', 'data-field': 'display_name' });
  const email = h('input', { type: 'email', value: u.email || '', 'data-field': 'email' });
  const roles = roleBoxes(`edit-${u.username}`, u.roles);
  roles.fs.setAttribute('data-field', 'roles');
  roles.fs.tabIndex = -1;
  const disabled = h('input', { type: 'checkbox', checked: u.disabled, 'data-field': 'disabled' });
  const form = h('form', { 'aria-label': `Edit ${u.username}` }, h('h3', {}, `Edit ${u.username}`),
    field('Display name', name), field('Email', email), roles.fs, check('Account disabled (ends its sessions)', disabled),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save account'), h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, 'Cancel')));
  let version = u.version;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { display_name: name.value, email: email.value, roles: roles.value(), disabled: disabled.checked };
    try {
      const r = await api('PATCH', userPath(u), body, { 'If-Match': `"${version}"` });
      version = r.data.version;
      notice(`Saved ${u.username}.`);
      done(true);
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(form, e);
    }
  });

  const resetTotp = h('button', { type: 'button', class: 'secondary' }, 'Reset two-factor sign-in');
  const resetAll = h('button', { type: 'button', class: 'secondary' }, 'Reset the account');
  const operator = u.roles.includes('admin') || u.roles.includes('auditor') || u.roles.includes('records');
  const resets = h('section', { class: 'panel', 'aria-label': `Resets for ${u.username}` },
    h('h3', {}, 'Lost phone'),
    h('p', {}, 'Turns two-factor sign-in off and keeps the password and keys: the person keeps access to their memos, and sets up two-factor sign-in again at their next sign-in when their role requires it.'),
    h('div', { class: 'actions' }, resetTotp),
    operator ? null : [
      h('h3', {}, 'Lost password and recovery key'),
      h('p', {}, 'Revokes the password, the keys, the recovery key and every session, and gives a new enrolment code: the person enrols again and chooses a new password. Memos shared with them before must be shared again. If they still have their recovery key, they can reset the password themselves and keep their access: prefer that.'),
      h('div', { class: 'actions' }, resetAll)]);
  resetTotp.addEventListener('click', async () => {
    const ok = await confirmStep({
      title: `Reset ${u.username}'s two-factor sign-in?`,
      text: [
        `${u.display_name || u.username} will sign in with their password alone, and must set up a new authenticator at once if their role requires it. Their keys and access to memos stay.`,
        'Do this only for the person themselves, after checking who is asking.',
      ],
      confirm: 'Reset two-factor sign-in',
    });
    if (!ok) return;
    try {
      const r = await api('PATCH', userPath(u), { totp: false });
      version = r.data.version;
      showDone(resets, `Two-factor sign-in of ${u.username} is off. They set it up again at their next sign-in.`).focus();
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(resets, e);
    }
  });
  resetAll.addEventListener('click', async () => {
    const ok = await confirmStep({
      title: `Reset ${u.username}'s account?`,
      text: [
        `${u.display_name || u.username} loses their password, keys, recovery key and sessions, and access to every memo shared with them before, until someone who can read each memo shares it again; their signatures stay valid.`,
        'You get a one-time enrolment code to give them; with it they choose a new password. Do this only for the person themselves, after checking who is asking.',
      ],
      confirm: 'Reset the account',
      danger: true,
    });
    if (!ok) return;
    try {
      const r = await api('POST', `${userPath(u)}/reset`);
      notice(`${u.username} was reset. Give them the enrolment code below.`);
      done(true, codePanel(r.data, r.data.enrolment));
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(resets, e);
    }
  });
  return h('div', {}, form, resets);
}

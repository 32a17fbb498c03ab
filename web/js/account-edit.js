// An administrator's edit form for one account: name, email, roles, disabled, and the two
// resets. Each reset says what it does before it runs: resetting two-factor sign-in keeps the
// account's keys (the person re-enrols at their next sign-in); a password reset by an
// administrator gives the account new keys, so it loses what was shared with it before.
import { api } from './api.js';
import { h, field, check } from './dom.js';
import { fail, notice } from './app.js';
import { roleBoxes } from './admin.js';
import { showError, showDone } from './errors.js';
import { confirmStep } from './dialog.js';

const userPath = (u) => `/api/v1/users/${encodeURIComponent(u.username)}`;

// @done(changed, message): the caller redraws the list (changed) or closes the form.
export function editForm(u, done) {
  const name = h('input', { type: 'text', value: u.display_name || '', 'data-field': 'display_name' });
  const email = h('input', { type: 'email', value: u.email || '', 'data-field': 'email' });
  const roles = roleBoxes(`edit-${u.username}`, u.roles);
  roles.fs.setAttribute('data-field', 'roles');
  roles.fs.tabIndex = -1;
  const disabled = h('input', { type: 'checkbox', checked: u.disabled, 'data-field': 'disabled' });
  const pw = h('input', { type: 'password', autocomplete: 'new-password', 'data-field': 'password', minlength: 8 });
  const form = h('form', { 'aria-label': `Edit ${u.username}` }, h('h3', {}, `Edit ${u.username}`),
    field('Display name', name), field('Email', email), roles.fs, check('Account disabled (ends its sessions)', disabled),
    field('Set a new password', pw, 'Leave empty to keep it. You will be asked to confirm: a reset by an administrator gives the account new keys.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save account'), h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, 'Cancel')));
  let version = u.version;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { display_name: name.value, email: email.value, roles: roles.value(), disabled: disabled.checked };
    if (pw.value) {
      const ok = await confirmStep({
        title: `Reset ${u.username}'s password?`,
        text: [
          `${u.display_name || u.username} gets new keys. They lose access to every memo shared with them before, until someone who can read each memo shares it again; their signatures stay valid.`,
          'Their recovery key stops working, two-factor sign-in is turned off (they set it up again at their next sign-in), and every session of theirs ends.',
          'Give them the new password by a safe route. If they still have their recovery key, they can reset the password themselves and keep their access: prefer that.',
        ],
        confirm: 'Reset the password',
        danger: true,
      });
      if (!ok) return;
      body.password = pw.value;
    }
    try {
      const r = await api('PATCH', userPath(u), body, { 'If-Match': `"${version}"` });
      version = r.data.version;
      pw.value = '';
      notice(body.password ? `Saved ${u.username}. The password is reset and the account has new keys.` : `Saved ${u.username}.`);
      done(true);
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(form, e);
    }
  });

  const resetTotp = h('button', { type: 'button', class: 'secondary' }, 'Reset two-factor sign-in');
  const resets = h('section', { class: 'panel', 'aria-label': `Resets for ${u.username}` },
    h('h3', {}, 'Lost phone'),
    h('p', {}, 'Turns two-factor sign-in off and keeps the password and keys: the person keeps access to their memos, and sets up two-factor sign-in again at their next sign-in when their role requires it.'),
    h('div', { class: 'actions' }, resetTotp));
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
  return h('div', {}, form, resets);
}

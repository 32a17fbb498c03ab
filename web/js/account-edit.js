// An administrator's edit form for one account: name, email, roles, disabled, and the resets.
import { api } from './api.js';
import { h, field, check } from './dom.js';
import { fail, flash } from './app.js';
import { roleBoxes } from './admin.js';

export function editForm(u, done) {
  const name = h('input', { type: 'text', value: u.display_name || '' });
  const email = h('input', { type: 'email', value: u.email || '' });
  const roles = roleBoxes(`edit-${u.username}`, u.roles);
  const disabled = h('input', { type: 'checkbox', checked: u.disabled });
  const pw = h('input', { type: 'password', autocomplete: 'new-password' });
  const form = h('form', { 'aria-label': `Edit ${u.username}` }, h('h3', {}, `Edit ${u.username}`),
    field('Display name', name), field('Email', email), roles.fs, check('Account disabled (ends its sessions)', disabled),
    field('Set a new password', pw, 'Leave empty to keep it. A reset by an administrator gives the account new keys: it loses access to memos shared with it before.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save account'), h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { display_name: name.value, email: email.value, roles: roles.value(), disabled: disabled.checked };
    if (pw.value) body.password = pw.value;
    try {
      const r = await api('PATCH', `/api/v1/users/${encodeURIComponent(u.username)}`, body, { 'If-Match': `"${u.version}"` });
      flash(r.data.warning ? `Saved ${u.username}. ${r.data.warning}` : `Saved ${u.username}.`, true);
      done(true);
    } catch (e) { fail(e); }
  });
  return form;
}


// Administrators: accounts and their roles. (Channel access grants are an officer's action: see
// the officer inbox.) Admins never see memo content.
import { api, get, post } from './api.js';
import { h, field, check, clear, table, when, badge } from './dom.js';
import { page, fail, flash, app } from './app.js';

const ROLES = ['staff', 'officer', 'principal', 'auditor', 'admin'];

function roleBoxes(prefix, current = []) {
  const boxes = ROLES.map((r) => [r, h('input', { type: 'checkbox', name: `${prefix}-${r}`, checked: current.includes(r) })]);
  const fs = h('fieldset', {}, h('legend', {}, 'Roles'), boxes.map(([r, b]) => check(r, b)));
  return { fs, value: () => boxes.filter(([, b]) => b.checked).map(([r]) => r) };
}

async function allUsers() {
  let out = [];
  let after = null;
  for (let i = 0; i < 50; i++) {
    const r = await get(`/api/v1/users?limit=200${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    out = out.concat(r.users);
    if (!r.next) break;
    after = r.next;
  }
  return out;
}

function editForm(u, done) {
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

export async function admin() {
  const users = await allUsers();
  const editArea = h('div', { id: 'edit-area' });
  const rows = users.map((u) => h('tr', {},
    h('td', {}, u.username), h('td', {}, u.display_name || '—'), h('td', {}, u.roles.join(', ')),
    h('td', {}, u.disabled ? badge('disabled', 'overdue') : badge('active', 'ok')), h('td', {}, when(u.created_at)),
    h('td', {}, h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${u.username}`, onclick: () => {
      clear(editArea).append(editForm(u, (changed) => { if (changed) admin().catch(fail); else clear(editArea); }));
      editArea.querySelector('input').focus();
    } }, 'Edit'))));
  const uname = h('input', { type: 'text', required: true, autocapitalize: 'none', pattern: '[a-z0-9._\\-]{1,64}' });
  const dname = h('input', { type: 'text' });
  const email = h('input', { type: 'email' });
  const pw = h('input', { type: 'password', required: true, minlength: 8, autocomplete: 'new-password' });
  const roles = roleBoxes('new', ['staff']);
  const form = h('form', { 'aria-label': 'Create an account' }, h('h2', {}, 'Create an account'),
    field('Username', uname, 'a–z, 0–9, dot, underscore, hyphen.'), field('Display name', dname), field('Email', email), roles.fs,
    field('Initial password', pw, 'At least 8 characters; give it to the person by a safe route.'),
    h('button', { type: 'submit' }, 'Create account'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('/api/v1/users', { username: uname.value.trim(), display_name: dname.value, email: email.value, roles: roles.value(), password: pw.value });
      flash(`Account ${uname.value.trim()} created.`, true);
      await admin();
    } catch (e) { fail(e); }
  });
  page('Accounts and roles',
    h('p', {}, `Signed in as ${app.me.username}. Administrators manage accounts but never see memo content. Channel access is granted by officers, from their inbox.`),
    table(['Username', 'Name', 'Roles', 'Status', 'Created', ''], rows, `${users.length} accounts`),
    editArea, form);
}

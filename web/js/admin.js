// Administrators: accounts and their roles. (Channel access grants are an officer's action: see
// the officer inbox.) Admins never see memo content.
import { api, get, post } from './api.js';
import { h, field, check, clear, table, when, badge } from './dom.js';
import { page, fail, flash, app } from './app.js';
import { editForm } from './account-edit.js';

const ROLES = ['staff', 'officer', 'principal', 'auditor', 'admin'];

export function roleBoxes(prefix, current = []) {
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

// Administrators: accounts and their roles. (Channel access grants are an officer's action: see
// the officer inbox.) Admins never see memo content.
import { get, post } from './api.js';
import { h, field, clear, table, when, badge } from './dom.js';
import { page, fail, notice, app } from './shell.js';
import { ArrayPages, pagedSection, walkAll } from './paging.js';
import { editForm, roleBoxes, codePanel, ROLES } from './account-edit.js';
import { showError } from './errors.js';

// Every account, however many pages the API answers (GET /api/v1/users pages by username).
function allUsers() {
  return walkAll(async (after) => {
    const r = await get(`/api/v1/users?limit=200${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    return { items: r.users, next: r.next };
  });
}

// The filters of the account list: role, status, and a search in username, name and email.
function matches(u, v) {
  if (v.role && !u.roles.includes(v.role)) return false;
  if (v.status === 'active' && u.disabled) return false;
  if (v.status === 'disabled' && !u.disabled) return false;
  if (v.q) {
    const q = v.q.toLowerCase();
    if (![u.username, u.display_name || '', u.email || ''].some((x) => x.toLowerCase().includes(q))) return false;
  }
  return true;
}

// The status cell of an account: disabled, awaiting enrolment, or active.
function status(u) {
  if (u.disabled) return badge('disabled', 'overdue');
  if (!u.enrolled) return badge('not enrolled', 'soon');
  return badge('active', 'ok');
}

// @shown: a panel drawn above the list (a new account's enrolment code).
export async function admin(shown = null) {
  const users = await allUsers();
  const editArea = h('div', { id: 'edit-area' });
  const userRow = (u) => h('tr', {},
    h('td', {}, u.username), h('td', {}, u.display_name || '—'), h('td', {}, u.roles.join(', ')),
    h('td', {}, status(u)), h('td', {}, when(u.created_at)),
    h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${u.username}`, onclick: () => {
      clear(editArea).append(editForm(u, (changed, panel) => { if (changed) admin(panel).catch(fail); else clear(editArea); }));
      editArea.scrollIntoView({ block: 'start' });
      editArea.querySelector('input').focus();
    } }, 'Edit')));
  const list = pagedSection({
    id: 'accounts', title: `Accounts (${users.length})`, pageKey: 'page', noun: ['account', 'accounts'],
    filters: [
      { key: 'q', label: 'Search', search: true, placeholder: 'username, name or email' },
      { key: 'role', label: 'Role', options: [['', 'Any role'], ...ROLES.map((r) => [r, r])] },
      { key: 'status', label: 'Status', options: [['', 'Active or disabled'], ['active', 'Active'], ['disabled', 'Disabled']] },
    ],
    source: (v) => new ArrayPages(users.filter((u) => matches(u, v))),
    render: (items) => table(['Username', 'Name', 'Roles', 'Status', 'Created', ''], items.map(userRow)),
    empty: (v) => (v.q || v.role || v.status ? 'No account matches these filters.' : 'There are no accounts.'),
  });
  await list.load();
  const uname = h('input', { type: 'text', required: true, autocapitalize: 'none', pattern: '[a-z0-9._\\-]{1,64}', 'data-field': 'username' });
  const dname = h('input', { type: 'text', 'data-field': 'display_name' });
  const email = h('input', { type: 'email', 'data-field': 'email' });
  const roles = roleBoxes('new', ['staff']);
  roles.fs.setAttribute('data-field', 'roles');
  roles.fs.tabIndex = -1;
  const form = h('form', { 'aria-label': 'Create an account' }, h('h2', {}, 'Create an account'),
    field('Username', uname, 'a–z, 0–9, dot, underscore, hyphen.'), field('Display name', dname), field('Email', email), roles.fs,
    h('p', { class: 'note' }, 'The account gets a one-time enrolment code, shown once: the person chooses their own password with it. Admin and auditor are not combined with the other roles.'),
    h('button', { type: 'submit' }, 'Create account'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const u = await post('/api/v1/users', { username: uname.value.trim(), display_name: dname.value, email: email.value, roles: roles.value() });
      notice(`Account ${u.username} created. It cannot sign in until the person enrols with the code below.`, true);
      await admin(codePanel(u, u.enrolment));
    } catch (e) {
      if (e.code === 'unauthorized') fail(e);
      else if (e.code === 'exists') showError(form, e, `The username ${uname.value.trim()} is taken: choose another.`);
      else showError(form, e);
    }
  });
  page('Accounts and roles',
    h('p', {}, `Signed in as ${app.me.username}. Administrators manage accounts but never see memo content, and never choose anyone's password. Channel access is granted by officers, from their inbox.`),
    shown, list.el, editArea, form);
  if (shown) shown.scrollIntoView({ block: 'start' });
}

// Administrators: accounts and their roles, and the deployment's channels (channels-admin.js). (Channel access grants are an officer's action: see
// the officer inbox.) Admins never see memo content.
import { get, post } from './api.js';
import { h, field, clear, table, when, badge } from './dom.js';
import { page, fail, notice, app } from './shell.js';
import { ArrayPages, pagedSection, walkAll } from './paging.js';
import { editForm, roleBoxes, codePanel, ROLES } from './account-edit.js';
import { showError } from './errors.js';
import { t } from './i18n.js';
import { channelsSection } from './channels-admin.js';

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
  if (u.disabled) return badge(t('admin.status.disabled'), 'overdue');
  if (!u.enrolled) return badge(t('admin.status.notEnrolled'), 'soon');
  return badge(t('admin.status.active'), 'ok');
}

// @shown: a panel drawn above the list (a new account's enrolment code).
export async function admin(shown = null) {
  const users = await allUsers();
  const { channels: chans } = await get('/api/v1/channels');
  const editArea = h('div', { id: 'edit-area' });
  const userRow = (u) => h('tr', {},
    h('td', {}, u.username), h('td', {}, u.display_name || '—'), h('td', {}, u.roles.map((r) => t(`role.${r}`)).join(', ')),
    h('td', {}, status(u)), h('td', {}, when(u.created_at)),
    h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'secondary', 'aria-label': t('admin.editLabel', { username: u.username }), onclick: () => {
      clear(editArea).append(editForm(u, (changed, panel) => { if (changed) admin(panel).catch(fail); else clear(editArea); }, chans));
      editArea.scrollIntoView({ block: 'start' });
      editArea.querySelector('input').focus();
    } }, t('admin.edit'))));
  const list = pagedSection({
    id: 'accounts', title: t('admin.listTitle', { count: users.length }), pageKey: 'page', noun: ['account', 'accounts'],
    filters: [
      { key: 'q', label: t('admin.filter.search'), search: true, placeholder: t('admin.filter.searchPlaceholder') },
      { key: 'role', label: t('admin.filter.role'), options: [['', t('admin.filter.anyRole')], ...ROLES.map((r) => [r, t(`role.${r}`)])] },
      { key: 'status', label: t('admin.filter.status'), options: [['', t('admin.filter.anyStatus')], ['active', t('admin.filter.active')], ['disabled', t('admin.filter.disabled')]] },
    ],
    source: (v) => new ArrayPages(users.filter((u) => matches(u, v))),
    render: (items) => table([t('admin.col.username'), t('admin.col.name'), t('admin.col.roles'), t('admin.col.status'), t('admin.col.created'), ''], items.map(userRow)),
    empty: (v) => (v.q || v.role || v.status ? t('admin.emptyFiltered') : t('admin.empty')),
  });
  await list.load();
  const uname = h('input', { type: 'text', required: true, autocapitalize: 'none', pattern: '[a-z0-9._\\-]{1,64}', 'data-field': 'username' });
  const dname = h('input', { type: 'text', 'data-field': 'display_name' });
  const email = h('input', { type: 'email', 'data-field': 'email' });
  const roles = roleBoxes('new', ['staff']);
  roles.fs.setAttribute('data-field', 'roles');
  roles.fs.tabIndex = -1;
  const form = h('form', { 'aria-label': t('admin.create.title') }, h('h2', {}, t('admin.create.title')),
    field(t('admin.create.username'), uname, t('admin.create.usernameHint')), field(t('admin.create.displayName'), dname), field(t('admin.create.email'), email), roles.fs,
    h('p', { class: 'note' }, t('admin.create.note')),
    h('button', { type: 'submit' }, t('admin.create.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const u = await post('/api/v1/users', { username: uname.value.trim(), display_name: dname.value, email: email.value, roles: roles.value() });
      notice(t('admin.created', { username: u.username }), true);
      await admin(codePanel(u, u.enrolment));
    } catch (e) {
      if (e.code === 'unauthorized') fail(e);
      else if (e.code === 'exists') showError(form, e, t('admin.taken', { username: uname.value.trim() }));
      else showError(form, e);
    }
  });
  const channels = await channelsSection();
  page(t('admin.title'),
    h('p', {}, t('admin.intro', { username: app.me.username })),
    shown, list.el, editArea, form, channels);
  if (shown) shown.scrollIntoView({ block: 'start' });
}

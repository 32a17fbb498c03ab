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
import { t } from './i18n.js';

const userPath = (u) => `/api/v1/users/${encodeURIComponent(u.username)}`;

export const ROLES = ['staff', 'officer', 'principal', 'auditor', 'admin', 'records'];

export function roleBoxes(prefix, current = []) {
  const boxes = ROLES.map((r) => [r, h('input', { type: 'checkbox', name: `${prefix}-${r}`, checked: current.includes(r) })]);
  const fs = h('fieldset', {}, h('legend', {}, t('accountEdit.roles')), boxes.map(([r, b]) => check(t(`role.${r}`), b)));
  return { fs, value: () => boxes.filter(([, b]) => b.checked).map(([r]) => r) };
}

// The one-time enrolment code of a new (or reset) account, for the administrator to hand over.
export function codePanel(u, enrolment) {
  return h('section', { class: 'warning', role: 'alert', 'aria-label': t('accountEdit.code.title', { username: u.username }) },
    h('h2', {}, t('accountEdit.code.title', { username: u.username })),
    h('p', {}, h('strong', {}, `${t('common.once')} `), t('accountEdit.code.give', { name: u.display_name || u.username, until: when(enrolment.expires_at) })),
    h('pre', { class: 'recovery-key', 'aria-label': t('accountEdit.code.label') }, enrolment.code),
    keepButtons(() => enrolment.code, `dissent-enrolment-${u.username}.txt`, 'code',
      `${t('accountEdit.code.file', { username: u.username })}\n${enrolment.code}\n`));
}

// @done(changed, panel): the caller redraws the list (changed, with @panel above it) or closes
// the form. @channels: the deployment's (GET /api/v1/channels); with more than one, the form
// also says which the account's officer, head and principal roles are of.
export function editForm(u, done, channels = []) {
  const name = h('input', { type: 'text', value: u.display_name || '', 'data-field': 'display_name' });
  const email = h('input', { type: 'email', value: u.email || '', 'data-field': 'email' });
  const roles = roleBoxes(`edit-${u.username}`, u.roles);
  roles.fs.setAttribute('data-field', 'roles');
  roles.fs.tabIndex = -1;
  const disabled = h('input', { type: 'checkbox', checked: u.disabled, 'data-field': 'disabled' });
  const chanBoxes = channels.length > 1
    ? channels.map((c) => [c.slug, h('input', { type: 'checkbox', name: `edit-${u.username}-ch-${c.slug}`, checked: (u.channels || [1]).includes(c.number) })])
    : [];
  const chanSet = chanBoxes.length
    ? h('fieldset', { 'data-field': 'channels', tabindex: '-1' }, h('legend', {}, t('accountEdit.channels')),
      h('p', { class: 'note' }, t('accountEdit.channelsNote')),
      chanBoxes.map(([slug, b]) => check(channels.find((c) => c.slug === slug).name || slug, b)))
    : null;
  const form = h('form', { 'aria-label': t('accountEdit.title', { username: u.username }) }, h('h3', {}, t('accountEdit.title', { username: u.username })),
    field(t('accountEdit.displayName'), name), field(t('accountEdit.email'), email), roles.fs, chanSet, check(t('accountEdit.disabled'), disabled),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('accountEdit.save')), h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, t('accountEdit.cancel'))));
  let version = u.version;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { display_name: name.value, email: email.value, roles: roles.value(), disabled: disabled.checked };
    if (chanBoxes.length) body.channels = chanBoxes.filter(([, b]) => b.checked).map(([slug]) => slug);
    try {
      const r = await api('PATCH', userPath(u), body, { 'If-Match': `"${version}"` });
      version = r.data.version;
      notice(t('accountEdit.saved', { username: u.username }));
      done(true);
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(form, e);
    }
  });

  const resetTotp = h('button', { type: 'button', class: 'secondary' }, t('accountEdit.totp.button'));
  const resetAll = h('button', { type: 'button', class: 'secondary' }, t('accountEdit.reset.button'));
  const operator = u.roles.includes('admin') || u.roles.includes('auditor') || u.roles.includes('records');
  const resets = h('section', { class: 'panel', 'aria-label': t('accountEdit.resets', { username: u.username }) },
    h('h3', {}, t('accountEdit.totp.heading')),
    h('p', {}, t('accountEdit.totp.explain')),
    h('div', { class: 'actions' }, resetTotp),
    operator ? null : [
      h('h3', {}, t('accountEdit.reset.heading')),
      h('p', {}, t('accountEdit.reset.explain')),
      h('div', { class: 'actions' }, resetAll)]);
  resetTotp.addEventListener('click', async () => {
    const ok = await confirmStep({
      title: t('accountEdit.totp.confirmTitle', { username: u.username }),
      text: [
        t('accountEdit.totp.confirmText', { name: u.display_name || u.username }),
        t('accountEdit.totp.confirmCheck'),
      ],
      confirm: t('accountEdit.totp.button'),
    });
    if (!ok) return;
    try {
      const r = await api('PATCH', userPath(u), { totp: false });
      version = r.data.version;
      showDone(resets, t('accountEdit.totp.done', { username: u.username })).focus();
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(resets, e);
    }
  });
  resetAll.addEventListener('click', async () => {
    const ok = await confirmStep({
      title: t('accountEdit.reset.confirmTitle', { username: u.username }),
      text: [
        t('accountEdit.reset.confirmText', { name: u.display_name || u.username }),
        t('accountEdit.reset.confirmCode'),
      ],
      confirm: t('accountEdit.reset.button'),
      danger: true,
    });
    if (!ok) return;
    try {
      const r = await api('POST', `${userPath(u)}/reset`);
      notice(t('accountEdit.reset.done', { username: u.username }));
      done(true, codePanel(r.data, r.data.enrolment));
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(resets, e);
    }
  });
  return h('div', {}, form, resets);
}

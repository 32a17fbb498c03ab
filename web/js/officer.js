// Officers: their actions on a filed memo, added to the memo page's one action bar (the inbox
// and channel access grants are in queue.js). Acknowledge, decline (reason, asked in the
// confirmation), distribute (usernames), extend (date and reason, within the allowed range),
// reply (CommonMark with a live preview, confirmed before sending), close (confirmed).
import { post } from './api.js';
import { h, field, day } from './dom.js';
import { M, namesForm, renderInto, can } from './memo-common.js';
import { failed } from './actionbar.js';
import { confirmStep } from './dialog.js';
import { app } from './shell.js';
import { t } from './i18n.js';

// YYYY-MM-DD of the day after @iso (UTC arithmetic on a calendar date).
function nextDay(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function extendForm(m, bar) {
  const r = m.deadlines.reply;
  const min = nextDay(r.due);
  const range = t('officer.extend.range', { due: day(r.due), max: day(r.max) });
  const until = h('input', { type: 'date', min, max: r.max, 'data-field': 'until', id: 'extend-until', required: true });
  const reason = h('textarea', { rows: 3, 'data-field': 'reason', id: 'extend-reason' });
  const btn = h('button', { type: 'submit' }, t('officer.extend.submit'));
  const form = h('form', { 'aria-label': t('officer.extend.title'), novalidate: true },
    field(t('officer.extend.until'), until, range),
    field(t('officer.reason'), reason, t('officer.extend.reasonHint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = until.value;
    if (!/^\d{4}-\d\d-\d\d$/.test(v) || v < min || v > r.max) { failed(form, { field: 'until' }, range); return; }
    if (!reason.value.trim()) { failed(form, { field: 'reason' }, t('officer.extend.noReason')); return; }
    bar.submit(form, () => post(`${M(m.id)}/extend`, { until: v, reason: reason.value.trim() }), t('officer.extend.done', { date: day(v) }), btn);
  });
  return form;
}

// Where a declined memo belongs, as the drafter reads it (GET .../memos/{id} "referral"):
// [code, words] pairs, whose words (officer.referral.CODE) are looked up when read, in the
// language in use then (this module is loaded before the catalogs).
export const REFERRALS = ['grievance', 'eeo', 'inspector-general', 'other'].map((v) =>
  Object.defineProperty([v], 1, { get: () => t(`officer.referral.${v}`), enumerable: true }));

function declineForm(m, bar) {
  const reason = h('textarea', { rows: 3, 'data-field': 'reason', id: 'decline-reason-in' });
  const to = h('select', { 'data-field': 'referral', id: 'decline-referral' },
    h('option', { value: '' }, t('officer.decline.choose')), REFERRALS.map(([v, name]) => h('option', { value: v }, name)));
  const note = h('input', { type: 'text', maxlength: 2000, 'data-field': 'referral_note', id: 'decline-note' });
  const btn = h('button', { type: 'submit', class: 'danger' }, t('officer.decline.submit'));
  const form = h('form', { 'aria-label': t('officer.decline.form'), novalidate: true },
    field(t('officer.reason'), reason, t('officer.decline.reasonHint')),
    field(t('officer.decline.referral'), to, t('officer.decline.referralHint')),
    field(t('officer.decline.note'), note, t('officer.decline.noteHint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { failed(form, { field: 'reason' }, t('officer.decline.noReason')); return; }
    if (!to.value) { failed(form, { field: 'referral' }, t('officer.decline.noReferral')); return; }
    if (to.value === 'other' && !note.value.trim()) { failed(form, { field: 'referral_note' }, t('officer.decline.noNote')); return; }
    const ok = await confirmStep({
      title: t('officer.decline.confirmTitle'), confirm: t('officer.decline.submit'), danger: true,
      text: [t('officer.decline.confirmFinal'), t('officer.decline.confirmSeen')],
    });
    if (!ok) return;
    const body = { reason: reason.value.trim(), referral: to.value };
    if (note.value.trim()) body.referral_note = note.value.trim();
    bar.submit(form, () => post(`${M(m.id)}/decline`, body), t('officer.decline.done'), btn);
  });
  return form;
}

// A holding answer: the drafter reads it; the reply's deadline runs on.
function interimForm(m, bar) {
  const body = h('textarea', { rows: 3, maxlength: 2000, 'data-field': 'body', id: 'interim-body' });
  const btn = h('button', { type: 'submit' }, t('officer.interim.submit'));
  const form = h('form', { 'aria-label': t('officer.interim.title'), novalidate: true },
    field(t('officer.interim.label'), body, t('officer.interim.hint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, t('officer.interim.empty')); return; }
    bar.submit(form, () => post(`${M(m.id)}/interim`, { body: body.value.trim() }), t('officer.interim.done'), btn);
  });
  return form;
}

// Assign the memo to an officer (oneself too); a reassignment says why.
function assignForm(m, bar) {
  const me = (app.me || {}).username || '';
  const again = !!m.assigned_to;
  const who = h('input', { type: 'text', 'data-field': 'username', id: 'assign-username', value: again ? '' : me, autocapitalize: 'none', spellcheck: 'false' });
  const reason = h('textarea', { rows: 2, 'data-field': 'reason', id: 'assign-reason' });
  const btn = h('button', { type: 'submit' }, again ? t('officer.assign.reassign') : t('officer.assign.assign'));
  const form = h('form', { 'aria-label': t('officer.assign.form'), novalidate: true },
    field(t('officer.assign.username'), who, t('officer.assign.usernameHint')),
    field(again ? t('officer.assign.reasonRequired') : t('officer.assign.reasonOptional'), reason, t('officer.assign.reasonHint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = who.value.trim();
    if (!name) { failed(form, { field: 'username' }, t('officer.assign.noUsername')); return; }
    if (again && !reason.value.trim()) { failed(form, { field: 'reason' }, t('officer.assign.noReason')); return; }
    const body = { username: name };
    if (reason.value.trim()) body.reason = reason.value.trim();
    bar.submit(form, () => post(`${M(m.id)}/assignment`, body), t('officer.assign.done', { username: name }), btn);
  });
  return form;
}

function replyForm(m, bar) {
  const body = h('textarea', { rows: 10, 'data-field': 'body', id: 'reply-body' });
  const preview = h('div', { class: 'memo-body', id: 'reply-preview', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('officer.reply.previewEmpty')));
  const btn = h('button', { type: 'submit' }, t('officer.reply.submit'));
  let timer = null;
  body.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => renderInto(preview, body.value, t('officer.reply.previewEmpty')), 400);
  });
  const form = h('form', { 'aria-label': t('officer.reply.form'), novalidate: true },
    h('div', { class: 'side-by-side' },
      h('div', { class: 'text-col' }, field(t('officer.reply.label'), body, t('officer.reply.hint'))),
      h('div', { class: 'preview-col' }, h('h3', { id: 'h-reply-preview' }, t('officer.reply.preview')), preview)),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, t('officer.reply.empty')); return; }
    const ok = await confirmStep({
      title: t('officer.reply.confirmTitle'), confirm: t('officer.reply.submit'),
      text: [t('officer.reply.confirmFinal'), t('officer.reply.confirmSeen')],
    });
    if (!ok) return;
    bar.submit(form, () => post(`${M(m.id)}/reply`, { body: body.value }), t('officer.reply.done'), btn);
  });
  return form;
}

// Add the officer's actions on @m to the action bar @bar.
export function officerActions(m, bar) {
  const id = m.id;
  if (can(m, 'acknowledge')) {
    bar.button(t('officer.acknowledge'), { id: 'do-acknowledge', fn: () => post(`${M(id)}/acknowledge`), done: t('officer.acknowledged') });
  }
  if (can(m, 'decline')) bar.expand(t('officer.decline.open'), () => declineForm(m, bar), { id: 'open-decline' });
  if (can(m, 'assign')) bar.expand(m.assigned_to ? t('officer.assign.reassign') : t('officer.assign.assign'), () => assignForm(m, bar), { id: 'open-assign' });
  if (can(m, 'distribute')) {
    bar.expand(t('officer.distribute.title'), () => namesForm(bar, {
      heading: t('officer.distribute.title'), label: t('officer.distribute.label'), submit: t('officer.distribute.submit'), role: 'principal', id: `distribute-${id}`,
      hint: t('officer.distribute.hint'),
      send: (list) => post(`${M(id)}/distribution`, { usernames: list }), msg: t('officer.distribute.done'),
    }), { id: 'open-distribute' });
  }
  if (can(m, 'reply')) bar.expand(t('officer.reply.open'), () => replyForm(m, bar), { id: 'open-reply' });
  if (can(m, 'interim')) bar.expand(t('officer.interim.title'), () => interimForm(m, bar), { id: 'open-interim' });
  if (can(m, 'extend')) bar.expand(t('officer.extend.title'), () => extendForm(m, bar), { id: 'open-extend' });
  if (can(m, 'close')) {
    bar.button(t('officer.close.button'), {
      id: 'do-close', fn: () => post(`${M(id)}/close`), done: t('officer.close.done'),
      confirm: { title: t('officer.close.confirmTitle'), confirm: t('officer.close.confirm'),
        text: [t('officer.close.confirmText'), t('officer.close.confirmLog')] },
    });
  }
}

// Officers: their actions on a filed memo, added to the memo page's one action bar (the inbox
// and channel access grants are in queue.js). Acknowledge, decline (reason, asked in the
// confirmation), distribute (usernames), extend (date and reason, within the allowed range),
// reply (CommonMark with a live preview, confirmed before sending), close (confirmed).
import { post } from './api.js';
import { h, field } from './dom.js';
import { M, namesForm, renderInto, can } from './memo-common.js';
import { failed } from './actionbar.js';
import { confirmStep } from './dialog.js';
import { app } from './shell.js';

// YYYY-MM-DD of the day after @iso (UTC arithmetic on a calendar date).
function nextDay(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function extendForm(m, bar) {
  const r = m.deadlines.reply;
  const min = nextDay(r.due);
  const range = `Choose a date after ${r.due} (the current due date) and no later than ${r.max}.`;
  const until = h('input', { type: 'date', min, max: r.max, 'data-field': 'until', id: 'extend-until', required: true });
  const reason = h('textarea', { rows: 3, 'data-field': 'reason', id: 'extend-reason' });
  const btn = h('button', { type: 'submit' }, 'Extend the deadline');
  const form = h('form', { 'aria-label': 'Extend the reply deadline', novalidate: true },
    field('New reply due date', until, range),
    field('Reason (the drafter sees it)', reason, 'Why the channel needs more time; at most 2000 characters.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = until.value;
    if (!/^\d{4}-\d\d-\d\d$/.test(v) || v < min || v > r.max) { failed(form, { field: 'until' }, range); return; }
    if (!reason.value.trim()) { failed(form, { field: 'reason' }, 'Give a reason: the drafter sees why the deadline moved.'); return; }
    bar.submit(form, () => post(`${M(m.id)}/extend`, { until: v, reason: reason.value.trim() }), `The reply deadline is now ${v}.`, btn);
  });
  return form;
}

// Where a declined memo belongs, as the drafter reads it (GET .../memos/{id} "referral").
export const REFERRALS = [
  ['grievance', 'The grievance procedure'],
  ['eeo', 'The Equal Employment Opportunity office'],
  ['inspector-general', 'The Office of Inspector General'],
  ['other', 'Elsewhere (say where in the note)'],
];

function declineForm(m, bar) {
  const reason = h('textarea', { rows: 3, 'data-field': 'reason', id: 'decline-reason-in' });
  const to = h('select', { 'data-field': 'referral', id: 'decline-referral' },
    h('option', { value: '' }, 'Choose where it belongs'), REFERRALS.map(([v, t]) => h('option', { value: v }, t)));
  const note = h('input', { type: 'text', maxlength: 2000, 'data-field': 'referral_note', id: 'decline-note' });
  const btn = h('button', { type: 'submit', class: 'danger' }, 'Decline the memo');
  const form = h('form', { 'aria-label': 'Decline the memo as out of scope', novalidate: true },
    field('Reason (the drafter sees it)', reason, 'Why the memo is outside the channel\'s scope; at most 2000 characters.'),
    field('Refer the drafter to', to, 'Where a matter that is not policy dissent belongs.'),
    field('Note for the drafter (optional, unless "elsewhere")', note, 'How to reach it, or where else to go; at most 2000 characters.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { failed(form, { field: 'reason' }, 'Give a reason: the drafter sees why the memo was declined.'); return; }
    if (!to.value) { failed(form, { field: 'referral' }, 'Say where the memo belongs: the drafter is referred there.'); return; }
    if (to.value === 'other' && !note.value.trim()) { failed(form, { field: 'referral_note' }, 'Say where the drafter should go instead.'); return; }
    const ok = await confirmStep({
      title: 'Decline this memo as out of scope?', confirm: 'Decline the memo', danger: true,
      text: ['Declining ends the memo\'s handling: it will not be acknowledged or answered, and its deadlines stop. This is final.',
        'The drafter sees your reason and where you refer them; the decline is recorded in the public log (without either).'],
    });
    if (!ok) return;
    const body = { reason: reason.value.trim(), referral: to.value };
    if (note.value.trim()) body.referral_note = note.value.trim();
    bar.submit(form, () => post(`${M(m.id)}/decline`, body), 'Declined. The drafter sees your reason and where you referred them.', btn);
  });
  return form;
}

// A holding answer: the drafter reads it; the reply's deadline runs on.
function interimForm(m, bar) {
  const body = h('textarea', { rows: 3, maxlength: 2000, 'data-field': 'body', id: 'interim-body' });
  const btn = h('button', { type: 'submit' }, 'Send the interim answer');
  const form = h('form', { 'aria-label': 'Interim answer', novalidate: true },
    field('Interim answer (the drafter reads it)', body, 'Where the channel stands, at most 2000 characters. It is not the reply: the reply\'s deadline does not stop.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, 'Write the interim answer first: it is empty.'); return; }
    bar.submit(form, () => post(`${M(m.id)}/interim`, { body: body.value.trim() }), 'Interim answer sent. The reply is still due as shown above.', btn);
  });
  return form;
}

// Assign the memo to an officer (oneself too); a reassignment says why.
function assignForm(m, bar) {
  const me = (app.me || {}).username || '';
  const again = !!m.assigned_to;
  const who = h('input', { type: 'text', 'data-field': 'username', id: 'assign-username', value: again ? '' : me, autocapitalize: 'none', spellcheck: 'false' });
  const reason = h('textarea', { rows: 2, 'data-field': 'reason', id: 'assign-reason' });
  const btn = h('button', { type: 'submit' }, again ? 'Reassign' : 'Assign');
  const form = h('form', { 'aria-label': 'Assign the memo', novalidate: true },
    field('Officer\'s username', who, 'The officer who handles the memo from now on: yourself, or a colleague who holds the channel key and is not recused.'),
    field(again ? 'Reason (required: the memo is handled by someone already)' : 'Reason (optional)', reason, 'Shown in the memo\'s timeline; at most 2000 characters.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = who.value.trim();
    if (!name) { failed(form, { field: 'username' }, 'Give the username of the officer who handles the memo.'); return; }
    if (again && !reason.value.trim()) { failed(form, { field: 'reason' }, 'Say why the memo changes hands.'); return; }
    const body = { username: name };
    if (reason.value.trim()) body.reason = reason.value.trim();
    bar.submit(form, () => post(`${M(m.id)}/assignment`, body), `Assigned to ${name}.`, btn);
  });
  return form;
}

function replyForm(m, bar) {
  const body = h('textarea', { rows: 10, 'data-field': 'body', id: 'reply-body' });
  const preview = h('div', { class: 'memo-body', id: 'reply-preview', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'The preview appears here as you type.'));
  const btn = h('button', { type: 'submit' }, 'Send the reply');
  let timer = null;
  body.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => renderInto(preview, body.value, 'The preview appears here as you type.'), 400);
  });
  const form = h('form', { 'aria-label': 'Reply for the channel', novalidate: true },
    h('div', { class: 'side-by-side' },
      h('div', { class: 'text-col' }, field('The channel\'s reply (CommonMark)', body, 'Signed by the channel and bound to this memo\'s digest.')),
      h('div', { class: 'preview-col' }, h('h3', { id: 'h-reply-preview' }, 'Preview'), preview)),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, 'Write the reply first: it is empty.'); return; }
    const ok = await confirmStep({
      title: 'Send this reply?', confirm: 'Send the reply',
      text: ['The reply is signed with the channel\'s key and bound to this memo\'s text: it cannot be changed or taken back afterwards.',
        'The drafter and everyone who reads the memo see it; the reply is recorded in the public log (without its text).'],
    });
    if (!ok) return;
    bar.submit(form, () => post(`${M(m.id)}/reply`, { body: body.value }), 'Reply sent. It is signed by the channel and shown below.', btn);
  });
  return form;
}

// Add the officer's actions on @m to the action bar @bar.
export function officerActions(m, bar) {
  const id = m.id;
  if (can(m, 'acknowledge')) {
    bar.button('Acknowledge', { id: 'do-acknowledge', fn: () => post(`${M(id)}/acknowledge`), done: 'Acknowledged; the memo is distributed to the channel\'s principals. The reply deadline is shown above.' });
  }
  if (can(m, 'decline')) bar.expand('Decline as out of scope', () => declineForm(m, bar), { id: 'open-decline' });
  if (can(m, 'assign')) bar.expand(m.assigned_to ? 'Reassign' : 'Assign', () => assignForm(m, bar), { id: 'open-assign' });
  if (can(m, 'distribute')) {
    bar.expand('Distribute to principals', () => namesForm(bar, {
      heading: 'Distribute to principals', label: 'Principals\' usernames', submit: 'Send to these principals', role: 'principal', id: `distribute-${id}`,
      hint: 'Separated by commas or spaces; type two letters of a name for suggestions. They can then read the memo and its comments.',
      send: (list) => post(`${M(id)}/distribution`, { usernames: list }), msg: 'Distributed.',
    }), { id: 'open-distribute' });
  }
  if (can(m, 'reply')) bar.expand('Reply', () => replyForm(m, bar), { id: 'open-reply' });
  if (can(m, 'interim')) bar.expand('Interim answer', () => interimForm(m, bar), { id: 'open-interim' });
  if (can(m, 'extend')) bar.expand('Extend the reply deadline', () => extendForm(m, bar), { id: 'open-extend' });
  if (can(m, 'close')) {
    bar.button('Close', {
      id: 'do-close', fn: () => post(`${M(id)}/close`), done: 'Closed.',
      confirm: { title: 'Close this memo?', confirm: 'Close the memo',
        text: ['Closing ends the memo\'s handling: nobody can comment any more. It stays readable.', 'The closing is recorded in the public log.'] },
    });
  }
}

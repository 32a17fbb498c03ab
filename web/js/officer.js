// Officers: the actions on a filed memo (the inbox and channel access grants are in queue.js).
import { get, post } from './api.js';
import { h, field, suggest } from './dom.js';
import { page, fail, flash } from './app.js';
import { action, textForm, memoPage, findColleagues } from './memos.js';

const M = (id) => `/api/v1/memos/${encodeURIComponent(id)}`;
const names = (s) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

// The officer's panel on a memo page.
export function officerActions(m) {
  const id = m.id;
  const out = [];
  const buttons = [];
  if (m.state === 'filed') buttons.push(action(id, 'Acknowledge', () => post(`${M(id)}/acknowledge`), 'Acknowledged; the memo is distributed to the channel\'s principals.'));
  if (m.state === 'replied') buttons.push(action(id, 'Close', () => post(`${M(id)}/close`), 'Closed.'));
  if (buttons.length) out.push(h('div', { class: 'actions' }, buttons));
  if (m.state === 'filed') {
    out.push(textForm(id, { heading: 'Decline', label: 'Reason', submit: 'Decline the memo', input: h('textarea', { rows: 3 }),
      hint: 'The drafter sees this reason.', send: (v) => post(`${M(id)}/decline`, { reason: v }), msg: 'Declined.' }));
  }
  if (m.state === 'acknowledged' || m.state === 'replied') {
    const input = h('input', { type: 'text', autocapitalize: 'none', id: `distribute-${id}` });
    out.push(textForm(id, { heading: 'Distribute to principals', label: 'Principals\' usernames', submit: 'Distribute',
      input, extra: suggest(input, (q) => findColleagues(q, 'principal')), hint: 'Separated by commas or spaces; type two letters of a name for suggestions.',
      send: (v) => post(`${M(id)}/distribution`, { usernames: names(v) }), msg: 'Distributed.' }));
  }
  if (m.state === 'acknowledged') {
    const until = h('input', { type: 'date' });
    const reason = h('input', { type: 'text' });
    const form = h('form', { 'aria-label': 'Extend the reply deadline' }, h('h3', {}, 'Extend the reply deadline'),
      field('New due date', until, m.deadlines && m.deadlines.reply && m.deadlines.reply.max ? `At most ${m.deadlines.reply.max}.` : null),
      field('Reason', reason), h('button', { type: 'submit' }, 'Extend'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await post(`${M(id)}/extend`, { until: until.value, reason: reason.value });
        await memoPage(id);
        flash('Deadline extended.', true);
      } catch (e) { fail(e); }
    });
    out.push(form);
    out.push(textForm(id, { heading: 'Reply', label: 'The channel\'s reply (CommonMark)', submit: 'Send the reply',
      input: h('textarea', { rows: 8 }), hint: 'Signed by the channel and bound to this memo\'s digest.',
      send: (v) => post(`${M(id)}/reply`, { body: v }), msg: 'Reply sent.' }));
  }
  return out.length ? [h('section', { class: 'panel', 'aria-labelledby': 'h-officer' }, h('h2', { id: 'h-officer' }, 'Officer actions'), out)] : [];
}

// Officers: the inbox sorted by deadline, the actions on a filed memo, and channel access grants.
import { get, post } from './api.js';
import { h, field, badge, table, suggest } from './dom.js';
import { page, fail, flash } from './app.js';
import { action, textForm, stateBadge, memoTable, deadline, memoPage, findColleagues } from './memos.js';

const M = (id) => `/api/v1/memos/${encodeURIComponent(id)}`;
const names = (s) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

function dueRow(m, overdue) {
  const left = m.deadlines && m.deadlines[m.next_action === 'acknowledge' ? 'acknowledge' : 'reply'];
  const soon = !overdue && left && typeof left.working_days_left === 'number' && left.working_days_left <= 2;
  return h('tr', { class: overdue ? 'overdue' : soon ? 'soon' : '' },
    h('td', {}, h('a', { href: `#/memo/${m.id}` }, m.title === null ? h('em', {}, 'no channel access yet') : m.title)),
    h('td', {}, stateBadge(m.state)),
    h('td', {}, m.next_action === 'acknowledge' ? 'Acknowledge' : 'Reply'),
    h('td', {}, m.due, ' ', overdue ? badge('overdue', 'overdue') : soon ? badge('due soon', 'soon') : ''),
    h('td', {}, deadline(left)));
}

export async function inbox() {
  const [d, ch, all] = await Promise.all([get('/api/v1/deadlines'), get('/api/v1/channel'), get('/api/v1/memos?role=officer&limit=200')]);
  const rows = [
    ...d.overdue.map((m) => [m, true]),
    ...d.due.map((m) => [m, false]),
  ].sort((a, b) => (a[0].due < b[0].due ? -1 : a[0].due > b[0].due ? 1 : 0));
  const grant = h('input', { type: 'text', autocapitalize: 'none' });
  const grantForm = h('form', { 'aria-label': 'Grant channel access', class: 'inline' },
    field('Officer\'s username', grant, 'Gives another officer the channel key so they can read filed memos.'),
    h('button', { type: 'submit' }, 'Grant access'));
  grantForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('/api/v1/channel/grants', { username: grant.value.trim() });
      flash(`Channel access granted to ${grant.value.trim()}.`, true);
      grant.value = '';
    } catch (e) { fail(e); }
  });
  page('Officer inbox',
    h('p', {}, `Today is ${d.today} (the organisation's date). ${d.overdue.length} overdue, ${d.due.length} waiting.`),
    !ch.granted ? h('p', { class: 'warning', role: 'note' }, 'You do not hold the channel key yet: you see filed memos listed, but an officer who holds it must grant you access before you can read them.') : null,
    h('section', { 'aria-labelledby': 'h-due' }, h('h2', { id: 'h-due' }, 'Waiting on the channel, by deadline'),
      rows.length ? table(['Memo', 'State', 'Next step', 'Due', 'Deadline'], rows.map(([m, o]) => dueRow(m, o))) : h('p', { class: 'muted' }, 'Nothing is waiting. ')),
    h('section', { 'aria-labelledby': 'h-all' }, h('h2', { id: 'h-all' }, 'All filed memos'), memoTable(all.memos, 'No memo has been filed.')),
    h('section', { 'aria-labelledby': 'h-grant' }, h('h2', { id: 'h-grant' }, 'Channel access'),
      h('p', {}, ch.granted ? 'You hold the channel key.' : ch.has_key ? 'The channel key exists; you have not been granted it.' : 'The channel key does not exist yet.'),
      ch.granted ? grantForm : null));
}

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

// Lists and work queues: my memos, invitations, the principal's reading list and the officer's
// inbox.
import { get, post } from './api.js';
import { h, field, badge, table } from './dom.js';
import { page, fail, flash, has } from './app.js';
import { stateBadge, deadline } from './memos.js';

function memoRow(m) {
  const title = m.title === null ? h('em', {}, 'title not readable by you') : m.title;
  const href = m.state === 'draft' && !has('officer') ? `#/memo/${m.id}/edit` : `#/memo/${m.id}`;
  const dl = m.deadlines || {};
  return h('tr', {},
    h('td', {}, h('a', { href }, title)),
    h('td', {}, stateBadge(m.state)),
    h('td', {}, String(m.signer_count)),
    h('td', {}, m.filed_on || '—'),
    h('td', {}, deadline(dl.acknowledge)),
    h('td', {}, deadline(dl.reply)));
}

export function memoTable(memos, empty) {
  if (!memos.length) return h('p', { class: 'muted' }, empty);
  return table(['Title', 'State', 'Signers', 'Filed', 'Acknowledgement', 'Reply'], memos.map(memoRow));
}

async function listAll(query) {
  let out = [];
  let after = null;
  for (let i = 0; i < 20; i++) {
    const q = `/api/v1/memos?${query}&limit=200${after ? `&after=${encodeURIComponent(after)}` : ''}`;
    const r = await get(q);
    out = out.concat(r.memos);
    if (!r.next) break;
    after = r.next;
  }
  return out;
}

export async function myMemos() {
  const [mine, invited] = await Promise.all([listAll('role=drafter'), listAll('role=invited')]);
  const drafts = mine.filter((m) => m.state === 'draft');
  const open = mine.filter((m) => m.state === 'open');
  const filed = mine.filter((m) => m.state !== 'draft' && m.state !== 'open');
  page('My memos',
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/new' }, 'Write a new memo')),
    h('section', { 'aria-labelledby': 'h-drafts' }, h('h2', { id: 'h-drafts' }, `Drafts (${drafts.length})`), memoTable(drafts, 'No drafts.')),
    h('section', { 'aria-labelledby': 'h-open' }, h('h2', { id: 'h-open' }, `Open for signature (${open.length})`), memoTable(open, 'Nothing open for signature.')),
    h('section', { 'aria-labelledby': 'h-filed' }, h('h2', { id: 'h-filed' }, `Filed (${filed.length})`), memoTable(filed, 'Nothing filed yet.')),
    h('section', { 'aria-labelledby': 'h-inv' }, h('h2', { id: 'h-inv' }, `Invitations to co-sign (${invited.length})`), memoTable(invited, 'No invitations.')));
}

export async function principalList() {
  const memos = await listAll('role=principal');
  page('For my reading',
    h('p', {}, 'Memos the channel\'s officers distributed to you. Reading one is recorded in the memo\'s audit.'),
    memoTable(memos, 'Nothing has been distributed to you.'));
}

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


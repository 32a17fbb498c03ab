// Lists and work queues: my memos and invitations, the principal's reading list, the officer's
// inbox (the work queue by deadline, every filed memo, channel access grants), each with a
// "Needs your action" panel on top; and the counts the navigation shows (navCounts()).
// Every list pages through all its rows (paging.js), 25 at a time, with its filters in the
// address.
import { get, post, ApiError } from './api.js';
import { h, field, badge, table } from './dom.js';
import { page, fail, has, app } from './shell.js';
import { stateBadge, deadline } from './memo-status.js';
import { sentence, showError, showDone } from './errors.js';
import { CursorPages, pagedSection, walkAll, hashParams } from './paging.js';

const STATES = [['', 'Any state'], ['draft', 'Draft'], ['open', 'Open for signature'], ['filed', 'Filed'],
  ['acknowledged', 'Acknowledged'], ['replied', 'Replied'], ['closed', 'Closed'], ['declined', 'Declined'],
  ['withdrawn', 'Withdrawn']];
const FILED_STATES = STATES.filter(([v]) => v !== 'draft' && v !== 'open');
const DEADLINES = [['', 'Any deadline'], ['overdue', 'Overdue'], ['soon', 'Due soon'], ['waiting', 'Waiting on the channel']];

// ---- rows ----

function titleCell(m, href) {
  return h('a', { href, class: 'title' }, m.title === null || m.title === undefined ? h('em', {}, 'title not readable by you') : m.title);
}

const recusedCount = (n) => (n === 1 ? '1 of them a memo you are recused from' : `${n} of them memos you are recused from`);

// An officer's memo they drafted or were invited to co-sign: another officer handles it.
function recusedBadge() {
  return h('span', { class: 'badge state', title: 'You drafted this memo or were invited to co-sign it: another officer handles it.' }, 'recused');
}

function memoRow(m) {
  const href = m.state === 'draft' && !has('officer') ? `#/memo/${m.id}/edit` : `#/memo/${m.id}`;
  const dl = m.deadlines || {};
  return h('tr', {},
    h('td', {}, titleCell(m, href)),
    h('td', {}, stateBadge(m.state), m.recused ? [' ', recusedBadge()] : null),
    h('td', {}, String(m.signer_count ?? '—')),
    h('td', {}, h('span', { class: 'nowrap' }, m.filed_on || '—')),
    h('td', {}, deadline(dl.acknowledge)),
    h('td', {}, deadline(dl.reply)));
}

export function memoTable(memos, empty) {
  if (!memos.length) return h('p', { class: 'muted empty' }, empty);
  return table(['Title', 'State', 'Signers', 'Filed', 'Acknowledgement', 'Reply'], memos.map(memoRow));
}

// ---- the API's memo lists ----

function memosQuery(base, values = {}) {
  const q = new URLSearchParams(base);
  if (values.state) q.set('state', values.state);
  if (values.deadline) q.set('deadline', values.deadline);
  if (values.q) q.set('q', values.q);
  if (values.assigned === APPROVAL[0]) q.set('approval', 'me');
  else if (values.assigned) q.set('assigned', values.assigned);
  return q;
}

// Cursor pages of GET /api/v1/memos?@base with the filter @values.
// A search answers with fewer memos than asked and a cursor when it examined its most: ask on.
function memoPages(base, values) {
  return new CursorPages(async (after, limit) => {
    const out = [];
    let cursor = after;
    for (;;) {
      const q = memosQuery(base, values);
      q.set('limit', String(limit - out.length));
      if (cursor) q.set('after', cursor);
      const r = await get(`/api/v1/memos?${q}`);
      out.push(...r.memos);
      if (out.length >= limit || !r.next) return out;
      cursor = r.next;
    }
  });
}

// Every memo of GET /api/v1/memos?@base, however many pages.
export function listAll(base) {
  return walkAll(async (after) => {
    const q = new URLSearchParams(base);
    q.set('limit', '200');
    if (after) q.set('after', after);
    const r = await get(`/api/v1/memos?${q}`);
    return { items: r.memos, next: r.next };
  });
}

// Whether this server filters memo lists by deadline (GET /api/v1/memos?deadline=): an older one
// answers 422 naming the field.
let deadlineFilter = null;
async function hasDeadlineFilter(base) {
  if (deadlineFilter !== null) return deadlineFilter;
  try {
    await get(`/api/v1/memos?${base}&deadline=waiting&limit=1`);
    deadlineFilter = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 422 && e.field === 'deadline') deadlineFilter = false;
    else throw e;
  }
  return deadlineFilter;
}

const ASSIGNED = [['', 'Anyone or nobody'], ['me', 'Assigned to me'], ['none', 'Assigned to nobody yet']];
// the channel's head also finds the replies awaiting their approval (GET /api/v1/memos?approval=me)
const APPROVAL = ['approval', 'Awaiting my approval'];
const isHead = () => !!(app.me && (app.me.roles || []).includes('head'));

function memoSection({ id, title, base, states, deadlines, assigned = false, empty, prefix = '' }) {
  // the titles are searched on the server, for this reader only (never indexed)
  const filters = [{ key: `${prefix}q`, label: 'Search titles', search: true },
    { key: `${prefix}state`, label: 'State', options: states }];
  if (deadlines) filters.push({ key: `${prefix}deadline`, label: 'Deadline', options: DEADLINES });
  if (assigned) filters.push({ key: `${prefix}assigned`, label: 'Handled by', options: isHead() ? [...ASSIGNED, APPROVAL] : ASSIGNED });
  return pagedSection({
    id, title, filters, pageKey: `${prefix}page`, noun: ['memo', 'memos'], sentence,
    source: (v) => memoPages(base, { state: v[`${prefix}state`], deadline: v[`${prefix}deadline`], q: v[`${prefix}q`], assigned: v[`${prefix}assigned`] }),
    render: (items) => memoTable(items, ''),
    empty: (v) => (v[`${prefix}state`] || v[`${prefix}deadline`] || v[`${prefix}q`] || v[`${prefix}assigned`] ? 'No memo matches these filters.' : empty),
  });
}

// ---- "Needs your action" ----

// One line of the panel: a count, what it is, and a link to the rows.
function needLine(n, text, href, extra = null) {
  return h('li', { class: n ? 'need' : 'need none' },
    h('strong', { class: 'need-count' }, String(n)), ' ', text, extra ? [' ', extra] : null,
    n && href ? [' ', h('a', { href }, 'Show')] : null);
}

function needsPanel(lines, nothing) {
  const any = lines.some((l) => !l.classList.contains('none'));
  return h('section', { id: 'needs-action', class: 'panel needs', 'aria-labelledby': 'h-needs' },
    h('h2', { id: 'h-needs' }, 'Needs your action'),
    any ? h('ul', { class: 'needs-list' }, lines) : h('p', { class: 'muted empty' }, nothing));
}

// Staff: invitations not signed yet, my open memos to sign and file, my drafts. Lists carry no
// "signed by me" flag (yet): when a summary has `my_signature`, it is used.
async function staffNeeds() {
  const [drafts, open, inv] = await Promise.all([listAll('role=drafter&state=draft'), listAll('role=drafter&state=open'), listAll('role=invited&state=open')]);
  const waiting = inv.filter((m) => !m.my_signature || m.my_signature.status === 'none' || m.my_signature.status === 'voided');
  return { drafts: drafts.length, open: open.length, invitations: waiting.length };
}

// Officers: what waits on the channel, counted by the server over the whole queue (the counts of
// GET /api/v1/deadlines, whatever page it answers). A memo the officer is recused from is listed
// (marked) but is not theirs to act on: it counts nowhere but in `recused`.
function officerNeeds(d) {
  const c = d.counts;
  return {
    actionable: c.waiting, ack: c.acknowledge, ackOverdue: c.acknowledge_overdue,
    reply: c.reply, replyOverdue: c.reply_overdue, overdue: c.overdue,
    recused: c.recused, total: c.waiting + c.recused,
  };
}

// The counts alone: limit=0 lists no memo (every title listed is a read in the audit).
const queueCounts = async () => officerNeeds(await get('/api/v1/deadlines?limit=0'));

// Principals: memos distributed to them. Lists do not say what the principal has read (yet): a
// summary's `read` flag is used when there is one, else the memos still awaiting the channel's
// reply count as those to read.
function principalNeeds(memos) {
  const knowsRead = memos.some((m) => typeof m.read === 'boolean');
  const toRead = knowsRead ? memos.filter((m) => m.read === false) : memos.filter((m) => m.state === 'acknowledged');
  return { knowsRead, toRead, total: memos.length };
}

// The counts next to the navigation's lists: {'#/memos': n, '#/inbox': n, '#/reading': n}, only
// for the user's roles; n is what waits for the user's action (as in the panels).
// Every list the API answers records a "read title" in the audit of each memo listed, so the
// counts are not fetched again on every page: the list pages keep them up to date as they draw
// (remember()), and navCounts() fetches only what is older than COUNTS_MAX_AGE.
const COUNTS_MAX_AGE = 5 * 60 * 1000;
const counted = new Map(); // `${username} ${href}` -> {n, at}
const countKey = (href) => `${app.me ? app.me.username : ''} ${href}`;
function remember(href, n) { counted.set(countKey(href), { n, at: Date.now() }); }
function fresh(href) {
  const c = counted.get(countKey(href));
  return c && Date.now() - c.at < COUNTS_MAX_AGE ? c.n : null;
}

export async function navCounts() {
  const out = {};
  const jobs = [];
  const count = (href, fetch) => {
    const n = fresh(href);
    if (n !== null) { out[href] = n; return; }
    jobs.push(fetch().then((v) => { remember(href, v); out[href] = v; }));
  };
  if (has('staff')) count('#/memos', async () => { const c = await staffNeeds(); return c.invitations + c.open + c.drafts; });
  if (has('officer')) count('#/inbox', async () => (await queueCounts()).actionable);
  if (has('principal')) count('#/reading', async () => principalNeeds(await listAll('role=principal')).toRead.length);
  await Promise.all(jobs);
  return out;
}

// ---- pages ----

export async function myMemos() {
  const mine = memoSection({ id: 'mine', title: 'Memos I drafted', base: 'role=drafter', states: STATES, deadlines: true, empty: 'You have not written a memo yet.' });
  const inv = memoSection({ id: 'invitations', title: 'Invitations to co-sign', base: 'role=invited', states: STATES, empty: 'No invitations.', prefix: 'inv-' });
  const [needs] = await Promise.all([staffNeeds(), mine.load(), inv.load()]);
  remember('#/memos', needs.invitations + needs.open + needs.drafts);
  page('My memos',
    needsPanel([
      needLine(needs.invitations, needs.invitations === 1 ? 'invitation waiting for your signature' : 'invitations waiting for your signature', '#/memos?inv-state=open'),
      needLine(needs.open, needs.open === 1 ? 'memo open for signature: sign it and file it when ready' : 'memos open for signature: sign them and file when ready', '#/memos?state=open'),
      needLine(needs.drafts, needs.drafts === 1 ? 'draft to finish' : 'drafts to finish', '#/memos?state=draft'),
    ], 'Nothing needs your action.'),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/new' }, 'Write a new memo')),
    mine.el, inv.el);
  scrollToList({ mine: ['state', 'deadline', 'page'], invitations: ['inv-state', 'inv-page'] });
}

export async function principalList() {
  const all = await listAll('role=principal');
  const needs = principalNeeds(all);
  remember('#/reading', needs.toRead.length);
  const list = memoSection({ id: 'reading', title: 'Distributed to you', base: 'role=principal', states: FILED_STATES, empty: 'Nothing has been distributed to you.' });
  await list.load();
  const newest = needs.toRead.slice(0, 5);
  const lines = [needLine(needs.toRead.length, needs.knowsRead
    ? (needs.toRead.length === 1 ? 'memo distributed to you and not read yet' : 'memos distributed to you and not read yet')
    : (needs.toRead.length === 1 ? 'memo distributed to you is awaiting the channel\'s reply' : 'memos distributed to you are awaiting the channel\'s reply'),
  needs.knowsRead ? null : '#/reading?state=acknowledged')];
  const panel = needsPanel(lines, all.length ? 'Nothing is waiting for you: every memo distributed to you has been answered.' : 'Nothing has been distributed to you yet.');
  if (newest.length) {
    panel.append(h('p', { class: 'needs-sub' }, 'Newest:'), h('ul', { class: 'needs-items' },
      newest.map((m) => h('li', {}, titleCell(m, `#/memo/${m.id}`), ' ', h('span', { class: 'muted' }, m.acknowledged_on ? `acknowledged ${m.acknowledged_on}` : m.filed_on ? `filed ${m.filed_on}` : '')))));
  }
  page('For my reading',
    h('p', {}, 'Memos the channel\'s officers distributed to you. Reading one is recorded in the memo\'s audit.'),
    panel, list.el);
  scrollToList({ reading: ['state', 'page'] });
}

function dueRow(m) {
  const w = m.deadlines && m.deadlines[m.next_action === 'acknowledge' ? 'acknowledge' : 'reply'];
  const soon = !m.overdue && w && !w.paused && typeof w.working_days_left === 'number' && w.working_days_left <= 2;
  return h('tr', { class: m.overdue ? 'overdue' : soon ? 'soon' : null, 'data-id': m.id },
    h('td', {}, titleCell(m, `#/memo/${m.id}`)),
    h('td', {}, stateBadge(m.state), m.recused ? [' ', recusedBadge()] : null),
    h('td', {}, m.next_action === 'acknowledge' ? 'Acknowledge' : 'Reply'),
    h('td', {}, h('span', { class: 'due' }, m.due || '—'), ' ', m.overdue ? badge('overdue', 'overdue') : soon ? badge('due soon', 'soon') : null),
    h('td', {}, h('span', { class: 'nowrap' }, m.filed_on || '—')),
    h('td', {}, deadline(w)));
}

function queueSection(needs) {
  return pagedSection({
    id: 'queue', title: 'Work queue', pageKey: 'qpage', noun: ['memo', 'memos'], sentence,
    intro: h('p', { class: 'muted' }, 'What waits on the channel: the earliest due date first, and within a due date the oldest memo first.'),
    filters: [
      { key: 'next', label: 'Next step', options: [['', 'Any step'], ['acknowledge', 'Acknowledge'], ['reply', 'Reply']] },
      { key: 'due', label: 'Deadline', options: [['', 'Any deadline'], ['overdue', 'Overdue'], ['soon', 'Due soon']] },
    ],
    // the server pages the queue in this order, its filters applied (GET /api/v1/deadlines)
    source: (v) => new CursorPages(async (after, limit) => {
      const q = new URLSearchParams({ limit: String(limit) });
      if (after) q.set('after', after);
      if (v.next) q.set('next', v.next);
      if (v.due) q.set('deadline', v.due);
      const d = await get(`/api/v1/deadlines?${q}`);
      const items = [...d.overdue.map((m) => ({ ...m, overdue: true })), ...d.due.map((m) => ({ ...m, overdue: false }))];
      items.total = d.total;
      items.next = d.next;
      return items;
    }, { exact: true }),
    render: (items) => table(['Memo', 'State', 'Next step', 'Due', 'Filed', 'Deadline'], items.map(dueRow)),
    empty: (v) => (v.next || v.due ? 'Nothing waiting matches these filters.' : 'Nothing is waiting on the channel.'),
  });
}

// Accounts an administrator reset: officers who hold the channel key confirm, outside the system
// (in person, by phone), that the re-enrolled account is its user's; the confirmation that
// completes the count shares the account's filed memos again (docs/security.md).
function resetSection(resets, ch) {
  if (!resets.length) return null;
  const me = app.me.username;
  const row = (a) => {
    const who = a.display_name ? `${a.display_name} (${a.username})` : a.username;
    const need = a.confirmations_required;
    let where;
    if (!a.enrolled) where = 'has not enrolled again yet';
    else if (!a.held) where = `enrolled again; ${a.to_reshare === 1 ? '1 filed memo' : `${a.to_reshare} filed memos`} to share again`;
    else if (a.confirmed_by) where = `enrolled again; confirmed by ${a.confirmed_by}, one more officer must confirm`;
    else where = `enrolled again; ${need === 1 ? 'an officer' : `${need} officers`} must confirm it is them`;
    const canConfirm = ch.granted && a.enrolled && a.username !== me && a.confirmed_by !== me;
    const li = h('li', { 'data-reset': a.username }, `${who}, reset on ${String(a.reset_at ? new Date(a.reset_at * 1000).toISOString().slice(0, 10) : '')}: ${where}.`);
    if (canConfirm) {
      const fp = h('input', { type: 'text', autocapitalize: 'none', autocomplete: 'off', spellcheck: 'false', required: true, 'data-field': 'fingerprint', class: 'mono' });
      const label = a.held && a.confirmed_by === null && need > 1 ? 'Confirm it is them' : 'Confirm and share again';
      const form = h('form', { 'aria-label': `Confirm ${a.username}`, class: 'inline' },
        field('Fingerprint they read to you', fp, 'Ask them to sign in and read the fingerprint shown at the top of their page: 16 letters and digits.'),
        h('button', { type: 'submit', class: 'secondary' }, label));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const btn = form.querySelector('button');
        btn.disabled = true;
        try {
          const r = await post(`/api/v1/channel/resets/${encodeURIComponent(a.username)}/confirm`, { fingerprint: fp.value.trim() });
          form.remove();
          showDone(li, r.held ? `Your confirmation is recorded. Another officer must confirm ${a.username} too.` : `${a.username} is confirmed: ${r.reshared === 1 ? '1 filed memo was' : `${r.reshared} filed memos were`} shared with them again.`).focus();
        } catch (e) {
          btn.disabled = false;
          if (e instanceof ApiError && e.code === 'unauthorized') fail(e);
          else showError(form, e, e instanceof ApiError && e.code === 'fingerprint_mismatch' ? `That is not the fingerprint of ${a.username}'s account. Do not confirm: the person you spoke to may not be the one who enrolled it. Tell the other officers.` : null);
        }
      });
      li.append(form);
    }
    return li;
  };
  return h('section', { 'aria-labelledby': 'h-resets', id: 'resets' }, h('h2', { id: 'h-resets' }, 'Accounts reset by an administrator'),
    h('p', {}, 'An administrator\'s reset revokes an account\'s keys, and whoever got the new enrolment code can enrol: maybe not the person. Before anything is shared with the account again, confirm with the person themselves (in person or by phone, not by email) that they enrolled it. The last confirmation shares their filed memos with them again.'),
    ch.granted ? null : h('p', { class: 'muted' }, 'Only officers who hold the channel key confirm.'),
    h('ul', {}, resets.map(row)));
}

export async function inbox() {
  const [d, ch, rs] = await Promise.all([get('/api/v1/deadlines?limit=0'), get('/api/v1/channel'), get('/api/v1/channel/resets')]);
  const needs = officerNeeds(d);
  remember('#/inbox', needs.actionable);
  const queue = queueSection(needs);
  const all = memoSection({ id: 'all', title: 'All filed memos', base: 'role=officer', states: FILED_STATES, deadlines: await hasDeadlineFilter('role=officer'), assigned: true, empty: 'No memo has been filed.' });
  await Promise.all([queue.load(), all.load()]);
  const approvals = isHead() ? (await get('/api/v1/memos?approval=me&limit=100')).memos.length : 0;
  const grant = h('input', { type: 'text', autocapitalize: 'none', required: true, 'data-field': 'username' });
  const grantForm = h('form', { 'aria-label': 'Grant channel access', class: 'inline' },
    field('Officer\'s username', grant, 'Gives another officer the channel key so they can read filed memos.'),
    h('button', { type: 'submit' }, 'Grant access'));
  grantForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('/api/v1/channel/grants', { username: grant.value.trim() });
      showDone(grantForm, `Channel access granted to ${grant.value.trim()}.`).focus();
      grant.value = '';
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unauthorized') fail(e);
      else showError(grantForm, e, e instanceof ApiError && e.status === 422 ? `${grant.value.trim() || 'That name'} is not an officer's username. Check the spelling.` : null);
    }
  });
  const over = (n) => (n ? badge(`${n} overdue`, 'overdue') : null);
  page('Officer inbox',
    h('p', {}, `Today is ${d.today} (the organisation's date). ${needs.overdue} overdue, ${needs.total} waiting on the channel in all`,
      needs.recused ? `, ${recusedCount(needs.recused)}` : '', '.'),
    !ch.granted ? h('p', { class: 'warning', role: 'note' }, 'You do not hold the channel key yet: you see filed memos listed, but an officer who holds it must grant you access before you can read them.') : null,
    needsPanel([
      needLine(needs.ack, needs.ack === 1 ? 'memo to acknowledge' : 'memos to acknowledge', '#/inbox?next=acknowledge', over(needs.ackOverdue)),
      needLine(needs.reply, needs.reply === 1 ? 'reply due' : 'replies due', '#/inbox?next=reply', over(needs.replyOverdue)),
      needLine(needs.overdue, needs.overdue === 1 ? 'memo overdue: deal with it first' : 'memos overdue: deal with them first', '#/inbox?due=overdue'),
      isHead() ? needLine(approvals, approvals === 1 ? 'reply awaits your approval' : 'replies await your approval', '#/inbox?assigned=approval') : null,
    ].filter(Boolean), needs.total ? 'Nothing waits on you: the memos waiting are ones you are recused from.' : 'Nothing is waiting on the channel.'),
    queue.el, all.el, resetSection(rs.items, ch),
    h('section', { 'aria-labelledby': 'h-grant' }, h('h2', { id: 'h-grant' }, 'Channel access'),
      h('p', {}, ch.granted ? 'You hold the channel key.' : ch.has_key ? 'The channel key exists; you have not been granted it.' : 'The channel key does not exist yet.'),
      ch.granted ? grantForm : null));
  scrollToList({ queue: ['next', 'due', 'qpage'], all: ['state', 'deadline', 'assigned', 'page'] });
}

// After a "Show" link of a panel or a reload (filters in the address), bring the list they are
// about into view: @lists {sectionId: [hash keys]}, the first that matches.
function scrollToList(lists) {
  const p = hashParams();
  for (const [id, keys] of Object.entries(lists)) {
    if (keys.some((k) => p.has(k))) { document.getElementById(id)?.scrollIntoView({ block: 'start' }); return; }
  }
}

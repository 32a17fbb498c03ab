// Lists and work queues: my memos and invitations, the principal's reading list, the officer's
// inbox (the work queue by deadline, every filed memo, channel access grants), each with a
// "Needs your action" panel on top; and the counts the navigation shows (navCounts()).
// Every list pages through all its rows (paging.js), 25 at a time, with its filters in the
// address.
import { get, post, ApiError } from './api.js';
import { h, field, badge, table, day } from './dom.js';
import { page, fail, has, app } from './shell.js';
import { stateBadge, deadline } from './memo-status.js';
import { sentence, showError, showDone } from './errors.js';
import { CursorPages, pagedSection, walkAll, hashParams } from './paging.js';
import { t, number } from './i18n.js';

// The filters' choices, [value, text], in the reader's language (made when a list is drawn).
const STATES = () => [['', t('queue.state.any')],
  ...['draft', 'open', 'filed', 'acknowledged', 'replied', 'closed', 'declined', 'withdrawn'].map((v) => [v, t(`queue.state.${v}`)])];
const FILED_STATES = () => STATES().filter(([v]) => v !== 'draft' && v !== 'open');
const DEADLINES = () => [['', t('queue.deadline.any')], ...['overdue', 'soon', 'waiting'].map((v) => [v, t(`queue.deadline.${v}`)])];

// ---- rows ----

function titleCell(m, href) {
  return h('a', { href, class: 'title' }, m.title === null || m.title === undefined ? h('em', {}, t('queue.titleUnreadable')) : m.title);
}

// An officer's memo they drafted or were invited to co-sign: another officer handles it.
function recusedBadge() {
  return h('span', { class: 'badge state', title: t('queue.recusedTitle') }, t('queue.recused'));
}

function memoRow(m) {
  const href = m.state === 'draft' && !has('officer') ? `#/memo/${m.id}/edit` : `#/memo/${m.id}`;
  const dl = m.deadlines || {};
  return h('tr', {},
    h('td', {}, titleCell(m, href)),
    h('td', {}, stateBadge(m.state), m.recused ? [' ', recusedBadge()] : null),
    h('td', {}, typeof m.signer_count === 'number' ? number(m.signer_count) : String(m.signer_count ?? '—')),
    h('td', {}, h('span', { class: 'nowrap' }, m.filed_on ? day(m.filed_on) : '—')),
    h('td', {}, deadline(dl.acknowledge)),
    h('td', {}, deadline(dl.reply)));
}

export function memoTable(memos, empty) {
  if (!memos.length) return h('p', { class: 'muted empty' }, empty);
  return table([t('queue.col.title'), t('queue.col.state'), t('queue.col.signers'), t('queue.col.filed'),
    t('queue.col.acknowledgement'), t('queue.col.reply')], memos.map(memoRow));
}

// ---- the API's memo lists ----

function memosQuery(base, values = {}) {
  const q = new URLSearchParams(base);
  if (values.state) q.set('state', values.state);
  if (values.deadline) q.set('deadline', values.deadline);
  if (values.q) q.set('q', values.q);
  if (values.assigned === APPROVAL) q.set('approval', 'me');
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

const ASSIGNED = () => [['', t('queue.assigned.any')], ['me', t('queue.assigned.me')], ['none', t('queue.assigned.none')]];
// the channel's head also finds the replies awaiting their approval (GET /api/v1/memos?approval=me)
const APPROVAL = 'approval';
const isHead = () => !!(app.me && (app.me.roles || []).includes('head'));

function memoSection({ id, title, base, states, deadlines, assigned = false, empty, prefix = '' }) {
  // the titles are searched on the server, for this reader only (never indexed)
  const filters = [{ key: `${prefix}q`, label: t('queue.filter.search'), search: true },
    { key: `${prefix}state`, label: t('queue.filter.state'), options: states() }];
  if (deadlines) filters.push({ key: `${prefix}deadline`, label: t('queue.filter.deadline'), options: DEADLINES() });
  if (assigned) {
    filters.push({ key: `${prefix}assigned`, label: t('queue.filter.assigned'),
      options: isHead() ? [...ASSIGNED(), [APPROVAL, t('queue.assigned.approval')]] : ASSIGNED() });
  }
  return pagedSection({
    id, title, filters, pageKey: `${prefix}page`, noun: 'memos', sentence,
    source: (v) => memoPages(base, { state: v[`${prefix}state`], deadline: v[`${prefix}deadline`], q: v[`${prefix}q`], assigned: v[`${prefix}assigned`] }),
    render: (items) => memoTable(items, ''),
    empty: (v) => (v[`${prefix}state`] || v[`${prefix}deadline`] || v[`${prefix}q`] || v[`${prefix}assigned`] ? t('queue.noMatch') : empty),
  });
}

// ---- "Needs your action" ----

// One line of the panel: a count, what it is, and a link to the rows.
function needLine(n, text, href, extra = null) {
  return h('li', { class: n ? 'need' : 'need none' },
    h('strong', { class: 'need-count' }, number(n)), ' ', text, extra ? [' ', extra] : null,
    n && href ? [' ', h('a', { href }, t('queue.show'))] : null);
}

function needsPanel(lines, nothing) {
  const any = lines.some((l) => !l.classList.contains('none'));
  return h('section', { id: 'needs-action', class: 'panel needs', 'aria-labelledby': 'h-needs' },
    h('h2', { id: 'h-needs' }, t('queue.needs')),
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
  const mine = memoSection({ id: 'mine', title: t('queue.mine.title'), base: 'role=drafter', states: STATES, deadlines: true, empty: t('queue.mine.empty') });
  const inv = memoSection({ id: 'invitations', title: t('queue.invitations.title'), base: 'role=invited', states: STATES, empty: t('queue.invitations.empty'), prefix: 'inv-' });
  const [needs] = await Promise.all([staffNeeds(), mine.load(), inv.load()]);
  remember('#/memos', needs.invitations + needs.open + needs.drafts);
  page(t('queue.page.mine'),
    needsPanel([
      needLine(needs.invitations, t('queue.need.invitations', { count: needs.invitations }), '#/memos?inv-state=open'),
      needLine(needs.open, t('queue.need.open', { count: needs.open }), '#/memos?state=open'),
      needLine(needs.drafts, t('queue.need.drafts', { count: needs.drafts }), '#/memos?state=draft'),
    ], t('queue.need.nothing')),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/new' }, t('queue.write'))),
    mine.el, inv.el);
  scrollToList({ mine: ['state', 'deadline', 'page'], invitations: ['inv-state', 'inv-page'] });
}

export async function principalList() {
  const all = await listAll('role=principal');
  const needs = principalNeeds(all);
  remember('#/reading', needs.toRead.length);
  const list = memoSection({ id: 'reading', title: t('queue.reading.title'), base: 'role=principal', states: FILED_STATES, empty: t('queue.reading.empty') });
  await list.load();
  const newest = needs.toRead.slice(0, 5);
  const lines = [needLine(needs.toRead.length,
    t(needs.knowsRead ? 'queue.need.unread' : 'queue.need.awaiting', { count: needs.toRead.length }),
    needs.knowsRead ? null : '#/reading?state=acknowledged')];
  const panel = needsPanel(lines, all.length ? t('queue.reading.nothingLeft') : t('queue.reading.nothingYet'));
  if (newest.length) {
    panel.append(h('p', { class: 'needs-sub' }, t('queue.reading.newest')), h('ul', { class: 'needs-items' },
      newest.map((m) => h('li', {}, titleCell(m, `#/memo/${m.id}`), ' ', h('span', { class: 'muted' }, m.acknowledged_on
        ? t('queue.reading.acknowledged', { date: day(m.acknowledged_on) })
        : m.filed_on ? t('queue.reading.filed', { date: day(m.filed_on) }) : '')))));
  }
  page(t('queue.page.reading'),
    h('p', {}, t('queue.reading.intro')),
    panel, list.el);
  scrollToList({ reading: ['state', 'page'] });
}

function dueRow(m) {
  const w = m.deadlines && m.deadlines[m.next_action === 'acknowledge' ? 'acknowledge' : 'reply'];
  const soon = !m.overdue && w && !w.paused && typeof w.working_days_left === 'number' && w.working_days_left <= 2;
  return h('tr', { class: m.overdue ? 'overdue' : soon ? 'soon' : null, 'data-id': m.id },
    h('td', {}, titleCell(m, `#/memo/${m.id}`)),
    h('td', {}, stateBadge(m.state), m.recused ? [' ', recusedBadge()] : null),
    h('td', {}, m.next_action === 'acknowledge' ? t('queue.step.acknowledge') : t('queue.step.reply')),
    h('td', {}, h('span', { class: 'due' }, m.due ? day(m.due) : '—'), ' ', m.overdue ? badge(t('queue.badge.overdue'), 'overdue') : soon ? badge(t('queue.badge.soon'), 'soon') : null),
    h('td', {}, h('span', { class: 'nowrap' }, m.filed_on ? day(m.filed_on) : '—')),
    h('td', {}, deadline(w)));
}

function queueSection(needs) {
  return pagedSection({
    id: 'queue', title: t('queue.work.title'), pageKey: 'qpage', noun: 'memos', sentence,
    intro: h('p', { class: 'muted' }, t('queue.work.intro')),
    filters: [
      { key: 'next', label: t('queue.filter.next'), options: [['', t('queue.step.any')], ['acknowledge', t('queue.step.acknowledge')], ['reply', t('queue.step.reply')]] },
      { key: 'due', label: t('queue.filter.deadline'), options: DEADLINES().filter(([v]) => v !== 'waiting') },
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
    render: (items) => table([t('queue.col.memo'), t('queue.col.state'), t('queue.col.next'), t('queue.col.due'), t('queue.col.filed'),
      t('queue.col.deadline')], items.map(dueRow)),
    empty: (v) => (v.next || v.due ? t('queue.work.noMatch') : t('queue.nothingWaiting')),
  });
}

// Accounts an administrator reset: officers who hold the channel key confirm, outside the system
// (in person, by phone), that the re-enrolled account is its user's; the confirmation that
// completes the count shares the account's filed memos again (docs/security.md).
function resetSection(resets, ch) {
  if (!resets.length) return null;
  const me = app.me.username;
  const row = (a) => {
    const who = a.display_name ? t('queue.reset.who', { name: a.display_name, username: a.username }) : a.username;
    const date = a.reset_at ? day(a.reset_at) : '';
    const need = a.confirmations_required;
    let line;
    if (!a.enrolled) line = t('queue.reset.notEnrolled', { who, date });
    else if (!a.held) line = t('queue.reset.toShare', { who, date, count: a.to_reshare });
    else if (a.confirmed_by) line = t('queue.reset.oneMore', { who, date, officer: a.confirmed_by });
    else line = t('queue.reset.toConfirm', { who, date, count: need });
    const canConfirm = ch.granted && a.enrolled && a.username !== me && a.confirmed_by !== me;
    const li = h('li', { 'data-reset': a.username }, line);
    if (canConfirm) {
      const fp = h('input', { type: 'text', autocapitalize: 'none', autocomplete: 'off', spellcheck: 'false', required: true, 'data-field': 'fingerprint', class: 'mono' });
      const label = a.held && a.confirmed_by === null && need > 1 ? t('queue.reset.confirmThem') : t('queue.reset.confirmShare');
      const form = h('form', { 'aria-label': t('queue.reset.form', { username: a.username }), class: 'inline' },
        field(t('queue.reset.fingerprint'), fp, t('queue.reset.fingerprintHint')),
        h('button', { type: 'submit', class: 'secondary' }, label));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const btn = form.querySelector('button');
        btn.disabled = true;
        try {
          const r = await post(`/api/v1/channel/resets/${encodeURIComponent(a.username)}/confirm`, { fingerprint: fp.value.trim() });
          form.remove();
          showDone(li, r.held ? t('queue.reset.recorded', { username: a.username }) : t('queue.reset.confirmed', { username: a.username, count: r.reshared })).focus();
        } catch (e) {
          btn.disabled = false;
          if (e instanceof ApiError && e.code === 'unauthorized') fail(e);
          else showError(form, e, e instanceof ApiError && e.code === 'fingerprint_mismatch' ? t('queue.reset.mismatch', { username: a.username }) : null);
        }
      });
      li.append(form);
    }
    return li;
  };
  return h('section', { 'aria-labelledby': 'h-resets', id: 'resets' }, h('h2', { id: 'h-resets' }, t('queue.reset.title')),
    h('p', {}, t('queue.reset.intro')),
    ch.granted ? null : h('p', { class: 'muted' }, t('queue.reset.onlyHolders')),
    h('ul', {}, resets.map(row)));
}

// Where the officer stands with a channel's key (@c: has_key, granted).
function accessText(c) {
  return c.granted ? t('queue.access.held') : c.has_key ? t('queue.access.notGranted') : t('queue.access.none');
}

export async function inbox() {
  const [d, status, rs] = await Promise.all([get('/api/v1/deadlines?limit=0'), get('/api/v1/channel'), get('/api/v1/channel/resets')]);
  // a key per channel: the officer holds some of them (grants, confirmations), or all of them
  const mine = status.channels || [];
  const ch = { has_key: mine.some((c) => c.has_key), granted: mine.some((c) => c.granted) };
  const needs = officerNeeds(d);
  remember('#/inbox', needs.actionable);
  const queue = queueSection(needs);
  const all = memoSection({ id: 'all', title: t('queue.all.title'), base: 'role=officer', states: FILED_STATES, deadlines: await hasDeadlineFilter('role=officer'), assigned: true, empty: t('queue.all.empty') });
  await Promise.all([queue.load(), all.load()]);
  const approvals = isHead() ? (await get('/api/v1/memos?approval=me&limit=100')).memos.length : 0;
  const grant = h('input', { type: 'text', autocapitalize: 'none', required: true, 'data-field': 'username' });
  const grantForm = h('form', { 'aria-label': t('queue.grant.form'), class: 'inline' },
    field(t('queue.grant.username'), grant, t('queue.grant.hint')),
    h('button', { type: 'submit' }, t('queue.grant.submit')));
  grantForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post('/api/v1/channel/grants', { username: grant.value.trim() });
      showDone(grantForm, t('queue.grant.done', { username: grant.value.trim() })).focus();
      grant.value = '';
    } catch (e) {
      if (e instanceof ApiError && e.code === 'unauthorized') fail(e);
      else showError(grantForm, e, e instanceof ApiError && e.status === 422
        ? (grant.value.trim() ? t('queue.grant.notOfficer', { username: grant.value.trim() }) : t('queue.grant.notOfficerEmpty')) : null);
    }
  });
  const over = (n) => (n ? badge(t('queue.badge.overdueCount', { count: n }), 'overdue') : null);
  const counts = { overdue: needs.overdue, total: needs.total, count: needs.recused };
  page(t('queue.page.inbox'),
    h('p', {}, t('queue.today', { date: day(d.today) }), ' ', needs.recused ? t('queue.waitingRecused', counts) : t('queue.waiting', counts)),
    !ch.granted ? h('p', { class: 'warning', role: 'note' }, t('queue.access.notYet')) : null,
    needsPanel([
      needLine(needs.ack, t('queue.need.acknowledge', { count: needs.ack }), '#/inbox?next=acknowledge', over(needs.ackOverdue)),
      needLine(needs.reply, t('queue.need.reply', { count: needs.reply }), '#/inbox?next=reply', over(needs.replyOverdue)),
      needLine(needs.overdue, t('queue.need.overdue', { count: needs.overdue }), '#/inbox?due=overdue'),
      isHead() ? needLine(approvals, t('queue.need.approval', { count: approvals }), '#/inbox?assigned=approval') : null,
    ].filter(Boolean), needs.total ? t('queue.need.recusedOnly') : t('queue.nothingWaiting')),
    queue.el, all.el, resetSection(rs.items, ch),
    h('section', { 'aria-labelledby': 'h-grant' }, h('h2', { id: 'h-grant' }, t('queue.access.title')),
      mine.length > 1
        ? h('ul', {}, mine.map((c) => h('li', {}, h('strong', {}, c.name || c.slug), ' ', accessText(c))))
        : h('p', {}, accessText(status)),
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

// What a memo's page says about where it stands: the steps done and to come with their dates,
// who acts next and by when, its deadlines as facts, and its timeline as sentences.
import { get } from './api.js';
import { h, badge, when, day } from './dom.js';
import { t } from './i18n.js';
import { app, has } from './shell.js';

// A state's name (status.state.STATE in the catalogs); an unknown state shows as its code.
const STATES = new Set(['draft', 'open', 'filed', 'acknowledged', 'replied', 'closed', 'declined', 'withdrawn']);
export const stateText = (s) => (STATES.has(s) ? t(`status.state.${s}`) : s);
export const stateBadge = (s) => badge(stateText(s), 'state');

// Why a deadline no longer applies: the API's `stopped`, or (older answers without it) the
// memo's final state when the deadline was not met before it.
function stoppedWhy(d, m) {
  if (!d) return null;
  if (d.stopped) return d.stopped;
  if (!m || 'stopped' in d) return null;
  if (m.state === 'declined' || m.state === 'withdrawn') return m.state;
  return null;
}

// One deadline ({due, done_on, working_days_left, overdue, on_time, stopped, missed}) as text and a
// badge. With the memo @m (and @kind 'acknowledge' or 'reply') it also copes with answers that
// predate `stopped`: a declined or withdrawn memo shows as done only what was done before.
export function deadline(d, m = null, kind = null) {
  if (!d || !d.due) return '—';
  const why = stoppedWhy(d, m);
  let doneOn = d.done_on;
  if (why && m && !('stopped' in d)) {
    // an older answer: trust only the memo's own dates
    doneOn = kind === 'acknowledge' ? m.acknowledged_on : kind === 'reply' ? m.replied_on : null;
  }
  if (doneOn) {
    const late = d.on_time === false;
    return h('span', {}, t('status.deadline.done', { date: day(doneOn) }), ' ', badge(late ? t('status.deadline.late') : t('status.deadline.onTime'), late ? 'overdue' : 'ok'));
  }
  if (why) {
    const what = why === 'withdrawn' ? 'withdrawn' : 'declined';
    if (d.missed) return h('span', {}, t('status.deadline.wasDue', { date: day(d.due) }), ' ', badge(t(`status.deadline.missed.${what}`), 'overdue'));
    return h('span', {}, t('status.deadline.wasDue', { date: day(d.due) }), ' ', badge(t(`status.deadline.stopped.${what}`), 'state'));
  }
  const left = d.working_days_left;
  const due = t('status.deadline.due', { date: day(d.due) });
  // a running clock stop pauses it: it moves on by the stop's days when the stop ends
  if (d.paused) return h('span', {}, due, ' ', badge(typeof left === 'number' ? t('status.deadline.pausedLeft', { count: left }) : t('status.deadline.paused'), 'state'));
  const over = d.overdue === true || (typeof left === 'number' && left < 0);
  if (over) return h('span', {}, due, ' ', badge(typeof left === 'number' ? t('status.deadline.overdueBy', { count: Math.abs(left) }) : t('status.deadline.overdue'), 'overdue'));
  if (typeof left === 'number' && left <= 2) return h('span', {}, due, ' ', badge(t('status.deadline.soon', { count: left }), 'soon'));
  return h('span', {}, due, typeof left === 'number' ? h('span', { class: 'muted' }, ` ${t('status.deadline.left', { count: left })}`) : '');
}

// Whether the reply deadline may still be extended: only while it runs.
export function extendable(m) {
  const r = (m.deadlines || {}).reply;
  return !!(r && r.max && r.max !== r.due && !r.done_on && !stoppedWhy(r, m) && (m.state === 'filed' || m.state === 'acknowledged'));
}

// ---- names ----
// Display names known from the memo itself, and (for staff and officers) looked up once.
const known = new Map();
export function learnNames(m) {
  const add = (u) => { if (u && u.username && u.display_name) known.set(u.username, u.display_name); };
  add(m.drafter);
  for (const x of m.signers || []) add(x);
  for (const x of m.invitations || []) add(x);
  if (app.me) add(app.me);
}
export async function lookUpNames(usernames) {
  if (!(has('staff') || has('officer'))) return;
  const todo = [...new Set(usernames)].filter((u) => u && u.length >= 2 && !known.has(u));
  await Promise.all(todo.slice(0, 20).map(async (u) => {
    try {
      const r = await get(`/api/v1/users/search?q=${encodeURIComponent(u)}`);
      const hit = (r.users || []).find((x) => x.username === u);
      known.set(u, hit ? hit.display_name || u : u);
    } catch { known.set(u, u); }
  }));
}
export const nameOf = (u) => (u ? known.get(u) || u : null);
export const nameWithUser = (u) => {
  const n = known.get(u);
  return n && n !== u ? `${n} (${u})` : u;
};

// ---- the timeline as sentences ----
// Who did an event when the timeline does not name them: status.who.ROLE in the catalogs.
const WHO_BY_DEFAULT = {
  created: 'drafter', edited: 'drafter', finalized: 'drafter', reopened: 'drafter',
  invited: 'drafter', filed: 'drafter', withdrawn: 'drafter', invitation_declined: 'cosigner',
  acknowledged: 'officer', distributed: 'officer', declined: 'officer', extended: 'officer',
  replied: 'officer', closed: 'officer', reshared: 'reader', assigned: 'officer',
  reassigned: 'officer', interim: 'officer', accepted: 'drafter', clarification: 'drafter',
  addendum_of: 'drafter', addendum: 'drafter', approved: 'head',
  attached: 'drafter', detached: 'drafter',
};

// One event ({event, at, by, detail}, with `times` for merged edits) as a sentence: the
// catalog's status.event.EVENT, with {who} the person (or the role that does it) and {detail}
// the event's own words, when it has some (the key's "Detail" form).
export function eventSentence(e) {
  const role = Object.hasOwn(WHO_BY_DEFAULT, e.event) ? WHO_BY_DEFAULT[e.event] : 'someone';
  const who = nameOf(e.by) || t(`status.who.${role}`);
  const d = e.detail;
  const withDetail = (key) => (d ? t(`${key}Detail`, { who, detail: d }) : t(key, { who }));
  // the escalation ladder's rungs (core/workflow.h), recorded by the channel
  const esc = String(e.event).match(/^escalated:(ack|reply):(\d{4}-\d\d-\d\d):([12])$/);
  if (esc) return t(`status.event.escalated.${esc[1]}${esc[3]}`, { date: day(esc[2]) });
  switch (e.event) {
    case 'created': return t('status.event.created', { who });
    case 'edited': return e.times > 1 ? t('status.event.editedTimes', { who, count: e.times }) : t('status.event.edited', { who });
    case 'finalized': return t('status.event.finalized', { who });
    case 'attached': return withDetail('status.event.attached');
    case 'detached': return withDetail('status.event.detached');
    case 'reopened': return withDetail('status.event.reopened');
    case 'invited': return /^\d+$/.test(d || '') ? t('status.event.invitedCount', { who, count: Number(d) }) : t('status.event.invited', { who });
    case 'invitation_declined': return t('status.event.invitation_declined', { who });
    case 'filed': return t('status.event.filed', { who });
    case 'acknowledged': return t('status.event.acknowledged', { who });
    case 'distributed':
      if (d === 'configured principals') return t('status.event.distributedConfigured');
      return /^\d+$/.test(d || '') ? t('status.event.distributedCount', { who, count: Number(d) }) : t('status.event.distributed', { who });
    case 'declined': return t('status.event.declined', { who });
    case 'extended': {
      const m = (d || '').match(/^until (\d{4}-\d\d-\d\d): ([\s\S]*)$/);
      return m ? t('status.event.extendedDetail', { date: day(m[1]), detail: m[2] }) : t('status.event.extended');
    }
    case 'replied': return t('status.event.replied', { who });
    case 'approved': {
      const u = (d || '').split(' ')[0];
      return t('status.event.approved', { who: u ? nameOf(u) || u : who });
    }
    case 'closed': return t('status.event.closed', { who });
    case 'withdrawn': return t('status.event.withdrawn', { who });
    case 'interim': return withDetail('status.event.interim');
    case 'assigned':
    case 'reassigned': {
      const m = (d || '').match(/^([^:]+?)(?:: ([\s\S]*))?$/);
      const key = `status.event.${e.event === 'assigned' ? 'assigned' : 'reassigned'}`;
      if (!m) return t(`${key}Nobody`, { who });
      const to = nameOf(m[1]) || m[1];
      return m[2] ? t(`${key}Detail`, { who, to, detail: m[2] }) : t(key, { who, to });
    }
    case 'rescheduled': return t('status.event.rescheduled');
    case 'accepted': return t('status.event.accepted', { who });
    case 'addendum_of': return d ? t('status.event.addendum_of', { who, memo: d }) : t('status.event.addendum_ofEarlier', { who });
    case 'addendum': return d ? t('status.event.addendum', { who, memo: d }) : t('status.event.addendumNone', { who });
    case 'clarification': return withDetail('status.event.clarification');
    case 'earlier_reply': return d ? t('status.event.earlier_replyDetail', { detail: d }) : t('status.event.earlier_reply');
    case 'earlier_reply_due': {
      const w = (d || '').match(/^done (\S+) due (\S+)$/);
      return w ? t('status.event.earlier_reply_dueDetail', { done: day(w[1]), due: day(w[2]) }) : t('status.event.earlier_reply_due');
    }
    case 'window_closed': return t('status.event.window_closed');
    case 'reshared': return t('status.event.reshared', { who });
    default: return t('status.event.other', { who, event: String(e.event).replace(/_/g, ' ') });
  }
}

// Consecutive edits by the same person merge into one line.
export function mergeEdits(events) {
  const out = [];
  for (const e of events || []) {
    const last = out[out.length - 1];
    if (e.event === 'edited' && last && last.event === 'edited' && last.by === e.by) {
      last.times += 1;
      last.at = e.at;
    } else out.push({ ...e, times: 1 });
  }
  return out;
}

export function timelineList(m) {
  return h('ol', { class: 'timeline', id: 'timeline' }, mergeEdits(m.timeline).map((e) => {
    const text = e.event === 'extended' && e.by ? t('status.event.by', { event: eventSentence(e), name: nameOf(e.by) }) : eventSentence(e);
    return h('li', {}, h('span', { class: 'event' }, `${text}.`), ' ', h('span', { class: 'muted' }, when(e.at)));
  }));
}

// ---- the status header ----
function lastEvent(m, name) {
  const ev = (m.timeline || []).filter((e) => e.event === name);
  return ev.length ? ev[ev.length - 1] : null;
}

// The steps of the memo's life, each done, current or to come, with its date: a day of the API
// ("YYYY-MM-DD") or a timeline time (unix seconds), written by day() in the organisation's zone.
function steps(m) {
  const at = (name) => (lastEvent(m, name) || {}).at ?? null;
  const created = typeof m.created_at === 'number' ? m.created_at : null;
  const all = [
    ['draft', t('status.step.draft'), created],
    ['open', t('status.step.open'), m.state === 'draft' ? null : at('finalized')],
    ['filed', t('status.step.filed'), m.filed_on],
    ['acknowledged', t('status.step.acknowledged'), m.acknowledged_on],
    ['replied', t('status.step.replied'), m.replied_on],
    ['closed', t('status.step.closed'), m.closed_on],
  ];
  const order = all.map((x) => x[0]);
  let list = all;
  let cur = order.indexOf(m.state);
  if (m.state === 'declined') {
    list = [...all.slice(0, 3), ['declined', t('status.step.declined'), at('declined')]];
    cur = 3;
  } else if (m.state === 'withdrawn') {
    const reached = m.acknowledged_on ? 4 : 3;
    list = [...all.slice(0, reached), ['withdrawn', t('status.step.withdrawn'), at('withdrawn')]];
    cur = reached;
  }
  const final = ['closed', 'declined', 'withdrawn'].includes(m.state);
  return list.map(([key, text, date], i) => {
    const status = i <= cur ? 'done' : i === cur + 1 && !final ? 'next' : 'to-come';
    return { key, text, date: status === 'done' ? date : null, status, current: i === cur };
  });
}

// Who acts next, and by when, in one sentence (for the reader @m.relation). The officers are
// "you and the other officers" for an officer (the key's "officer" form), else "the channel's
// officers" ("channel"); a sentence whose date is missing says "the date shown" ("NoDate").
export function nextStep(m) {
  const rel = m.relation || {};
  const dl = m.deadlines || {};
  const mine = (m.my_signature || {}).status;
  const officers = rel.officer ? 'officer' : 'channel';
  const note = (d) => (d && d.paused ? ` ${t('status.next.paused')}` : d && (d.overdue === true || (typeof d.working_days_left === 'number' && d.working_days_left < 0)) ? ` ${t('status.next.overdue')}` : '');
  const waiting = (step, d) => (d && d.due ? t(`status.next.${step}.${officers}`, { date: day(d.due), note: note(d) })
    : t(`status.next.${step}.${officers}NoDate`, { note: note(d) }));
  const dated = (key, date, vars = {}) => (date ? t(key, { ...vars, date: day(date) }) : t(`${key}NoDate`, vars));
  switch (m.state) {
    case 'draft':
      return rel.drafter ? t('status.next.draft.drafter') : t('status.next.draft.other');
    case 'open':
      if (rel.drafter) {
        return mine === 'signed' ? t('status.next.open.drafterSigned') : t('status.next.open.drafter');
      }
      if (rel.invited) {
        if (mine === 'declined') return t('status.next.open.invitedDeclined');
        return mine === 'signed' ? t('status.next.open.invitedSigned') : t('status.next.open.invited');
      }
      return t('status.next.open.other');
    case 'filed':
      return waiting('filed', dl.acknowledge);
    case 'acknowledged':
      return waiting('acknowledged', dl.reply);
    case 'replied':
      if (m.accept_until) {
        return dated(`status.next.replied.${rel.drafter ? 'drafter' : 'reader'}`, m.replied_on, { until: day(m.accept_until) });
      }
      return dated(`status.next.replied.${officers}`, m.replied_on);
    case 'closed':
      return dated('status.next.closed', m.closed_on);
    case 'declined':
      return t('status.next.declined');
    case 'withdrawn':
      return t('status.next.withdrawn');
    default:
      return '';
  }
}

// The header: state, the reader's part, the steps, what happens next, the deadlines.
export function statusHeader(m) {
  const rel = m.relation || {};
  const dl = m.deadlines || null;
  const part = rel.drafter ? t('status.part.drafter') : rel.invited ? t('status.part.invited')
    : rel.officer ? t('status.part.officer') : rel.principal ? t('status.part.principal') : '';
  const list = h('ol', { class: 'steps', 'aria-label': t('status.steps') }, steps(m).map((s) => h('li', {
    class: `step ${s.status}`, 'aria-current': s.current ? 'step' : null,
  }, h('span', { class: 'step-name' }, s.text), s.date ? h('span', { class: 'step-date' }, ` ${day(s.date)}`) : '',
  h('span', { class: 'step-status' }, ` (${t(`status.progress.${s.status === 'to-come' ? 'toCome' : s.status}`)})`))));
  const rows = [];
  if (m.drafter) rows.push(h('dt', {}, t('status.label.drafter')), h('dd', {}, `${m.drafter.display_name || m.drafter.username} (${m.drafter.username})`));
  rows.push(h('dt', {}, t('status.label.filed')), h('dd', {}, m.filed_on ? day(m.filed_on) : t('status.notYet')));
  if (dl) {
    rows.push(h('dt', {}, t('status.label.acknowledge')), h('dd', {}, deadline(dl.acknowledge, m, 'acknowledge')));
    rows.push(h('dt', {}, t('status.label.reply')), h('dd', {}, deadline(dl.reply, m, 'reply'),
      extendable(m) ? h('span', { class: 'muted' }, ` ${t('status.extendable', { date: day(dl.reply.max) })}`) : ''));
  }
  // officers see who handles the memo (GET .../memos/{id} "assigned_to", officers only)
  if (m.assigned_to !== undefined && (m.relation || {}).officer) {
    rows.push(h('dt', {}, t('status.label.handledBy')), h('dd', { id: 'assigned-to' }, m.assigned_to
      ? `${m.assigned_to.display_name || m.assigned_to.username} (${m.assigned_to.username})` : t('status.nobodyYet')));
  }
  // the first reply, when a clarification replaced it: it stays on time or late
  if (m.first_reply) {
    const f = m.first_reply;
    rows.push(h('dt', {}, t('status.label.firstReply')), h('dd', { id: 'first-reply' }, t('status.deadline.done', { date: day(f.done_on) }), ' ',
      badge(f.on_time ? t('status.deadline.onTime') : t('status.deadline.late'), f.on_time ? 'ok' : 'overdue'), h('span', { class: 'muted' }, ` ${t('status.dueWas', { date: day(f.due) })}`)));
  }
  // an addendum's link to the memo it adds to, and the addenda written since (for its readers)
  if (m.addendum_of) rows.push(h('dt', {}, t('status.label.addendumTo')), h('dd', {}, h('a', { href: `#/memo/${m.addendum_of}` }, t('status.memo', { id: m.addendum_of }))));
  if ((m.addenda || []).length) {
    rows.push(h('dt', {}, t('status.label.addenda')), h('dd', { id: 'addenda' }, m.addenda.map((a, i) => [i ? ', ' : '', h('a', { href: `#/memo/${a}` }, t('status.memo', { id: a }))])));
  }
  if (m.digest) rows.push(h('dt', {}, t('status.label.digest')), h('dd', { class: 'mono digest' }, m.digest));
  return h('section', { class: 'status-header', id: 'memo-status', 'aria-labelledby': 'h-status' },
    h('h2', { id: 'h-status', class: 'visually-hidden' }, t('status.title')),
    h('p', {}, stateBadge(m.state), ' ', part),
    list,
    h('p', { class: 'next', id: 'next-step' }, nextStep(m)),
    h('dl', { class: 'meta' }, rows));
}

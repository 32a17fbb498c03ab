// What a memo's page says about where it stands: the steps done and to come with their dates,
// who acts next and by when, its deadlines as facts, and its timeline as sentences.
import { get } from './api.js';
import { h, badge, when } from './dom.js';
import { app, has } from './shell.js';

export const STATE_TEXT = {
  draft: 'Draft', open: 'Open for signature', filed: 'Filed', acknowledged: 'Acknowledged',
  replied: 'Replied', closed: 'Closed', declined: 'Declined', withdrawn: 'Withdrawn',
};
export const stateBadge = (s) => badge(STATE_TEXT[s] || s, 'state');

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const days = (n) => plural(n, 'working day', 'working days');

// The local date of a timeline time (unix seconds), as the API's dates are.
const dayOf = (t) => (t === null || t === undefined ? null : when(t).slice(0, 10));

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
    return h('span', {}, `done ${doneOn} `, badge(late ? 'late' : 'on time', late ? 'overdue' : 'ok'));
  }
  if (why) {
    const what = why === 'withdrawn' ? 'withdrawn' : 'declined';
    if (d.missed) return h('span', {}, `was due ${d.due}; `, badge(`missed before the memo was ${what}`, 'overdue'));
    return h('span', {}, `was due ${d.due}; `, badge(`no longer applies (${what})`, 'state'));
  }
  const left = d.working_days_left;
  // a running clock stop pauses it: it moves on by the stop's days when the stop ends
  if (d.paused) return h('span', {}, `due ${d.due} `, badge(`paused: the clock is stopped${typeof left === 'number' ? `, ${days(left)} left` : ''}`, 'state'));
  const over = d.overdue === true || (typeof left === 'number' && left < 0);
  if (over) return h('span', {}, `due ${d.due} `, badge(typeof left === 'number' ? `overdue by ${days(Math.abs(left))}` : 'overdue', 'overdue'));
  if (typeof left === 'number' && left <= 2) return h('span', {}, `due ${d.due} `, badge(`due soon: ${days(left)} left`, 'soon'));
  return h('span', {}, `due ${d.due}`, typeof left === 'number' ? h('span', { class: 'muted' }, ` (${days(left)} left)`) : '');
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
const WHO_BY_DEFAULT = {
  created: 'The drafter', edited: 'The drafter', finalized: 'The drafter', reopened: 'The drafter',
  invited: 'The drafter', filed: 'The drafter', withdrawn: 'The drafter', invitation_declined: 'A co-signer',
  acknowledged: 'An officer', distributed: 'An officer', declined: 'An officer', extended: 'An officer',
  replied: 'An officer', closed: 'An officer', reshared: 'A reader', assigned: 'An officer',
  reassigned: 'An officer', interim: 'An officer', accepted: 'The drafter', clarification: 'The drafter',
  addendum_of: 'The drafter', addendum: 'The drafter', approved: 'The channel\'s head',
  attached: 'The drafter', detached: 'The drafter',
};

// One event ({event, at, by, detail}, with `times` for merged edits) as a sentence.
export function eventSentence(e) {
  const who = nameOf(e.by) || WHO_BY_DEFAULT[e.event] || 'Someone';
  const d = e.detail;
  // the escalation ladder's rungs (core/workflow.h), recorded by the channel
  const esc = String(e.event).match(/^escalated:(ack|reply):(\d{4}-\d\d-\d\d):([12])$/);
  if (esc) {
    return `The ${esc[1] === 'ack' ? 'acknowledgement' : 'reply'} due ${esc[2]} was missed: the escalation reached ${esc[3] === '1' ? 'the officers and the channel\'s head' : 'the principals'}`;
  }
  switch (e.event) {
    case 'created': return `${who} created the draft`;
    case 'edited': return `${who} edited the draft${e.times > 1 ? ` (${e.times} saves)` : ''}`;
    case 'finalized': return `${who} finalized the text: it is frozen for signing`;
    case 'attached': return `${who} attached a file${d ? `: ${d}` : ''}`;
    case 'detached': return `${who} removed an attached file${d ? `: ${d}` : ''}`;
    case 'reopened': return `${who} reopened the memo for editing, which voided every signature${d ? `: ${d}` : ''}`;
    case 'invited': return /^\d+$/.test(d || '') ? `${who} invited ${plural(Number(d), 'co-signer', 'co-signers')}` : `${who} invited co-signers`;
    case 'invitation_declined': return `${who} declined the invitation`;
    case 'filed': return `${who} filed the memo with the channel`;
    case 'acknowledged': return `${who} acknowledged the memo`;
    case 'distributed':
      if (d === 'configured principals') return 'The memo was distributed to the channel\'s principals';
      return /^\d+$/.test(d || '') ? `${who} distributed the memo to ${plural(Number(d), 'principal', 'principals')}` : `${who} distributed the memo to principals`;
    case 'declined': return `${who} declined the memo as out of scope`;
    case 'extended': {
      const m = (d || '').match(/^until (\d{4}-\d\d-\d\d): ([\s\S]*)$/);
      return m ? `The reply deadline was extended to ${m[1]}: ${m[2]}` : 'The reply deadline was extended';
    }
    case 'replied': return `${who} replied for the channel`;
    case 'approved': {
      const u = (d || '').split(' ')[0];
      return `${u ? nameOf(u) || u : who} approved the reply as the channel's head, and signed it`;
    }
    case 'closed': return `${who} closed the memo`;
    case 'withdrawn': return `${who} withdrew the memo`;
    case 'interim': return `${who} sent an interim answer${d ? `: ${d}` : ''}`;
    case 'assigned':
    case 'reassigned': {
      const m = (d || '').match(/^([^:]+?)(?:: ([\s\S]*))?$/);
      const to = m ? nameOf(m[1]) || m[1] : 'an officer';
      return `${who} ${e.event === 'assigned' ? 'assigned' : 'reassigned'} the memo to ${to}${m && m[2] ? `: ${m[2]}` : ''}`;
    }
    case 'rescheduled': return 'The deadlines moved with the channel\'s calendar (a closed day, or a clock stop)';
    case 'accepted': return `${who} accepted the reply: the memo is closed`;
    case 'addendum_of': return `${who} started this memo as an addendum to memo ${d || 'an earlier memo'}`;
    case 'addendum': return `${who} wrote an addendum: memo ${d || ''}`;
    case 'clarification': return `${who} asked for clarification${d ? `: ${d}` : ''}`;
    case 'earlier_reply': return `The reply before the clarification${d ? `: ${d}` : ''}`;
    case 'earlier_reply_due': {
      const w = (d || '').match(/^done (\S+) due (\S+)$/);
      return w ? `That reply came on ${w[1]}; it was due ${w[2]}` : 'That reply\'s dates were kept';
    }
    case 'window_closed': return 'The memo closed: the drafter\'s time to accept the reply or ask for clarification ended';
    case 'reshared': return `${who} shared the memo again with a participant whose account an administrator had reset`;
    default: return `${who}: ${String(e.event).replace(/_/g, ' ')}`;
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
    const extra = e.event === 'extended' && e.by ? ` (by ${nameOf(e.by)})` : '';
    return h('li', {}, h('span', { class: 'event' }, `${eventSentence(e)}${extra}.`), ' ', h('span', { class: 'muted' }, when(e.at)));
  }));
}

// ---- the status header ----
function lastEvent(m, name) {
  const ev = (m.timeline || []).filter((e) => e.event === name);
  return ev.length ? ev[ev.length - 1] : null;
}

// The steps of the memo's life, each done, current or to come, with its date.
function steps(m) {
  const at = (name) => dayOf((lastEvent(m, name) || {}).at);
  const created = typeof m.created_at === 'number' ? dayOf(m.created_at) : null;
  const all = [
    ['draft', 'Drafted', created],
    ['open', 'Open for signature', m.state === 'draft' ? null : at('finalized')],
    ['filed', 'Filed with the channel', m.filed_on],
    ['acknowledged', 'Acknowledged by the officers', m.acknowledged_on],
    ['replied', 'Replied to', m.replied_on],
    ['closed', 'Closed', m.closed_on],
  ];
  const order = all.map((x) => x[0]);
  let list = all;
  let cur = order.indexOf(m.state);
  if (m.state === 'declined') {
    list = [...all.slice(0, 3), ['declined', 'Declined as out of scope', at('declined')]];
    cur = 3;
  } else if (m.state === 'withdrawn') {
    const reached = m.acknowledged_on ? 4 : 3;
    list = [...all.slice(0, reached), ['withdrawn', 'Withdrawn by the drafter', at('withdrawn')]];
    cur = reached;
  }
  const final = ['closed', 'declined', 'withdrawn'].includes(m.state);
  return list.map(([key, text, date], i) => {
    const status = i <= cur ? 'done' : i === cur + 1 && !final ? 'next' : 'to come';
    return { key, text, date: status === 'done' ? date : null, status, current: i === cur };
  });
}

// Who acts next, and by when, in one sentence (for the reader @m.relation).
export function nextStep(m) {
  const rel = m.relation || {};
  const dl = m.deadlines || {};
  const mine = (m.my_signature || {}).status;
  const officers = rel.officer ? 'you and the other officers' : 'the channel\'s officers';
  const by = (d) => (d && d.due ? ` by ${d.due}` : '');
  const overdue = (d) => (d && d.paused ? ' (paused while the clock is stopped)' : d && (d.overdue === true || (typeof d.working_days_left === 'number' && d.working_days_left < 0)) ? ' (overdue)' : '');
  switch (m.state) {
    case 'draft':
      return rel.drafter ? 'Next: you finish the text and finalize it; then you sign it and invite co-signers.'
        : 'Waiting for the drafter to finish and finalize the text.';
    case 'open':
      if (rel.drafter) {
        return mine === 'signed' ? 'Next: co-signers you invited read and sign; you file the memo with the channel when you are ready.'
          : 'Next: you sign the memo (your signature comes first), invite co-signers, then file it with the channel.';
      }
      if (rel.invited) {
        if (mine === 'declined') return 'You declined the invitation. The drafter decides when to file the memo.';
        return mine === 'signed' ? 'You signed. The drafter decides when to file the memo with the channel.'
          : 'You are invited to co-sign: read the frozen text, then sign or decline. The drafter then files the memo.';
      }
      return 'Waiting for the signatures; the drafter then files the memo.';
    case 'filed':
      return `Waiting for ${officers} to acknowledge${by(dl.acknowledge)}${overdue(dl.acknowledge)}; they may instead decline it as out of scope.`;
    case 'acknowledged':
      return `Waiting for ${officers} to reply${by(dl.reply)}${overdue(dl.reply)}.`;
    case 'replied':
      if (m.accept_until) {
        return rel.drafter ? `The channel replied on ${m.replied_on || 'the date shown'}. Next: you accept the reply or ask for clarification, until ${m.accept_until}; the memo then closes.`
          : `The channel replied on ${m.replied_on || 'the date shown'}. Next: the drafter accepts the reply or asks for clarification, until ${m.accept_until}; the memo then closes.`;
      }
      return `The channel replied on ${m.replied_on || 'the date shown'}. Next: ${officers} close the memo.`;
    case 'closed':
      return `Closed on ${m.closed_on || 'the date shown'}. Nothing more happens; the memo stays readable.`;
    case 'declined':
      return 'The channel\'s officers declined the memo as out of scope (the reason is below). Nothing more happens; its deadlines no longer apply.';
    case 'withdrawn':
      return 'The drafter withdrew the memo. Nothing more happens; its deadlines no longer apply.';
    default:
      return '';
  }
}

// The header: state, the reader's part, the steps, what happens next, the deadlines.
export function statusHeader(m) {
  const rel = m.relation || {};
  const dl = m.deadlines || null;
  const part = rel.drafter ? 'You drafted this memo.' : rel.invited ? 'You were invited to co-sign it.'
    : rel.officer ? 'You handle this memo as one of the channel\'s officers.' : rel.principal ? 'It was distributed to you for reading.' : '';
  const list = h('ol', { class: 'steps', 'aria-label': 'Steps of this memo' }, steps(m).map((s) => h('li', {
    class: `step ${s.status.replace(' ', '-')}`, 'aria-current': s.current ? 'step' : null,
  }, h('span', { class: 'step-name' }, s.text), s.date ? h('span', { class: 'step-date' }, ` ${s.date}`) : '',
  h('span', { class: 'step-status' }, ` (${s.status})`))));
  const rows = [];
  if (m.drafter) rows.push(h('dt', {}, 'Drafter'), h('dd', {}, `${m.drafter.display_name || m.drafter.username} (${m.drafter.username})`));
  rows.push(h('dt', {}, 'Filed'), h('dd', {}, m.filed_on || 'not yet'));
  if (dl) {
    rows.push(h('dt', {}, 'Acknowledgement'), h('dd', {}, deadline(dl.acknowledge, m, 'acknowledge')));
    rows.push(h('dt', {}, 'Reply'), h('dd', {}, deadline(dl.reply, m, 'reply'),
      extendable(m) ? h('span', { class: 'muted' }, ` (may be extended to ${dl.reply.max} at most)`) : ''));
  }
  // officers see who handles the memo (GET .../memos/{id} "assigned_to", officers only)
  if (m.assigned_to !== undefined && (m.relation || {}).officer) {
    rows.push(h('dt', {}, 'Handled by'), h('dd', { id: 'assigned-to' }, m.assigned_to
      ? `${m.assigned_to.display_name || m.assigned_to.username} (${m.assigned_to.username})` : 'Nobody yet: assign it'));
  }
  // the first reply, when a clarification replaced it: it stays on time or late
  if (m.first_reply) {
    const f = m.first_reply;
    rows.push(h('dt', {}, 'First reply'), h('dd', { id: 'first-reply' }, `done ${f.done_on} `, badge(f.on_time ? 'on time' : 'late', f.on_time ? 'ok' : 'overdue'), h('span', { class: 'muted' }, ` (due ${f.due})`)));
  }
  // an addendum's link to the memo it adds to, and the addenda written since (for its readers)
  if (m.addendum_of) rows.push(h('dt', {}, 'Addendum to'), h('dd', {}, h('a', { href: `#/memo/${m.addendum_of}` }, `memo ${m.addendum_of}`)));
  if ((m.addenda || []).length) {
    rows.push(h('dt', {}, 'Addenda'), h('dd', { id: 'addenda' }, m.addenda.map((a, i) => [i ? ', ' : '', h('a', { href: `#/memo/${a}` }, `memo ${a}`)])));
  }
  if (m.digest) rows.push(h('dt', {}, 'Digest'), h('dd', { class: 'mono digest' }, m.digest));
  return h('section', { class: 'status-header', id: 'memo-status', 'aria-labelledby': 'h-status' },
    h('h2', { id: 'h-status', class: 'visually-hidden' }, 'Where this memo stands'),
    h('p', {}, stateBadge(m.state), ' ', part),
    list,
    h('p', { class: 'next', id: 'next-step' }, nextStep(m)),
    h('dl', { class: 'meta' }, rows));
}

// "Who read it": the memo's audit (GET .../audit, paged by `after`/`next`), grouped by person
// and day: first and last time, how many records, and each group opens to its records.
import { get } from './api.js';
import { h, clear, when, day } from './dom.js';
import { sentence } from './errors.js';
import { t, parts, language } from './i18n.js';
import { eventSentence, lookUpNames, nameWithUser } from './memo-status.js';
import { walkAll } from './paging.js';
import { app } from './shell.js';

const PAGE = 1000; // the largest page GET .../audit gives (AUDIT_PAGE_MAX)

// The audit's own actions: readers.action.ACTION in the catalogs.
const ACTION = new Set(['read', 'read_title', 'read_comments', 'read_bundle', 'read_file',
  'read_record', 'exported', 'held', 'released', 'read_receipt', 'commented', 'signed',
  'unsigned', 'extended', 'internal']);
// The memo's events, said without the one who did them (the line names that person already):
// readers.event.EVENT. The other events read as whole sentences, as on the timeline.
const EVENT = new Set(['created', 'edited', 'finalized', 'attached', 'detached', 'reopened', 'invited',
  'invitation_declined', 'filed', 'acknowledged', 'distributed', 'declined', 'replied', 'closed',
  'withdrawn', 'interim', 'assigned', 'reassigned', 'accepted', 'addendum_of', 'addendum', 'clarification']);
const SENTENCE = new Set(['approved', 'reshared', 'rescheduled', 'earlier_reply', 'earlier_reply_due', 'window_closed']);
// One record's action as words (the memo's events read as on the timeline).
export function actionWords(a) {
  if (ACTION.has(a)) return t(`readers.action.${a}`);
  if (EVENT.has(a)) return t(`readers.event.${a}`);
  if (SENTENCE.has(a) || /^escalated:(ack|reply):\d{4}-\d\d-\d\d:[12]$/.test(a)) return eventSentence({ event: a, by: null });
  return String(a).replace(/_/g, ' '); // an action this page does not know: its code
}

// Every record, however many pages (grouping by person and day needs them all).
export function allRecords(id) {
  const base = `/api/v1/memos/${encodeURIComponent(id)}/audit?limit=${PAGE}`;
  return walkAll(async (after) => {
    const r = await get(after === null ? base : `${base}&after=${encodeURIComponent(after)}`);
    return { items: r.records || [], next: r.next };
  });
}

// [{by, day, first, last, records}] in the order each person's day first appears; day is the
// day as day() writes it in the organisation's zone (one text for each day, in any language).
export function group(records) {
  const groups = new Map();
  for (const r of records) {
    const d = day(r.at);
    const key = `${r.by}\u0000${d}`;
    let g = groups.get(key);
    if (!g) { g = { by: r.by, day: d, first: r.at, last: r.at, records: [] }; groups.set(key, g); }
    g.first = Math.min(g.first, r.at);
    g.last = Math.max(g.last, r.at);
    g.records.push(r);
  }
  return [...groups.values()];
}

// The time of day of @at (unix seconds) in the organisation's zone: when()'s time without its
// day ("14:05 CET" in English), in the language in use.
function hm(at) {
  if (language() === 'en') return when(at).slice(11);
  try {
    return new Intl.DateTimeFormat(language(), {
      timeZone: (app.me && app.me.timezone) || 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    }).format(new Date(at * 1000));
  } catch {
    return when(at);
  }
}

export async function loadReaders(id, el) {
  let records;
  try {
    records = await allRecords(id);
  } catch (e) {
    clear(el).append(h('p', { class: 'error-msg' }, sentence(e)));
    return;
  }
  await lookUpNames(records.map((r) => r.by));
  const groups = group(records);
  if (!groups.length) { clear(el).append(h('p', { class: 'muted' }, t('readers.none'))); return; }
  const people = new Set(groups.map((g) => g.by)).size;
  clear(el).append(...[
    h('p', { class: 'muted' }, t('readers.summary', {
      records: t('readers.records', { count: records.length }), people: t('readers.people', { count: people }),
    })),
    h('ul', { class: 'readers' }, groups.map((g) => {
      const kinds = [...new Set(g.records.map((r) => actionWords(r.action)))];
      const name = h('strong', {}, nameWithUser(g.by));
      const count = g.records.length;
      return h('li', {}, h('details', {},
        h('summary', {}, hm(g.first) === hm(g.last)
          ? parts('readers.group.at', { name, day: g.day, count, time: hm(g.first) })
          : parts('readers.group.range', { name, day: g.day, count, first: hm(g.first), last: hm(g.last) }),
        h('span', { class: 'muted' }, ` (${kinds.slice(0, 3).join(', ')}${kinds.length > 3 ? ', …' : ''})`)),
        h('ul', {}, g.records.map((r) => h('li', {}, t('readers.record', { time: hm(r.at), action: actionWords(r.action) }))))));
    }))].filter(Boolean));
}

// "Who read it": the memo's audit (GET .../audit, paged by `after`/`next`), grouped by person
// and day: first and last time, how many records, and each group opens to its records.
import { get } from './api.js';
import { h, clear, when } from './dom.js';
import { sentence } from './errors.js';
import { eventSentence, lookUpNames, nameWithUser } from './memo-status.js';
import { walkAll } from './paging.js';

const PAGE = 1000; // the largest page GET .../audit gives (AUDIT_PAGE_MAX)

const ACTION = {
  read: 'read the memo', read_title: 'saw its title in a list', read_comments: 'read the comments', read_bundle: 'downloaded the signed bundle', read_file: 'downloaded an attached file',
  read_record: 'made a record copy (PDF)', exported: 'exported it for production', held: 'placed a legal hold on it', released: 'lifted a legal hold on it',
  read_receipt: 'downloaded the filing receipt', commented: 'posted a comment', signed: 'signed',
  unsigned: 'withdrew their signature', extended: 'extended the reply deadline',
  internal: 'worked on the officers\' side (notes, the reply\'s draft, its review)',
};
// One record's action as words (the memo's events read as on the timeline).
export function actionWords(a) {
  if (ACTION[a]) return ACTION[a];
  const s = eventSentence({ event: a, by: null });
  return s.replace(/^(The drafter|An officer|A co-signer|Someone):? /, '').replace(/^The memo was /, 'the memo was ');
}

// Every record, however many pages (grouping by person and day needs them all).
export function allRecords(id) {
  const base = `/api/v1/memos/${encodeURIComponent(id)}/audit?limit=${PAGE}`;
  return walkAll(async (after) => {
    const r = await get(after === null ? base : `${base}&after=${encodeURIComponent(after)}`);
    return { items: r.records || [], next: r.next };
  });
}

// [{by, day, first, last, records}] in the order each person's day first appears.
export function group(records) {
  const groups = new Map();
  for (const r of records) {
    const t = when(r.at);
    const key = `${r.by}\u0000${t.slice(0, 10)}`;
    let g = groups.get(key);
    if (!g) { g = { by: r.by, day: t.slice(0, 10), first: r.at, last: r.at, records: [] }; groups.set(key, g); }
    g.first = Math.min(g.first, r.at);
    g.last = Math.max(g.last, r.at);
    g.records.push(r);
  }
  return [...groups.values()];
}

const hm = (t) => when(t).slice(11);

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
  if (!groups.length) { clear(el).append(h('p', { class: 'muted' }, 'Nobody has read it yet.')); return; }
  const people = new Set(groups.map((g) => g.by)).size;
  clear(el).append(...[
    h('p', { class: 'muted' }, `${records.length} record${records.length === 1 ? '' : 's'} from ${people} ${people === 1 ? 'person' : 'people'}, by person and day. Open a line to see each record.`),
    h('ul', { class: 'readers' }, groups.map((g) => {
      const kinds = [...new Set(g.records.map((r) => actionWords(r.action)))];
      return h('li', {}, h('details', {},
        h('summary', {}, h('strong', {}, nameWithUser(g.by)), ` on ${g.day}: `,
          `${g.records.length} record${g.records.length === 1 ? '' : 's'}, `,
          hm(g.first) === hm(g.last) ? `at ${hm(g.first)}` : `from ${hm(g.first)} to ${hm(g.last)}`,
          h('span', { class: 'muted' }, ` (${kinds.slice(0, 3).join(', ')}${kinds.length > 3 ? ', …' : ''})`)),
        h('ul', {}, g.records.map((r) => h('li', {}, `${hm(r.at)}: ${actionWords(r.action)}`)))));
    }))].filter(Boolean));
}

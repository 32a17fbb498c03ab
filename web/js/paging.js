// Paged lists: 25 rows a page with Previous/Next and "Showing 26–50", filters, and the page and
// filters kept in the address (#/inbox?state=filed&page=2) so that a reload or a shared link
// shows the same rows. Two sources: the API's cursor paging (limit, after, next) and an array
// the page already holds in full (the officer's deadlines, the accounts).
import { h, field } from './dom.js';
import { t, language } from './i18n.js';

export const PAGE = 25;

// What a list's pager can count (pagedSection's noun): paging.showing.NOUN.* in the catalogs.
const NOUNS = ['items', 'memos', 'accounts'];

// The parameters after "?" in the address's hash.
export function hashParams() {
  const i = location.hash.indexOf('?');
  return new URLSearchParams(i < 0 ? '' : location.hash.slice(i + 1));
}

// Change parameters of the hash without drawing the page again (no hashchange event): empty
// values and page 1 are left out, so the plain address is the first page without filters.
export function setHashParams(updates) {
  const p = hashParams();
  for (const [k, v] of Object.entries(updates)) {
    if (v === null || v === undefined || v === '' || (/page$/.test(k) && Number(v) === 1)) p.delete(k);
    else p.set(k, String(v));
  }
  const base = location.hash.split('?')[0] || '#/';
  const q = p.toString();
  history.replaceState(history.state, '', `${base}${q ? `?${q}` : ''}`);
}

// A page number from the hash: a positive integer, else 1.
export function pageParam(p, key = 'page') {
  const n = Number.parseInt(p.get(key) || '1', 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

// Pages of a list the API pages with a cursor. @fetchPage(after, limit) resolves to the items
// (each with an `id`; the array may carry the list's `total`). By default one extra item is
// asked for, to know whether another page follows, and the cursor of page n+1 is the id of page
// n's last item. With {exact: true} the API's own cursor is used instead: the array carries it
// as `next` (null on the last page), and a page is asked for exactly (the officers' queue,
// whose cursor is a place in it, not a memo). Unknown cursors (a page opened from the address)
// are found by walking from the last page known.
export class CursorPages {
  constructor(fetchPage, opts = {}) {
    this.fetchPage = fetchPage;
    this.exact = Boolean(opts.exact);
    this.cursors = [null];
  }

  // One page from @after: {items, next, total} (next null on the last page).
  async fetchOne(after) {
    const got = await this.fetchPage(after, this.exact ? PAGE : PAGE + 1);
    if (this.exact) return { items: got.slice(0, PAGE), next: got.next ?? null, total: got.total };
    const items = got.slice(0, PAGE);
    return { items, next: got.length > PAGE ? items[PAGE - 1].id : null, total: got.total };
  }

  async page(n) {
    let known = this.cursors.length;
    while (known < n) {
      const r = await this.fetchOne(this.cursors[known - 1]);
      if (r.next === null) { n = known; break; } // the list ends on an earlier page
      this.cursors[known] = r.next;
      known += 1;
    }
    const { items, next, total: counted } = await this.fetchOne(this.cursors[n - 1]);
    const hasNext = next !== null;
    if (hasNext) this.cursors[n] = next;
    if (!items.length && n > 1) return this.page(1);
    // the API's count when it gives one, else known on the last page
    const total = Number.isInteger(counted) ? counted : hasNext ? null : (n - 1) * PAGE + items.length;
    return { n, items, hasNext, total };
  }
}

// Pages of an array held in full.
export class ArrayPages {
  constructor(items) { this.items = items; }

  async page(n) {
    const last = Math.max(1, Math.ceil(this.items.length / PAGE));
    const m = Math.min(n, last);
    return { n: m, items: this.items.slice((m - 1) * PAGE, m * PAGE), hasNext: m < last, total: this.items.length };
  }
}

// Every item of a cursor-paged API list, however many: @get(after) resolves to {items, next}.
export async function walkAll(getPage) {
  const out = [];
  let after = null;
  for (;;) {
    const r = await getPage(after);
    out.push(...r.items);
    if (!r.next || !r.items.length) return out;
    after = r.next;
  }
}

// A labelled <select> whose change calls @onchange(value).
export function selectField(label, options, value, onchange, attrs = {}) {
  const sel = h('select', attrs, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  sel.value = value;
  sel.addEventListener('change', () => onchange(sel.value));
  return field(label, sel);
}

// A labelled search box: @oninput(value) a moment after typing stops.
export function searchField(label, value, oninput, attrs = {}) {
  const box = h('input', { type: 'search', value, autocapitalize: 'none', spellcheck: 'false', ...attrs });
  let timer = null;
  box.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => oninput(box.value.trim()), 250);
  });
  return field(label, box);
}

// A list section: its heading, filters, rows and pager, drawn again when a filter or the page
// changes. @opts:
//   id, title          the section's id and heading (the heading's id is `h-${id}`)
//   intro              optional node under the heading
//   filters            [{key, label, options: [[value, text]], hidden}] kept in the hash
//   pageKey            the hash parameter of the page number ('page')
//   source(values)     -> CursorPages | ArrayPages for the filter values {key: value}
//   render(items)      -> the table
//   empty(values)      -> the sentence shown when there is nothing (with or without filters)
//   noun               what the list counts, 'memos' or 'accounts' (or ['memo', 'memos'], its
//                      last word counting): "Showing 1–25 of 60 memos", "Showing 1 of 1 memo";
//                      each is a set of messages paging.showing.NOUN.*, else 'items'
// Returns {el, load()}: load() fetches the page in the address and draws it (await it before
// showing the page, so that a failure becomes the page's error).
export function pagedSection(opts) {
  const params = hashParams();
  const values = {};
  for (const f of opts.filters || []) values[f.key] = params.get(f.key) || '';
  let n = pageParam(params, opts.pageKey);
  let source = null;
  const hid = `h-${opts.id}`;
  const counted = [opts.noun || 'items'].flat().pop();
  const noun = NOUNS.includes(counted) ? counted : 'items';
  const body = h('div', { class: 'list-body' });
  const status = h('p', { class: 'pager-status', tabindex: '-1', 'aria-live': 'polite' });
  // the list's name inside a sentence ("Previous page of work queue"): English writes the title
  // in lower case there, the other languages as it is (their messages quote it)
  const list = language() === 'en' ? opts.title.toLowerCase() : opts.title;
  const prev = h('button', { type: 'button', class: 'secondary', 'aria-label': t('paging.previousOf', { list }) }, t('paging.previous'));
  const next = h('button', { type: 'button', class: 'secondary', 'aria-label': t('paging.nextOf', { list }) }, t('paging.next'));
  const pager = h('nav', { class: 'pager', 'aria-label': t('paging.pagesOf', { list }) }, prev, status, next);
  const apply = (f, v) => {
    values[f.key] = v;
    source = null;
    n = 1;
    setHashParams({ [f.key]: v, [opts.pageKey]: 1 });
    draw().catch((e) => failIn(e));
  };
  const filterEls = (opts.filters || []).filter((f) => !f.hidden).map((f) => (f.search
    ? searchField(f.label, values[f.key], (v) => apply(f, v), { 'data-filter': f.key, placeholder: f.placeholder || null })
    : selectField(f.label, f.options, values[f.key], (v) => apply(f, v), { 'data-filter': f.key })));
  const filters = filterEls.length ? h('div', { class: 'filters', role: 'group', 'aria-label': t('paging.filterOf', { list }) }, filterEls) : null;
  const el = h('section', { id: opts.id, class: 'list', 'aria-labelledby': hid },
    h('h2', { id: hid }, opts.title), opts.intro || null, filters, body, pager);
  const failIn = (e) => {
    body.replaceChildren(h('p', { class: 'error-msg', role: 'alert' }, opts.sentence ? opts.sentence(e) : t('paging.failed')));
  };

  async function draw(focus = null) {
    if (!source) source = opts.source(values);
    const r = await source.page(n);
    n = r.n;
    if (!r.items.length) {
      body.replaceChildren(h('p', { class: 'muted empty' }, opts.empty(values)));
    } else {
      body.replaceChildren(opts.render(r.items));
    }
    const from = (r.n - 1) * PAGE + 1;
    const to = from + r.items.length - 1;
    // "Showing 26–50 of 60 memos": one message by whether one row or several are shown and the
    // total is known, a plural by the total (its {count})
    const form = r.total === null ? (from === to ? 'single' : 'range') : (from === to ? 'singleOf' : 'rangeOf');
    status.textContent = r.items.length ? t(`paging.showing.${noun}.${form}`, { from, to, count: r.total }) : '';
    prev.disabled = r.n <= 1;
    next.disabled = !r.hasNext;
    const single = r.n <= 1 && !r.hasNext;
    prev.hidden = single;
    next.hidden = single;
    pager.hidden = !r.items.length && single;
    if (focus) (focus.disabled || focus.hidden ? status : focus).focus();
  }

  prev.addEventListener('click', () => {
    if (n <= 1) return;
    n -= 1;
    setHashParams({ [opts.pageKey]: n });
    draw(prev).catch((e) => failIn(e));
  });
  next.addEventListener('click', () => {
    n += 1;
    setHashParams({ [opts.pageKey]: n });
    draw(next).catch((e) => failIn(e));
  });
  return { el, load: () => draw(), values };
}

// Auditors: the channel's statistics as charts, and the transparency log's checkpoint.
// Charts are drawn at the width they are shown at (never scaled down, so their text stays at
// 12 px or more on a phone) with one horizontal bar per row, so that labels never collide;
// every month from the first filing to today has its row, empty or not. Right to left (Arabic),
// the charts are mirrored: labels on the right, bars growing leftwards from the axis.
import { get, api } from './api.js';
import { h, s, badge, day } from './dom.js';
import { page } from './shell.js';
import { t, parts, number, language } from './i18n.js';

// @x rounded to @d decimals, without trailing zeros, as the language writes numbers.
const fmt = (x, d = 2) => (x === null || x === undefined ? '—' : number(Number(Number(x).toFixed(d))));
const FONT = 13;

// Whether the page is drawn right to left (i18n.js sets <html dir> from the language).
const rtl = () => document.documentElement.dir === 'rtl';

// A month "YYYY-MM" as the language writes it: as it is in English (like day()), else "janv. 2026".
function month(k) {
  if (language() === 'en') return k;
  return new Intl.DateTimeFormat(language(), { timeZone: 'UTC', year: 'numeric', month: 'short' })
    .format(new Date(`${k}-01T00:00:00Z`));
}

// Items of a list in one sentence, separated as the language separates them ("a, b", "a، b").
const list = (items) => items.join(`${t('stats.comma')} `);

// The width a chart may take in the page: the content width of <main>, at most 640 px.
function chartWidth() {
  const main = document.getElementById('main');
  const cs = main ? getComputedStyle(main) : null;
  const w = main ? main.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) : 560;
  return Math.max(240, Math.min(640, Math.floor(w)));
}

// A horizontal bar chart: [[label, value], ...], one row per pair, the value written after its
// bar; drawn @W px wide at a 1:1 scale. Right to left, every x is mirrored (x' = W - x, a box's
// left edge W - x - width); the text-anchors keep their keywords, which SVG reads in the text's
// direction (rtl here): 'end' of a label is then its left edge, at the axis, and a value's
// 'start' its right edge, at its bar's end. Text itself is never mirrored.
function barChart(title, desc, pairs, W, unit = '') {
  const row = 26;
  const P = { t: 8, b: 8 };
  const labelW = Math.min(130, Math.round(W * 0.36));
  const valueW = 48;
  const H = P.t + P.b + Math.max(1, pairs.length) * row;
  const max = Math.max(1, ...pairs.map((p) => p[1] || 0));
  const barMax = W - labelW - valueW - 8;
  const id = `c${Math.random().toString(36).slice(2, 8)}`;
  const R = rtl();
  const X = (x, w = 0) => (R ? W - x - w : x);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}t ${id}d`, width: W, height: H },
    s('title', { id: `${id}t` }, title), s('desc', { id: `${id}d` }, desc));
  if (R) svg.setAttribute('direction', 'rtl');
  pairs.forEach(([label, v], i) => {
    const y = P.t + i * row;
    const val = v || 0;
    const bw = Math.round((barMax * val) / max);
    const width = Math.max(bw, val ? 2 : 0);
    svg.append(
      s('text', { x: X(labelW - 6), y: y + row / 2 + 4, 'text-anchor': 'end', 'font-size': FONT, fill: '#1a1a1a' }, label),
      s('rect', { x: X(labelW, width), y: y + 4, width, height: row - 8, fill: '#1d3f8f' }),
      s('text', { x: X(labelW + bw + 6), y: y + row / 2 + 4, 'font-size': FONT, fill: '#1a1a1a' }, v === null || v === undefined ? '—' : `${fmt(val)}${unit}`));
  });
  svg.append(s('line', { x1: X(labelW), y1: P.t, x2: X(labelW), y2: H - P.b, stroke: '#1a1a1a' }));
  if (!pairs.length) svg.append(s('text', { x: W / 2, y: H / 2 + 4, 'text-anchor': 'middle', 'font-size': FONT, fill: '#4a4a4a' }, t('stats.noData')));
  return h('figure', { class: 'chart-fig' }, h('figcaption', {}, title), svg);
}

// "YYYY-MM" of every month from @first to @last, both included.
export function monthsBetween(first, last) {
  const out = [];
  let [y, m] = first.split('-').map(Number);
  const [ly, lm] = last.split('-').map(Number);
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
    if (out.length > 1200) break;
  }
  return out;
}

// filings_per_month lists only months with filings: fill in the empty ones up to today's month.
function monthRows(st) {
  const per = st.filings_per_month || {};
  const keys = Object.keys(per).sort();
  if (!keys.length) return [];
  const today = (st.today || keys[keys.length - 1]).slice(0, 7);
  const last = today > keys[keys.length - 1] ? today : keys[keys.length - 1];
  return monthsBetween(keys[0], last).map((k) => [k, per[k] || 0]);
}

// Share of deadlines met on time, per kind: the share, and beside it what it is made of, the
// overdue ones included (so that 100% is never shown while deadlines are overdue).
function shareChart(st) {
  const on = st.on_time || {};
  const perKind = ['acknowledged', 'replied'].every((k) => on[k] && typeof on[k].overdue === 'number');
  const rows = [['acknowledged', on.acknowledged || {}], ['replied', on.replied || {}]];
  // right to left, the bar fills from the right: a segment's left edge is 100 - x - width
  const R = rtl();
  const X = (x, w) => (R ? 100 - x - w : x);
  const items = rows.map(([kind, v]) => {
    const label = t(`stats.share.${kind}`);
    const onTime = v.on_time || 0, late = v.late || 0;
    const overdue = perKind ? v.overdue : 0;
    const total = onTime + late + overdue;
    // an older server's share leaves the overdue out: only per kind can it be recomputed
    const share = total ? onTime / total : null;
    const counts = perKind ? t('stats.share.counts', { onTime, late, overdue })
      : t('stats.share.countsNoOverdue', { onTime, late });
    let text;
    if (share === null) text = t('stats.share.none', { label });
    else if (!perKind && st.overdue && share === 1) text = t('stats.share.allMet', { label });
    else text = t('stats.share.value', { label, share: fmt(share * 100, 1) });
    const wOn = total ? (100 * onTime) / total : 0, wLate = total ? (100 * late) / total : 0, wOver = total ? (100 * overdue) / total : 0;
    const bar = s('svg', { class: 'chart share-bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': `${text} ${counts}` },
      s('rect', { x: 0, y: 0, width: 100, height: 10, fill: '#e2e5ea' }),
      total ? s('rect', { x: X(0, wOn), y: 0, width: wOn, height: 10, fill: '#185c2b' }) : null,
      total ? s('rect', { x: X((100 * onTime) / total, wLate), y: 0, width: wLate, height: 10, fill: '#b07a00' }) : null,
      total ? s('rect', { x: X((100 * (onTime + late)) / total, wOver), y: 0, width: wOver, height: 10, fill: '#a1140e' }) : null);
    return h('li', {},
      h('p', { class: 'share-line' }, h('strong', {}, text), ' ', h('span', { class: 'muted' }, counts), ' ',
        perKind && overdue ? badge(t('stats.share.overdue', { count: overdue }), 'overdue') : null),
      bar);
  });
  const note = !perKind && st.overdue
    ? h('p', { class: 'warning', role: 'note' }, t('stats.share.overdueNote', { count: st.overdue }))
    : null;
  return h('figure', { class: 'chart-fig', id: 'on-time' },
    h('figcaption', {}, perKind ? t('stats.share.titleMissed') : t('stats.share.title')),
    h('ul', { class: 'shares' }, items), note,
    h('p', { class: 'legend muted' }, h('span', { class: 'key ok' }), `${t('stats.legend.onTime')} `, h('span', { class: 'key late' }), `${t('stats.legend.late')} `, h('span', { class: 'key over' }), t('stats.legend.overdue')));
}

function daysChart(st, W) {
  const a = st.working_days_to_acknowledge, r = st.working_days_to_reply;
  return barChart(t('stats.days.title'),
    t('stats.days.desc', {
      ackMean: fmt(a.mean), ackMedian: fmt(a.median), ackMax: fmt(a.max), ackCount: a.count,
      replyMean: fmt(r.mean), replyMedian: fmt(r.median), replyMax: fmt(r.max), replyCount: r.count,
    }),
    [[t('stats.days.ackMean'), a.mean], [t('stats.days.ackMedian'), a.median], [t('stats.days.ackMax'), a.max],
      [t('stats.days.replyMean'), r.mean], [t('stats.days.replyMedian'), r.median], [t('stats.days.replyMax'), r.max]], W);
}

let lastWidth = 0;
// @query: "?channel=SLUG" for one channel's figures (docs/channels.md), else every channel's.
export async function dashboard(query = '') {
  const slug = new URLSearchParams((query || '').slice(1)).get('channel');
  const { channels } = await get('/api/v1/channels');
  const st = await get(`/api/v1/stats${slug ? `?channel=${encodeURIComponent(slug)}` : ''}`);
  // with several channels, the figures of all or of one: links, the one shown marked
  const chooser = channels.length > 1
    ? h('nav', { class: 'channels-nav', 'aria-label': t('stats.channels') }, h('ul', {},
      h('li', {}, h('a', { href: '#/stats', 'aria-current': slug ? null : 'page' }, t('stats.allChannels'))),
      channels.map((c) => h('li', {}, h('a', { href: `#/stats?channel=${encodeURIComponent(c.slug)}`, 'aria-current': slug === c.slug ? 'page' : null }, c.name || c.slug)))))
    : null;
  let checkpoint = '';
  let loaded = true;
  try { checkpoint = (await api('GET', '/log/checkpoint')).data; } catch { checkpoint = t('stats.log.unavailable'); loaded = false; }
  const months = monthRows(st);
  const total = months.reduce((n, [, v]) => n + v, 0);
  const logUrl = `${location.origin}/log/`;
  const W = chartWidth();
  lastWidth = window.innerWidth;
  // the checkpoint and the command are left to right whatever the page's direction
  const ltr = rtl() ? 'ltr' : null;
  page(t('stats.title'), chooser,
    h('p', {}, t('stats.intro', { today: day(st.today) })),
    h('ul', { class: 'figures', id: 'figures' },
      h('li', {}, h('strong', { id: 'stat-filed' }, number(total)), t('stats.fig.filed')),
      h('li', {}, h('strong', {}, number(st.open)), t('stats.fig.open')),
      h('li', {}, h('strong', { id: 'stat-declined' }, number(st.declined)), t('stats.fig.declined')),
      h('li', {}, h('strong', { id: 'stat-withdrawn' }, number(st.withdrawn)), t('stats.fig.withdrawn')),
      h('li', {}, h('strong', { id: 'stat-extensions' }, number(st.extensions.count)),
        st.extensions.count ? t('stats.fig.extensionsMean', { mean: fmt(st.extensions.mean) }) : t('stats.fig.extensions')),
      h('li', {}, h('strong', { id: 'stat-overdue' }, number(st.overdue)), `${t('stats.fig.overdue')} `, st.overdue ? badge(t('stats.fig.attention'), 'overdue') : ''),
      h('li', {}, h('strong', {}, number(st.log_size)), t('stats.fig.log')),
      h('li', {}, h('strong', {}, fmt(st.signers_per_memo.mean)), t('stats.fig.signers')),
      h('li', {}, h('strong', {}, number(st.anomalies)), t('stats.fig.anomalies'))),
    barChart(t('stats.months.title'),
      t('stats.months.desc', { count: total, months: list(months.map(([k, v]) => t('stats.months.item', { month: month(k), count: v }))) || t('stats.months.none') }),
      months.map(([k, v]) => [month(k), v]), W),
    daysChart(st, W),
    shareChart(st),
    st.records ? h('section', { 'aria-labelledby': 'h-records' }, h('h2', { id: 'h-records' }, t('stats.records.title')),
      h('ul', { class: 'figures', id: 'records-figures' },
        h('li', {}, h('strong', {}, number(st.records.exported)), t('stats.records.exported')),
        h('li', {}, h('strong', {}, number(st.records.held)), t('stats.records.held')),
        h('li', {}, h('strong', {}, number(st.records.released)), t('stats.records.released')),
        h('li', {}, h('strong', {}, number(st.records.shredded)), t('stats.records.shredded')))) : null,
    h('section', { 'aria-labelledby': 'h-log' }, h('h2', { id: 'h-log' }, t('stats.log.title')),
      h('pre', { id: 'checkpoint', dir: loaded ? ltr : null }, checkpoint),
      h('p', {}, parts('stats.log.verify', { command: h('code', {}, 'dissent log key') })), // eslint-disable-line dissent/no-literal-text
      h('pre', { dir: ltr }, `dissent log verify ${logUrl} --vkey LOGKEY --state checkpoint.state`), // eslint-disable-line dissent/no-literal-text
      h('p', {}, t('stats.log.keepState'))));
}

// A phone turned sideways or a window resized: draw the charts again at the new width.
let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (/^#\/stats(\?|$)/.test(location.hash) && Math.abs(window.innerWidth - lastWidth) > 40) dashboard().catch(() => {});
  }, 300);
});

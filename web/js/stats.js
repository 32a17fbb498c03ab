// Auditors: the channel's statistics as charts, and the transparency log's checkpoint.
// Charts are drawn at the width they are shown at (never scaled down, so their text stays at
// 12 px or more on a phone) with one horizontal bar per row, so that labels never collide;
// every month from the first filing to today has its row, empty or not.
import { get, api } from './api.js';
import { h, s, badge } from './dom.js';
import { page } from './shell.js';

const fmt = (x, d = 2) => (x === null || x === undefined ? '—' : Number(x).toFixed(d).replace(/\.?0+$/, ''));
const FONT = 13;

// The width a chart may take in the page: the content width of <main>, at most 640 px.
function chartWidth() {
  const main = document.getElementById('main');
  const cs = main ? getComputedStyle(main) : null;
  const w = main ? main.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) : 560;
  return Math.max(240, Math.min(640, Math.floor(w)));
}

// A horizontal bar chart: [[label, value], ...], one row per pair, the value written after its
// bar; drawn @W px wide at a 1:1 scale.
function barChart(title, desc, pairs, W, unit = '') {
  const row = 26;
  const P = { t: 8, b: 8 };
  const labelW = Math.min(130, Math.round(W * 0.36));
  const valueW = 48;
  const H = P.t + P.b + Math.max(1, pairs.length) * row;
  const max = Math.max(1, ...pairs.map((p) => p[1] || 0));
  const barMax = W - labelW - valueW - 8;
  const id = `c${Math.random().toString(36).slice(2, 8)}`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}t ${id}d`, width: W, height: H },
    s('title', { id: `${id}t` }, title), s('desc', { id: `${id}d` }, desc));
  pairs.forEach(([label, v], i) => {
    const y = P.t + i * row;
    const val = v || 0;
    const bw = Math.round((barMax * val) / max);
    svg.append(
      s('text', { x: labelW - 6, y: y + row / 2 + 4, 'text-anchor': 'end', 'font-size': FONT, fill: '#1a1a1a' }, label),
      s('rect', { x: labelW, y: y + 4, width: Math.max(bw, val ? 2 : 0), height: row - 8, fill: '#1d3f8f' }),
      s('text', { x: labelW + bw + 6, y: y + row / 2 + 4, 'font-size': FONT, fill: '#1a1a1a' }, v === null || v === undefined ? '—' : `${fmt(val)}${unit}`));
  });
  svg.append(s('line', { x1: labelW, y1: P.t, x2: labelW, y2: H - P.b, stroke: '#1a1a1a' }));
  if (!pairs.length) svg.append(s('text', { x: W / 2, y: H / 2 + 4, 'text-anchor': 'middle', 'font-size': FONT, fill: '#4a4a4a' }, 'No data yet'));
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
  const rows = [['Acknowledged on time', on.acknowledged || {}], ['Replied on time', on.replied || {}]];
  const items = rows.map(([label, v]) => {
    const onTime = v.on_time || 0, late = v.late || 0;
    const overdue = perKind ? v.overdue : 0;
    const total = onTime + late + overdue;
    // an older server's share leaves the overdue out: only per kind can it be recomputed
    const share = total ? onTime / total : null;
    const parts = [`${onTime} on time`, `${late} late`];
    if (perKind) parts.push(`${overdue} overdue`);
    let text;
    if (share === null) text = `${label}: nothing due yet`;
    else if (!perKind && st.overdue && share === 1) text = `${label}: all met on time so far`;
    else text = `${label}: ${fmt(share * 100, 1)}%`;
    const bar = s('svg', { class: 'chart share-bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': `${text} (${parts.join(', ')})` },
      s('rect', { x: 0, y: 0, width: 100, height: 10, fill: '#e2e5ea' }),
      total ? s('rect', { x: 0, y: 0, width: (100 * onTime) / total, height: 10, fill: '#185c2b' }) : null,
      total ? s('rect', { x: (100 * onTime) / total, y: 0, width: (100 * late) / total, height: 10, fill: '#b07a00' }) : null,
      total ? s('rect', { x: (100 * (onTime + late)) / total, y: 0, width: (100 * overdue) / total, height: 10, fill: '#a1140e' }) : null);
    return h('li', {},
      h('p', { class: 'share-line' }, h('strong', {}, text), ' ', h('span', { class: 'muted' }, `(${parts.join(', ')})`), ' ',
        perKind && overdue ? badge(`${overdue} overdue`, 'overdue') : null),
      bar);
  });
  const note = !perKind && st.overdue
    ? h('p', { class: 'warning', role: 'note' }, `${st.overdue} ${st.overdue === 1 ? 'memo is' : 'memos are'} overdue and not counted in these shares.`)
    : null;
  return h('figure', { class: 'chart-fig', id: 'on-time' },
    h('figcaption', {}, 'Share of acknowledgements and replies made by their due date', perKind ? ' (overdue ones count as missed)' : ''),
    h('ul', { class: 'shares' }, items), note,
    h('p', { class: 'legend muted' }, h('span', { class: 'key ok' }), 'on time ', h('span', { class: 'key late' }), 'late ', h('span', { class: 'key over' }), 'overdue'));
}

function daysChart(st, W) {
  const a = st.working_days_to_acknowledge, r = st.working_days_to_reply;
  return barChart('Working days to acknowledge and to reply',
    `Acknowledge: mean ${fmt(a.mean)}, median ${fmt(a.median)}, max ${fmt(a.max)} over ${a.count}. Reply: mean ${fmt(r.mean)}, median ${fmt(r.median)}, max ${fmt(r.max)} over ${r.count}.`,
    [['ack mean', a.mean], ['ack median', a.median], ['ack max', a.max], ['reply mean', r.mean], ['reply median', r.median], ['reply max', r.max]], W);
}

let lastWidth = 0;
export async function dashboard() {
  const st = await get('/api/v1/stats');
  let checkpoint = '';
  try { checkpoint = (await api('GET', '/log/checkpoint')).data; } catch { checkpoint = '(the checkpoint could not be loaded)'; }
  const months = monthRows(st);
  const total = months.reduce((n, [, v]) => n + v, 0);
  const logUrl = `${location.origin}/log/`;
  const W = chartWidth();
  lastWidth = window.innerWidth;
  page('Channel statistics',
    h('p', {}, `Computed from the transparency log alone, as of ${st.today} (the organisation's date). Anyone holding the log can recompute every figure.`),
    h('ul', { class: 'figures', id: 'figures' },
      h('li', {}, h('strong', { id: 'stat-filed' }, String(total)), 'memos filed'),
      h('li', {}, h('strong', {}, String(st.open)), 'open'),
      h('li', {}, h('strong', { id: 'stat-declined' }, String(st.declined)), 'declined'),
      h('li', {}, h('strong', { id: 'stat-withdrawn' }, String(st.withdrawn)), 'withdrawn'),
      h('li', {}, h('strong', { id: 'stat-extensions' }, String(st.extensions.count)),
        st.extensions.count ? `deadline extensions (mean ${fmt(st.extensions.mean)} working days)` : 'deadline extensions'),
      h('li', {}, h('strong', { id: 'stat-overdue' }, String(st.overdue)), 'overdue ', st.overdue ? badge('attention', 'overdue') : ''),
      h('li', {}, h('strong', {}, String(st.log_size)), 'log entries'),
      h('li', {}, h('strong', {}, fmt(st.signers_per_memo.mean)), 'signers per memo (mean)'),
      h('li', {}, h('strong', {}, String(st.anomalies)), 'anomalies')),
    barChart('Filings per month', `${total} memos filed: ${months.map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`, months, W),
    daysChart(st, W),
    shareChart(st),
    st.records ? h('section', { 'aria-labelledby': 'h-records' }, h('h2', { id: 'h-records' }, 'Records'),
      h('ul', { class: 'figures', id: 'records-figures' },
        h('li', {}, h('strong', {}, String(st.records.exported)), 'memos exported for production'),
        h('li', {}, h('strong', {}, String(st.records.held)), 'placed under a legal hold'),
        h('li', {}, h('strong', {}, String(st.records.released)), 'released from one'),
        h('li', {}, h('strong', {}, String(st.records.shredded)), 'shredded at the end of their retention'))) : null,
    h('section', { 'aria-labelledby': 'h-log' }, h('h2', { id: 'h-log' }, 'Transparency log checkpoint'),
      h('pre', { id: 'checkpoint' }, checkpoint),
      h('p', {}, 'To check that the log is consistent and that nothing was rewritten, run with the log\'s public key (the operator prints it with ', h('code', {}, 'dissent log key'), '):'),
      h('pre', {}, `dissent log verify ${logUrl} --vkey LOGKEY --state checkpoint.state`),
      h('p', {}, 'Keep the state file between runs: each run then also proves the new log extends the one you saw before.')));
}

// A phone turned sideways or a window resized: draw the charts again at the new width.
let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (/^#\/stats(\?|$)/.test(location.hash) && Math.abs(window.innerWidth - lastWidth) > 40) dashboard().catch(() => {});
  }, 300);
});

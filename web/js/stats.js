// Auditors: the channel's statistics as SVG charts, and the transparency log's checkpoint.
import { get, api } from './api.js';
import { h, s, badge } from './dom.js';
import { page } from './app.js';

const fmt = (x, d = 2) => (x === null || x === undefined ? '—' : Number(x).toFixed(d).replace(/\.?0+$/, ''));

// A vertical bar chart: [[label, value], ...]; every bar carries its value as text too.
function barChart(title, desc, pairs, unit = '') {
  const W = 560, H = 220, P = { l: 40, r: 10, t: 20, b: 44 };
  const max = Math.max(1, ...pairs.map((p) => p[1] || 0));
  const bw = pairs.length ? (W - P.l - P.r) / pairs.length : 0;
  const y = (v) => P.t + (H - P.t - P.b) * (1 - v / max);
  const id = `c${Math.random().toString(36).slice(2, 8)}`;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': `${id}t ${id}d`, width: W, height: H },
    s('title', { id: `${id}t` }, title), s('desc', { id: `${id}d` }, desc),
    s('line', { x1: P.l, y1: H - P.b, x2: W - P.r, y2: H - P.b, stroke: '#1a1a1a' }),
    s('text', { x: P.l - 6, y: P.t + 4, 'text-anchor': 'end', 'font-size': 12, fill: '#1a1a1a' }, fmt(max)),
    s('text', { x: P.l - 6, y: H - P.b, 'text-anchor': 'end', 'font-size': 12, fill: '#1a1a1a' }, '0'));
  pairs.forEach(([label, v], i) => {
    const x = P.l + i * bw + bw * 0.15;
    const val = v || 0;
    svg.append(
      s('rect', { x, y: y(val), width: bw * 0.7, height: H - P.b - y(val), fill: '#1d3f8f' }),
      s('text', { x: x + bw * 0.35, y: y(val) - 4, 'text-anchor': 'middle', 'font-size': 12, fill: '#1a1a1a' }, v === null ? '—' : `${fmt(val)}${unit}`),
      s('text', { x: x + bw * 0.35, y: H - P.b + 16, 'text-anchor': 'middle', 'font-size': 12, fill: '#1a1a1a' }, label));
  });
  if (!pairs.length) svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#4a4a4a' }, 'No data yet'));
  return h('figure', {}, svg, h('figcaption', {}, title));
}

// Share on time as a horizontal bar per kind.
function shareChart(on) {
  const rows = [['Acknowledged on time', on.acknowledged], ['Replied on time', on.replied]];
  const W = 560, H = 110;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'Share of deadlines met', width: W, height: H },
    s('title', {}, 'Share of deadlines met'));
  rows.forEach(([label, v], i) => {
    const y = 10 + i * 50;
    const share = v && v.share !== null ? v.share : null;
    svg.append(
      s('text', { x: 0, y: y + 12, 'font-size': 13, fill: '#1a1a1a' }, `${label}: ${share === null ? 'nothing due yet' : `${fmt(share * 100, 1)}% (${v.on_time} on time, ${v.late} late)`}`),
      s('rect', { x: 0, y: y + 18, width: W, height: 16, fill: '#e2e5ea', stroke: '#767b85' }),
      s('rect', { x: 0, y: y + 18, width: share === null ? 0 : W * share, height: 16, fill: '#185c2b' }));
  });
  return h('figure', {}, svg, h('figcaption', {}, 'Share of acknowledgements and replies made by their due date'));
}

function daysChart(st) {
  const a = st.working_days_to_acknowledge, r = st.working_days_to_reply;
  return barChart('Working days to acknowledge and to reply',
    `Acknowledge: mean ${fmt(a.mean)}, median ${fmt(a.median)}, max ${fmt(a.max)} over ${a.count}. Reply: mean ${fmt(r.mean)}, median ${fmt(r.median)}, max ${fmt(r.max)} over ${r.count}.`,
    [['ack mean', a.mean], ['ack median', a.median], ['ack max', a.max], ['reply mean', r.mean], ['reply median', r.median], ['reply max', r.max]]);
}

export async function dashboard() {
  const st = await get('/api/v1/stats');
  let checkpoint = '';
  try { checkpoint = (await api('GET', '/log/checkpoint')).data; } catch (e) { checkpoint = `(unavailable: ${e.message})`; }
  const months = Object.entries(st.filings_per_month || {});
  const total = months.reduce((n, [, v]) => n + v, 0);
  const logUrl = `${location.origin}/log/`;
  page('Channel statistics',
    h('p', {}, `Computed from the transparency log alone, as of ${st.today} (the organisation's date). Anyone holding the log can recompute every figure.`),
    h('ul', { class: 'figures', id: 'figures' },
      h('li', {}, h('strong', { id: 'stat-filed' }, String(total)), 'memos filed'),
      h('li', {}, h('strong', {}, String(st.open)), 'open'),
      h('li', {}, h('strong', {}, String(st.overdue)), 'overdue ', st.overdue ? badge('attention', 'overdue') : ''),
      h('li', {}, h('strong', {}, String(st.log_size)), 'log entries'),
      h('li', {}, h('strong', {}, fmt(st.signers_per_memo.mean)), 'signers per memo (mean)'),
      h('li', {}, h('strong', {}, String(st.anomalies)), 'anomalies')),
    h('div', { class: 'grid2' },
      barChart('Filings per month', `${total} memos filed: ${months.map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'}`, months),
      daysChart(st)),
    shareChart(st.on_time),
    h('section', { 'aria-labelledby': 'h-log' }, h('h2', { id: 'h-log' }, 'Transparency log checkpoint'),
      h('pre', { id: 'checkpoint' }, checkpoint),
      h('p', {}, 'To check that the log is consistent and that nothing was rewritten, run with the log\'s public key (the operator prints it with ', h('code', {}, 'dissent log key'), '):'),
      h('pre', {}, `dissent log verify ${logUrl} --vkey LOGKEY --state checkpoint.state`),
      h('p', {}, 'Keep the state file between runs: each run then also proves the new log extends the one you saw before.')));
}

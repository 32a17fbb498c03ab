// The records officer's page (docs/records.md): legal holds, placed on a memo or a range of days
// with a reason and lifted with one, and the retention schedule's dry run: which memo is
// shredded when, which a hold keeps, and what was shredded. Ids, states and days only: this
// role never sees a title, a text or a name.
import { get, post } from './api.js';
import { h, field, table, badge, when } from './dom.js';
import { page, fail, notice, go } from './shell.js';
import { showError } from './errors.js';
import { confirmStep } from './dialog.js';

const STATES = { draft: 'draft', open: 'open, never filed', closed: 'closed', declined: 'declined', withdrawn: 'withdrawn' };
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function holdForm() {
  const memo = h('input', { type: 'text', 'data-field': 'memo', id: 'hold-memo', maxlength: 24, autocomplete: 'off', spellcheck: 'false' });
  const from = h('input', { type: 'date', 'data-field': 'from', id: 'hold-from' });
  const to = h('input', { type: 'date', 'data-field': 'to', id: 'hold-to' });
  const why = h('textarea', { rows: 2, maxlength: 2000, 'data-field': 'reason', id: 'hold-reason', required: true });
  const form = h('form', { 'aria-label': 'Place a legal hold', novalidate: true }, h('h2', {}, 'Place a legal hold'),
    field('Memo id', memo, 'The 24-character id of one memo; or leave it empty and give a range of days below.'),
    h('div', { class: 'side-by-side' }, field('From', from, 'Filing day, or the day a draft was created.'), field('To', to)),
    field('Reason', why, 'The matter the memos are held for: a case, a request. Kept with the hold and shown to records officers only.'),
    h('button', { type: 'submit' }, 'Place the hold'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = memo.value.trim() ? { memo: memo.value.trim() } : { from: from.value, to: to.value };
    body.reason = why.value.trim();
    try {
      const r = await post('/api/v1/records/holds', body);
      notice(`Hold ${r.hold.id} placed: it keeps ${plural(r.covered, 'memo', 'memos')} now${r.hold.memo ? '' : ', and any filed in its range later'}.`, true);
      await go('#/records');
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(form, e);
    }
  });
  return form;
}

function liftButton(hd) {
  const b = h('button', { type: 'button', class: 'secondary', 'aria-label': `Lift hold ${hd.id}` }, 'Lift');
  b.addEventListener('click', async () => {
    const reason = await confirmStep({
      title: `Lift hold ${hd.id}?`, confirm: 'Lift the hold',
      text: ['The memos it keeps go back on the retention schedule: any whose time has come are crypto-shredded within the hour.'],
      input: { label: 'Why it is lifted', hint: 'Kept with the hold, and shown to records officers.', multiline: true, required: true },
    });
    if (typeof reason !== 'string' || !reason.trim()) return;
    try {
      const r = await post(`/api/v1/records/holds/${hd.id}/lift`, { reason: reason.trim() });
      notice(`Hold ${hd.id} lifted: ${plural(r.released, 'memo is', 'memos are')} back on the retention schedule.`, true);
      await go('#/records');
    } catch (e) {
      showError(b.closest('section'), e);
    }
  });
  return b;
}

export async function recordsPage() {
  const [holds, sched] = await Promise.all([get('/api/v1/records/holds'), get('/api/v1/records/schedule')]);
  const ret = sched.retention;
  const keep = (d) => (d === 0 ? 'for ever' : `${plural(d, 'day', 'days')}`);
  const rows = holds.holds.map((hd) => h('tr', {},
    h('td', {}, String(hd.id)),
    h('td', { class: 'mono' }, hd.memo || `${hd.from} to ${hd.to}`),
    h('td', {}, hd.reason),
    h('td', {}, `${hd.placed_by || '?'}, ${when(hd.placed_at)}`),
    h('td', {}, hd.tampered ? badge('changed outside Dissent: holds everything', 'overdue')
      : hd.lifted ? `lifted by ${hd.lifted.by || '?'}, ${when(hd.lifted.at)}: ${hd.lifted.reason}` : badge('holding', 'ok')),
    h('td', { class: 'row-actions' }, !hd.lifted && !hd.tampered ? liftButton(hd) : '')));
  const items = sched.scheduled.map((m) => h('tr', {},
    h('td', { class: 'mono' }, m.id),
    h('td', {}, STATES[m.state] || m.state),
    h('td', {}, m.final || '—'),
    h('td', {}, m.held ? badge('held', 'state') : m.due ? (m.due <= sched.today ? badge(`due ${m.due}`, 'overdue') : m.due) : 'kept')));
  const gone = sched.shredded.map((t) => h('tr', {}, h('td', { class: 'mono' }, t.id), h('td', {}, STATES[t.state] || t.state), h('td', {}, t.final || '—'), h('td', {}, when(t.shredded_at))));
  page('Records',
    h('p', {}, `Today is ${sched.today}. Memos are kept, from their final day: closed ${keep(ret.closed)}, declined ${keep(ret.declined)}, withdrawn ${keep(ret.withdrawn)}; drafts and memos never filed ${keep(ret.drafts)} after their last change. Then they are crypto-shredded, unless a legal hold keeps them. You see ids, states and days only: never a title, a text or a name.`),
    h('section', { 'aria-labelledby': 'holds-h' }, h('h2', { id: 'holds-h' }, 'Legal holds'),
      rows.length ? table(['Hold', 'Memo or days', 'Reason', 'Placed', 'Status', ''], rows) : h('p', {}, 'No hold has been placed.')),
    holdForm(),
    h('section', { 'aria-labelledby': 'sched-h' }, h('h2', { id: 'sched-h' }, 'Retention schedule (dry run)'),
      h('p', {}, `${plural(sched.memos, 'memo', 'memos')} in all; ${sched.held} held; ${sched.due_now} due now (shredded within the hour).`),
      items.length ? table(['Memo', 'State', 'Final day', 'Shredded on'], items) : h('p', {}, 'No memo is scheduled.')),
    h('section', { 'aria-labelledby': 'gone-h' }, h('h2', { id: 'gone-h' }, 'Shredded'),
      gone.length ? table(['Memo', 'State', 'Final day', 'Shredded'], gone) : h('p', {}, 'Nothing has been shredded.')));
}

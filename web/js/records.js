// The records officer's page (docs/records.md): legal holds, placed on a memo or a range of days
// with a reason and lifted with one, and the retention schedule's dry run: which memo is
// shredded when, which a hold keeps, and what was shredded. Ids, states and days only: this
// role never sees a title, a text or a name.
import { get, post } from './api.js';
import { h, field, table, badge, when, day } from './dom.js';
import { page, fail, notice, go } from './shell.js';
import { showError } from './errors.js';
import { confirmStep } from './dialog.js';
import { t } from './i18n.js';

// The states with a word of their own (records.state.STATE in the catalogs, i18n.js).
const STATES = new Set(['draft', 'open', 'closed', 'declined', 'withdrawn']);
const state = (x) => (STATES.has(x) ? t(`records.state.${x}`) : x);

function holdForm() {
  const memo = h('input', { type: 'text', 'data-field': 'memo', id: 'hold-memo', maxlength: 24, autocomplete: 'off', spellcheck: 'false' });
  const from = h('input', { type: 'date', 'data-field': 'from', id: 'hold-from' });
  const to = h('input', { type: 'date', 'data-field': 'to', id: 'hold-to' });
  const why = h('textarea', { rows: 2, maxlength: 2000, 'data-field': 'reason', id: 'hold-reason', required: true });
  const form = h('form', { 'aria-label': t('records.place.title'), novalidate: true }, h('h2', {}, t('records.place.title')),
    field(t('records.place.memo'), memo, t('records.place.memoHint')),
    h('div', { class: 'side-by-side' }, field(t('records.place.from'), from, t('records.place.fromHint')), field(t('records.place.to'), to)),
    field(t('records.place.reason'), why, t('records.place.reasonHint')),
    h('button', { type: 'submit' }, t('records.place.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = memo.value.trim() ? { memo: memo.value.trim() } : { from: from.value, to: to.value };
    body.reason = why.value.trim();
    try {
      const r = await post('/api/v1/records/holds', body);
      notice(t(r.hold.memo ? 'records.place.doneMemo' : 'records.place.doneRange', { id: String(r.hold.id), count: r.covered }), true);
      await go('#/records');
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(form, e);
    }
  });
  return form;
}

function liftButton(hd) {
  const b = h('button', { type: 'button', class: 'secondary', 'aria-label': t('records.lift.label', { id: String(hd.id) }) }, t('records.lift.button'));
  b.addEventListener('click', async () => {
    const reason = await confirmStep({
      title: t('records.lift.title', { id: String(hd.id) }), confirm: t('records.lift.confirm'),
      text: [t('records.lift.text')],
      input: { label: t('records.lift.reason'), hint: t('records.lift.reasonHint'), multiline: true, required: true },
    });
    if (typeof reason !== 'string' || !reason.trim()) return;
    try {
      const r = await post(`/api/v1/records/holds/${hd.id}/lift`, { reason: reason.trim() });
      notice(t('records.lift.done', { id: String(hd.id), count: r.released }), true);
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
  const keep = (d) => (d === 0 ? t('records.keep.forever') : t('records.keep.days', { count: d }));
  const rows = holds.holds.map((hd) => h('tr', {},
    h('td', {}, String(hd.id)),
    h('td', { class: 'mono' }, hd.memo || t('records.holds.range', { from: day(hd.from), to: day(hd.to) })),
    h('td', {}, hd.reason),
    h('td', {}, t('records.holds.placedBy', { user: hd.placed_by || '?', time: when(hd.placed_at) })),
    h('td', {}, hd.tampered ? badge(t('records.holds.tampered'), 'overdue')
      : hd.lifted ? t('records.holds.lifted', { user: hd.lifted.by || '?', time: when(hd.lifted.at), reason: hd.lifted.reason }) : badge(t('records.holds.holding'), 'ok')),
    h('td', { class: 'row-actions' }, !hd.lifted && !hd.tampered ? liftButton(hd) : '')));
  const items = sched.scheduled.map((m) => h('tr', {},
    h('td', { class: 'mono' }, m.id),
    h('td', {}, state(m.state)),
    h('td', {}, m.final ? day(m.final) : '—'),
    h('td', {}, m.held ? badge(t('records.schedule.held'), 'state') : m.due ? (m.due <= sched.today ? badge(t('records.schedule.due', { day: day(m.due) }), 'overdue') : day(m.due)) : t('records.schedule.kept'))));
  const gone = sched.shredded.map((x) => h('tr', {}, h('td', { class: 'mono' }, x.id), h('td', {}, state(x.state)), h('td', {}, x.final ? day(x.final) : '—'), h('td', {}, when(x.shredded_at))));
  page(t('records.title'),
    h('p', {}, t('records.intro', { today: day(sched.today), closed: keep(ret.closed), declined: keep(ret.declined), withdrawn: keep(ret.withdrawn), drafts: keep(ret.drafts) })),
    h('section', { 'aria-labelledby': 'holds-h' }, h('h2', { id: 'holds-h' }, t('records.holds.title')),
      rows.length ? table([t('records.holds.colHold'), t('records.holds.colMemo'), t('records.holds.colReason'), t('records.holds.colPlaced'), t('records.holds.colStatus'), ''], rows) : h('p', {}, t('records.holds.none'))),
    holdForm(),
    h('section', { 'aria-labelledby': 'sched-h' }, h('h2', { id: 'sched-h' }, t('records.schedule.title')),
      h('p', {}, t('records.schedule.summary', { count: sched.memos, held: sched.held, due: sched.due_now })),
      items.length ? table([t('records.col.memo'), t('records.col.state'), t('records.col.final'), t('records.schedule.colShredded')], items) : h('p', {}, t('records.schedule.none'))),
    h('section', { 'aria-labelledby': 'gone-h' }, h('h2', { id: 'gone-h' }, t('records.shredded.title')),
      gone.length ? table([t('records.col.memo'), t('records.col.state'), t('records.col.final'), t('records.shredded.colShredded')], gone) : h('p', {}, t('records.shredded.none'))));
}

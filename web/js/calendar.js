// The channel's calendar: the working days the deadlines count (docs/api.md, "The calendar").
// Everyone signed in reads it (a running clock stop concerns every drafter); administrators
// close a day or open it again, and stop the clock and start it again. Each change moves the
// running deadlines it touches and is public in the transparency log (its days, not its reason).
import { get, post, api } from './api.js';
import { h, field, table, badge, when, day } from './dom.js';
import { page, fail, notice, has, go } from './shell.js';
import { showError } from './errors.js';
import { t, language } from './i18n.js';

// A weekday's name in the language in use: 1 January 2024 was a Monday.
const weekday = (i) => new Intl.DateTimeFormat(language(), { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 1 + i)));
// Days as a list in the language in use ("2026-12-24, 2026-12-31" in English).
const list = (days) => new Intl.ListFormat(language(), { type: 'unit', style: 'short' }).format(days.map((d) => day(d)));

// A change's form: its fields, a button, and what to say once done.
function changeForm(label, fields, button, submit) {
  const form = h('form', { 'aria-label': label }, h('h2', {}, label), ...fields, h('button', { type: 'submit' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      notice(await submit(), true);
      await go('#/calendar');
    } catch (e) {
      if (e.code === 'unauthorized') fail(e);
      else showError(form, e);
    }
  });
  return form;
}

const dateInput = (name, value = '') => h('input', { type: 'date', required: true, value, 'data-field': name });
const reasonInput = () => h('input', { type: 'text', required: true, maxlength: 200, 'data-field': 'reason' });

export async function calendarPage() {
  const cal = await get('/api/v1/calendar');
  const admin = has('admin');
  const stop = cal.clock_stopped;
  const closures = cal.closures.map((c) => {
    const live = c.removed_at === null;
    const remove = admin && live && c.day > cal.today
      ? h('button', { type: 'button', class: 'secondary', 'aria-label': t('calendar.closures.openLabel', { day: day(c.day) }), onclick: async (ev) => {
        try {
          const r = (await api('DELETE', `/api/v1/calendar/closures/${c.id}`)).data;
          notice(r.moved === 0 ? t('calendar.closures.opened', { day: day(c.day) })
            : t('calendar.closures.openedMoved', { day: day(c.day), count: r.moved }), true);
          await go('#/calendar');
        } catch (e) { showError(ev.target.closest('section'), e); }
      } }, t('calendar.closures.open'))
      : '';
    return h('tr', {}, h('td', {}, day(c.day)), h('td', {}, c.reason),
      h('td', {}, live ? badge(t('calendar.closures.closed'), 'overdue') : badge(t('calendar.closures.reopened', { time: when(c.removed_at) }), 'ok')),
      h('td', { class: 'row-actions' }, remove));
  });
  const stops = cal.stops.map((s) => h('tr', {}, h('td', {}, day(s.from)), h('td', {}, s.until ? day(s.until) : t('calendar.stops.running')), h('td', {}, s.reason)));
  // Which days are not working days, in one sentence for each case.
  const week = { monday: weekday(0), friday: weekday(4), calendar: cal.holidays };
  const none = cal.holidays === 'none';
  const rule = cal.inauguration_day
    ? (none ? t('calendar.workingDays.noneInauguration', week) : t('calendar.workingDays.namedInauguration', week))
    : (none ? t('calendar.workingDays.none', week) : t('calendar.workingDays.named', week));
  const parts = [
    h('p', {}, `${t('calendar.today', { today: day(cal.today), zone: cal.timezone })} ${rule}`),
  ];
  if (stop) {
    parts.push(h('p', { class: 'warning', role: 'status', id: 'clock-stopped' },
      t('calendar.stopped', { day: day(stop.from), reason: stop.reason })));
  }
  if (cal.configured_closures.length) {
    parts.push(h('p', {}, t('calendar.configured', { days: list(cal.configured_closures) })));
  }
  parts.push(h('section', { 'aria-labelledby': 'closures-h' }, h('h2', { id: 'closures-h' }, t('calendar.closures.title')),
    closures.length ? table([t('calendar.closures.colDay'), t('calendar.closures.colReason'), t('calendar.closures.colStatus'), ''], closures) : h('p', {}, t('calendar.closures.none'))));
  parts.push(h('section', { 'aria-labelledby': 'stops-h' }, h('h2', { id: 'stops-h' }, t('calendar.stops.title')),
    stops.length ? table([t('calendar.stops.colFrom'), t('calendar.stops.colUntil'), t('calendar.stops.colReason')], stops) : h('p', {}, t('calendar.stops.none'))));
  if (admin) {
    const closed = dateInput('day');
    const why = reasonInput();
    parts.push(changeForm(t('calendar.close.title'), [
      field(t('calendar.close.day'), closed, t('calendar.close.dayHint')),
      field(t('calendar.reason'), why, t('calendar.close.reasonHint')),
    ], t('calendar.close.submit'), async () => {
      const r = await post('/api/v1/calendar/closures', { day: closed.value, reason: why.value.trim() });
      return r.moved === 0 ? t('calendar.close.done', { day: day(r.day) }) : t('calendar.close.doneMoved', { day: day(r.day), count: r.moved });
    }));
    if (stop) {
      const until = dateInput('until', cal.today);
      parts.push(changeForm(t('calendar.end.title'), [
        field(t('calendar.end.until'), until, t('calendar.end.untilHint')),
      ], t('calendar.end.submit'), async () => {
        const r = await post(`/api/v1/calendar/stops/${stop.id}/end`, { until: until.value });
        return r.moved === 0 ? t('calendar.end.done', { day: day(r.until) }) : t('calendar.end.doneMoved', { day: day(r.until), count: r.moved });
      }));
    } else {
      const from = dateInput('from', cal.today);
      const why2 = reasonInput();
      parts.push(changeForm(t('calendar.stop.title'), [
        field(t('calendar.stop.from'), from, t('calendar.stop.fromHint')),
        field(t('calendar.reason'), why2, t('calendar.stop.reasonHint')),
      ], t('calendar.stop.submit'), async () => {
        const r = await post('/api/v1/calendar/stops', { from: from.value, reason: why2.value.trim() });
        return t('calendar.stop.done', { day: day(r.from) });
      }));
    }
  }
  page(t('calendar.title'), ...parts);
}

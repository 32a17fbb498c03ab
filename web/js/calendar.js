// The channel's calendar: the working days the deadlines count (docs/api.md, "The calendar").
// Everyone signed in reads it (a running clock stop concerns every drafter); administrators
// close a day or open it again, and stop the clock and start it again. Each change moves the
// running deadlines it touches and is public in the transparency log (its days, not its reason).
import { get, post, api } from './api.js';
import { h, field, table, badge, when } from './dom.js';
import { page, fail, notice, has, go } from './shell.js';
import { showError } from './errors.js';

const moved = (n) => (n === 0 ? 'no deadline moved' : `the deadlines of ${n} ${n === 1 ? 'memo' : 'memos'} moved`);

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
      ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Open again: ${c.day}`, onclick: async (ev) => {
        try {
          const r = (await api('DELETE', `/api/v1/calendar/closures/${c.id}`)).data;
          notice(`${c.day} is a working day again: ${moved(r.moved)}.`, true);
          await go('#/calendar');
        } catch (e) { showError(ev.target.closest('section'), e); }
      } }, 'Open again')
      : '';
    return h('tr', {}, h('td', {}, c.day), h('td', {}, c.reason),
      h('td', {}, live ? badge('closed', 'overdue') : badge(`open again ${when(c.removed_at)}`, 'ok')),
      h('td', { class: 'row-actions' }, remove));
  });
  const stops = cal.stops.map((s) => h('tr', {}, h('td', {}, s.from), h('td', {}, s.until || 'running'), h('td', {}, s.reason)));
  const parts = [
    h('p', {}, `Today is ${cal.today} (${cal.timezone}). Deadlines count working days: Monday to Friday, except the holidays of the ${cal.holidays === 'none' ? 'channel (none configured)' : `${cal.holidays} calendar`}${cal.inauguration_day ? ', Inauguration Day' : ''} and the closed days below.`),
  ];
  if (stop) {
    parts.push(h('p', { class: 'warning', role: 'status', id: 'clock-stopped' },
      `The clock is stopped from ${stop.from}: ${stop.reason}. Deadlines due from that day on are paused; they move on by the days of the stop when it ends.`));
  }
  if (cal.configured_closures.length) {
    parts.push(h('p', {}, `Closed by the server's configuration: ${cal.configured_closures.join(', ')}.`));
  }
  parts.push(h('section', { 'aria-labelledby': 'closures-h' }, h('h2', { id: 'closures-h' }, 'Closed days'),
    closures.length ? table(['Day', 'Reason', 'Status', ''], closures) : h('p', {}, 'No day has been closed.')));
  parts.push(h('section', { 'aria-labelledby': 'stops-h' }, h('h2', { id: 'stops-h' }, 'Clock stops'),
    stops.length ? table(['From', 'Until', 'Reason'], stops) : h('p', {}, 'The clock has never been stopped.')));
  if (admin) {
    const day = dateInput('day');
    const why = reasonInput();
    parts.push(changeForm('Close a day', [
      field('Day', day, 'Today or later. Running deadlines that count it move by one working day; late ones stay late.'),
      field('Reason', why, 'Shown to everyone signed in; the public log records the day only.'),
    ], 'Close the day', async () => {
      const r = await post('/api/v1/calendar/closures', { day: day.value, reason: why.value.trim() });
      return `${r.day} is closed: ${moved(r.moved)}.`;
    }));
    if (stop) {
      const until = dateInput('until', cal.today);
      parts.push(changeForm('End the clock stop', [
        field('Last stopped day', until, 'Yesterday, today or a later day. Each paused deadline keeps the working days it had left.'),
      ], 'End the clock stop', async () => {
        const r = await post(`/api/v1/calendar/stops/${stop.id}/end`, { until: until.value });
        return `The clock stop ended on ${r.until}: ${moved(r.moved)}.`;
      }));
    } else {
      const from = dateInput('from', cal.today);
      const why2 = reasonInput();
      parts.push(changeForm('Stop the clock', [
        field('From', from, 'Today or later. Every deadline due from that day on pauses until you end the stop.'),
        field('Reason', why2, 'For example: a lapse in appropriations.'),
      ], 'Stop the clock', async () => {
        const r = await post('/api/v1/calendar/stops', { from: from.value, reason: why2.value.trim() });
        return `The clock is stopped from ${r.from}.`;
      }));
    }
  }
  page('Calendar', ...parts);
}

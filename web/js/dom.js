import { language } from './i18n.js';

// Tiny DOM helpers: everything the API returns is put in as text, never as markup, except the
// HTML that the server's cmark renders in safe mode (POST /api/v1/preview).

// h('button', {class: 'x', onclick: f}, 'Text', child...) -> element
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

let uid = 0;
// A labelled form field: field('Title', input) wires label[for] to the control.
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++uid}`;
  const kids = [h('label', { for: control.id }, label)];
  if (hint) {
    const hid = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hid);
    kids.push(h('span', { class: 'hint', id: hid }, hint));
  }
  kids.push(control);
  return h('div', { class: 'field' }, kids);
}

export function check(label, input) {
  if (!input.id) input.id = `f${++uid}`;
  return h('div', { class: 'field' }, h('label', { class: 'check', for: input.id }, input, label));
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// Times are shown in the organisation's zone (from /api/v1/me), like the API's dates.
let zone = 'UTC';
export function setZone(tz) {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: tz });
    zone = tz;
  } catch {
    zone = 'UTC';
  }
}

// A time (Unix seconds or an ISO time) as the language in use writes it, in the organisation's
// zone: English keeps ISO 8601's order, "2026-12-06 14:05 CET" (one form for every English
// reader, British or American); the other languages their own ("6 déc. 2026, 14:05 UTC+1",
// with Arabic's digits in Arabic). A day alone ("YYYY-MM-DD", the API's dates) is a date: day().
export function when(t) {
  if (t === null || t === undefined) return '—';
  if (typeof t === 'string' && /^\d{4}-\d\d-\d\d$/.test(t)) return day(t);
  const d = typeof t === 'string' ? new Date(t) : new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return String(t);
  if (language() !== 'en') {
    return new Intl.DateTimeFormat(language(), {
      timeZone: zone, year: 'numeric', month: 'short', day: 'numeric',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    }).format(d);
  }
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName}`;
}

// A day: "YYYY-MM-DD" as given, or the day of a time (Unix seconds, an ISO time) in the
// organisation's zone; written "2026-12-06" in English, "6 déc. 2026" in French and so on.
export function day(t) {
  if (t === null || t === undefined) return '—';
  let iso = typeof t === 'string' && /^\d{4}-\d\d-\d\d$/.test(t) ? t : null;
  if (!iso) {
    const d = typeof t === 'string' ? new Date(t) : new Date(t * 1000);
    if (Number.isNaN(d.getTime())) return String(t);
    iso = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
  }
  if (language() === 'en') return iso;
  return new Intl.DateTimeFormat(language(), { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' })
    .format(new Date(`${iso}T00:00:00Z`));
}

// Suggestions for a usernames field: a <datalist> filled from /api/v1/users/search as the last
// name typed reaches two characters. @search(q) returns [{username, display_name}].
export function suggest(input, search) {
  const list = h('datalist', { id: `${input.id || 'names'}-list` });
  input.setAttribute('list', list.id);
  let seq = 0;
  input.addEventListener('input', async () => {
    const parts = input.value.split(/[\s,;]+/);
    const q = parts[parts.length - 1];
    if (q.length < 2) return;
    const mine = ++seq;
    try {
      const users = await search(q);
      if (mine !== seq) return;
      clear(list);
      const head = parts.slice(0, -1).join(', ');
      for (const u of users) {
        list.append(h('option', { value: (head ? `${head}, ` : '') + u.username }, u.display_name || u.username));
      }
    } catch { /* suggestions are a convenience: typing the names still works */ }
  });
  return list;
}

export function badge(text, kind = 'state') {
  return h('span', { class: `badge ${kind}` }, text);
}

// A table of @rows (<tr> elements) under @headers. Every cell is labelled with its column's
// header (data-label) and its content wrapped, so that on a phone (app.css, under 40rem) each
// row becomes a card of "Header: value" lines instead of a table scrolled sideways.
export function table(headers, rows, caption) {
  for (const tr of [rows].flat(Infinity)) {
    if (!(tr instanceof Element)) continue;
    [...tr.children].forEach((td, i) => {
      if (headers[i] && !td.hasAttribute('data-label')) td.setAttribute('data-label', typeof headers[i] === 'string' ? headers[i] : headers[i].textContent);
      if (!td.querySelector(':scope > .cell')) {
        const cell = h('div', { class: 'cell' });
        cell.append(...td.childNodes);
        td.append(cell);
      }
    });
  }
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'cards' },
      caption ? h('caption', { class: 'muted' }, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows)));
}

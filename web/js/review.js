// Officers: the reply's review (docs/api.md, "The reply: review and approval"). The case officer
// saves versions of the reply's draft and asks colleagues to clear it; they clear it; the case
// officer submits it; the channel's head returns it or approves it, which sends it. Internal
// notes are the officers' thread. None of it is shown to the drafter, co-signers or principals:
// the server sends the "internal" section to officers alone.
import { api, post } from './api.js';
import { h, field, when } from './dom.js';
import { M, namesForm, renderInto, can } from './memo-common.js';
import { failed, done } from './actionbar.js';
import { nameOf } from './memo-status.js';
import { t } from './i18n.js';

const who = (u) => (nameOf(u) !== u ? `${nameOf(u)} (${u})` : u);

function draftForm(m, bar) {
  const cur = m.internal && m.internal.reply_draft;
  const body = h('textarea', { rows: 10, 'data-field': 'body', id: 'draft-body' });
  body.value = cur ? cur.body || '' : '';
  const preview = h('div', { class: 'memo-body', id: 'draft-preview', 'aria-live': 'polite' });
  const btn = h('button', { type: 'submit' }, t('review.draft.save'));
  let timer = null;
  const show = () => renderInto(preview, body.value, t('review.previewEmpty'));
  body.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(show, 400); });
  show();
  const form = h('form', { 'aria-label': t('review.draft.form'), novalidate: true },
    h('div', { class: 'side-by-side' },
      h('div', { class: 'text-col' }, field(t('review.draft.label'), body,
        m.internal && m.internal.approval_required
          ? t('review.draft.hintApproval')
          : t('review.draft.hint'))),
      h('div', { class: 'preview-col' }, h('h3', { id: 'h-draft-preview' }, t('review.preview')), preview)),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, t('review.draft.empty')); return; }
    bar.submit(form, () => api('PUT', `${M(m.id)}/reply-draft`, { body: body.value }).then((r) => r.data),
      t('review.draft.done'), btn);
  });
  return form;
}

function returnForm(m, bar) {
  const reason = h('textarea', { rows: 3, maxlength: 2000, 'data-field': 'reason', id: 'return-reason' });
  const btn = h('button', { type: 'submit' }, t('review.return.submit'));
  const form = h('form', { 'aria-label': t('review.return.form'), novalidate: true },
    field(t('review.return.label'), reason, t('review.return.hint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { failed(form, { field: 'reason' }, t('review.return.empty')); return; }
    bar.submit(form, () => post(`${M(m.id)}/reply-draft/return`, { reason: reason.value.trim() }), t('review.return.done'), btn);
  });
  return form;
}

// Add the review's actions on @m to the action bar @bar.
export function reviewActions(m, bar) {
  const id = m.id;
  if (can(m, 'reply-draft')) bar.expand(m.internal && m.internal.reply_draft ? t('review.draft.edit') : t('review.draft.open'), () => draftForm(m, bar), { id: 'open-draft' });
  if (can(m, 'ask-clearance')) {
    bar.expand(t('review.clearance.open'), () => namesForm(bar, {
      heading: t('review.clearance.heading'), label: t('review.clearance.label'), submit: t('review.clearance.submit'), role: 'officer', id: `clearance-${id}`,
      hint: t('review.clearance.hint'),
      send: (list) => post(`${M(id)}/reply-draft/clearance`, { usernames: list }), msg: t('review.clearance.done'),
    }), { id: 'open-clearance' });
  }
  if (can(m, 'clear')) bar.button(t('review.clear.button'), { id: 'do-clear', fn: () => post(`${M(id)}/reply-draft/clear`), done: t('review.clear.done') });
  if (can(m, 'submit')) {
    bar.button(t('review.submit.button'), {
      id: 'do-submit', fn: () => post(`${M(id)}/reply-draft/submit`), done: t('review.submit.done'),
      confirm: { title: t('review.submit.confirmTitle'), confirm: t('review.submit.button'), text: [t('review.submit.confirmText')] },
    });
  }
  if (can(m, 'approve')) {
    // the version on the screen: a newer one, saved meanwhile, is refused (the head reads it first)
    const d = (m.internal && m.internal.reply_draft) || {};
    bar.button(t('review.approve.button'), {
      id: 'do-approve', fn: () => post(`${M(id)}/reply-draft/approve`, { version: d.version, digest: d.digest }), done: t('review.approve.done'),
      confirm: { title: t('review.approve.confirmTitle'), confirm: t('review.approve.button'),
        text: [t('review.approve.confirmText'), t('review.approve.confirmLog')] },
    });
  }
  if (can(m, 'return')) bar.expand(t('review.return.open'), () => returnForm(m, bar), { id: 'open-return' });
}

function noteForm(m, el) {
  const body = h('textarea', { rows: 3, maxlength: 8192, 'data-field': 'body', id: 'note-body' });
  const btn = h('button', { type: 'submit' }, t('review.note.submit'));
  const form = h('form', { 'aria-label': t('review.note.form'), novalidate: true },
    field(t('review.note.label'), body, t('review.note.hint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, t('review.note.empty')); return; }
    btn.disabled = true;
    let fresh;
    try {
      fresh = await post(`${M(m.id)}/notes`, { body: body.value });
    } catch (e) {
      btn.disabled = false;
      failed(form, e);
      return;
    }
    el.replaceWith(internalSection(fresh, t('review.note.done')));
  });
  return form;
}

// The review's events with words of their own (review.step.EVENT); another is shown by its code.
const STEPS = new Set(['reply_draft', 'clearance_requested', 'cleared', 'submitted', 'returned']);

// A line of the review's history: when, who, what (and its detail: a reason, usernames).
function step(e) {
  const vars = { time: when(e.at), who: who(e.by), event: e.event };
  const line = STEPS.has(e.event) ? t(`review.step.${e.event}`, vars) : t('review.step.other', vars);
  return e.detail ? t('review.step.detail', { step: line, detail: e.detail }) : line;
}

// The officers' section of the memo page: where the reply stands, its draft, and the notes.
export function internalSection(m, msg = null) {
  const r = m.internal;
  const out = [h('h2', { id: 'h-internal' }, t('review.title'))];
  const status = [];
  if (r.submitted) status.push(t('review.status.submitted', { who: who(r.submitted.by), time: when(r.submitted.at) }));
  else if (r.returned) status.push(t('review.status.returned', { who: who(r.returned.by), time: when(r.returned.at), reason: r.returned.reason || '' }));
  if (r.approval_required && m.state === 'acknowledged' && !r.submitted) status.push(t('review.status.approval'));
  if (status.length) out.push(h('p', { id: 'review-status' }, status.join(' ')));
  if (r.clearers.length) {
    out.push(h('h3', {}, t('review.clearance.title')), h('ul', { id: 'clearers' }, r.clearers.map((c) => h('li', {},
      c.cleared ? t('review.clearer.cleared', { who: who(c.username) }) : t('review.clearer.pending', { who: who(c.username) })))));
  }
  if (r.reply_draft) {
    const d = h('div', { class: 'memo-body', id: 'draft-text' });
    out.push(h('h3', {}, t('review.draft.by', { who: who(r.reply_draft.by), time: when(r.reply_draft.at) })), d);
    renderInto(d, r.reply_draft.body || '');
  }
  if (r.history.length) {
    out.push(h('details', {}, h('summary', {}, t('review.history')),
      h('ol', { id: 'review-history' }, r.history.map((e) => h('li', {}, step(e))))));
  }
  out.push(h('h3', { id: 'h-notes' }, t('review.notes')));
  out.push(r.notes.length ? h('div', { id: 'notes' }, r.notes.map((n) => h('div', { class: 'comment' },
    h('p', { class: 'muted' }, `${who(n.by)} · ${when(n.at)}`), h('p', { class: 'comment-body' }, n.body))))
    : h('p', { class: 'muted', id: 'notes' }, t('review.noNotes')));
  const el = h('section', { 'aria-labelledby': 'h-internal', id: 'internal', class: 'panel' }, out);
  if (can(m, 'note')) {
    const f = noteForm(m, el);
    el.append(f);
    if (msg) done(f, msg);
  }
  return el;
}

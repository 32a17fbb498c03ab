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

const who = (u) => (nameOf(u) !== u ? `${nameOf(u)} (${u})` : u);

function draftForm(m, bar) {
  const cur = m.internal && m.internal.reply_draft;
  const body = h('textarea', { rows: 10, 'data-field': 'body', id: 'draft-body' });
  body.value = cur ? cur.body || '' : '';
  const preview = h('div', { class: 'memo-body', id: 'draft-preview', 'aria-live': 'polite' });
  const btn = h('button', { type: 'submit' }, 'Save this version');
  let timer = null;
  const show = () => renderInto(preview, body.value, 'The preview appears here as you type.');
  body.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(show, 400); });
  show();
  const form = h('form', { 'aria-label': 'The reply\'s draft', novalidate: true },
    h('div', { class: 'side-by-side' },
      h('div', { class: 'text-col' }, field('The reply\'s draft (CommonMark)', body,
        m.internal && m.internal.approval_required
          ? 'Officers only. Once cleared, submit it to the head, whose approval sends it.'
          : 'Officers only, until a case officer sends it with "Reply".')),
      h('div', { class: 'preview-col' }, h('h3', { id: 'h-draft-preview' }, 'Preview'), preview)),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, 'Write the reply first: it is empty.'); return; }
    bar.submit(form, () => api('PUT', `${M(m.id)}/reply-draft`, { body: body.value }).then((r) => r.data),
      'Version saved. Officers asked to clear the reply clear this version.', btn);
  });
  return form;
}

function returnForm(m, bar) {
  const reason = h('textarea', { rows: 3, maxlength: 2000, 'data-field': 'reason', id: 'return-reason' });
  const btn = h('button', { type: 'submit' }, 'Return to the case officer');
  const form = h('form', { 'aria-label': 'Return the reply', novalidate: true },
    field('What to change (officers read it)', reason, 'At most 2000 characters. The case officer is told and submits a new version.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!reason.value.trim()) { failed(form, { field: 'reason' }, 'Say what to change: the case officer reads it.'); return; }
    bar.submit(form, () => post(`${M(m.id)}/reply-draft/return`, { reason: reason.value.trim() }), 'Returned to the case officer.', btn);
  });
  return form;
}

// Add the review's actions on @m to the action bar @bar.
export function reviewActions(m, bar) {
  const id = m.id;
  if (can(m, 'reply-draft')) bar.expand(m.internal && m.internal.reply_draft ? 'Edit the reply\'s draft' : 'Draft the reply', () => draftForm(m, bar), { id: 'open-draft' });
  if (can(m, 'ask-clearance')) {
    bar.expand('Ask for clearance', () => namesForm(bar, {
      heading: 'Ask officers to clear the reply', label: 'Officers\' usernames', submit: 'Ask them', role: 'officer', id: `clearance-${id}`,
      hint: 'Separated by commas or spaces. They may edit the draft, and each clears the current version before it is submitted.',
      send: (list) => post(`${M(id)}/reply-draft/clearance`, { usernames: list }), msg: 'Asked. They are told by email.',
    }), { id: 'open-clearance' });
  }
  if (can(m, 'clear')) bar.button('Clear this version', { id: 'do-clear', fn: () => post(`${M(id)}/reply-draft/clear`), done: 'Cleared. A new version would need clearing again.' });
  if (can(m, 'submit')) {
    bar.button('Submit for approval', {
      id: 'do-submit', fn: () => post(`${M(id)}/reply-draft/submit`), done: 'Submitted. The channel\'s head approves or returns it.',
      confirm: { title: 'Submit this version to the head?', confirm: 'Submit for approval', text: ['The head reads the current version and approves it, which sends it to the drafter, or returns it to you with a reason.'] },
    });
  }
  if (can(m, 'approve')) {
    // the version on the screen: a newer one, saved meanwhile, is refused (the head reads it first)
    const d = (m.internal && m.internal.reply_draft) || {};
    bar.button('Approve and send', {
      id: 'do-approve', fn: () => post(`${M(id)}/reply-draft/approve`, { version: d.version, digest: d.digest }), done: 'Approved and sent. The reply carries your signature and the channel\'s.',
      confirm: { title: 'Approve and send this reply?', confirm: 'Approve and send',
        text: ['The version submitted is sent to the drafter as the channel\'s reply, signed by the channel and by you. It cannot be changed or taken back.',
          'The reply is recorded in the public log (without its text).'] },
    });
  }
  if (can(m, 'return')) bar.expand('Return with a reason', () => returnForm(m, bar), { id: 'open-return' });
}

function noteForm(m, el) {
  const body = h('textarea', { rows: 3, maxlength: 8192, 'data-field': 'body', id: 'note-body' });
  const btn = h('button', { type: 'submit' }, 'Add the note');
  const form = h('form', { 'aria-label': 'Add an internal note', novalidate: true },
    field('Internal note', body, 'Officers only: the drafter, co-signers and principals never see it. At most 8192 bytes.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, 'Write the note first: it is empty.'); return; }
    btn.disabled = true;
    let fresh;
    try {
      fresh = await post(`${M(m.id)}/notes`, { body: body.value });
    } catch (e) {
      btn.disabled = false;
      failed(form, e);
      return;
    }
    el.replaceWith(internalSection(fresh, 'Note added.'));
  });
  return form;
}

const STEPS = {
  reply_draft: 'saved a version of the reply',
  clearance_requested: 'asked for clearance',
  cleared: 'cleared the version then current',
  submitted: 'submitted the reply for approval',
  returned: 'returned the reply',
};

// The officers' section of the memo page: where the reply stands, its draft, and the notes.
export function internalSection(m, msg = null) {
  const r = m.internal;
  const out = [h('h2', { id: 'h-internal' }, 'Officers only')];
  const status = [];
  if (r.submitted) status.push(`Submitted by ${who(r.submitted.by)} ${when(r.submitted.at)}: it awaits the head's approval.`);
  else if (r.returned) status.push(`Returned by ${who(r.returned.by)} ${when(r.returned.at)}: ${r.returned.reason || ''}`);
  if (r.approval_required && m.state === 'acknowledged' && !r.submitted) status.push('The channel\'s head approves the reply before it is sent.');
  if (status.length) out.push(h('p', { id: 'review-status' }, status.join(' ')));
  if (r.clearers.length) {
    out.push(h('h3', {}, 'Clearance'), h('ul', { id: 'clearers' }, r.clearers.map((c) => h('li', {}, `${who(c.username)}: ${c.cleared ? 'cleared this version' : 'not yet cleared this version'}`))));
  }
  if (r.reply_draft) {
    const d = h('div', { class: 'memo-body', id: 'draft-text' });
    out.push(h('h3', {}, `The reply's draft (by ${who(r.reply_draft.by)}, ${when(r.reply_draft.at)})`), d);
    renderInto(d, r.reply_draft.body || '');
  }
  if (r.history.length) {
    out.push(h('details', {}, h('summary', {}, 'History of the review'),
      h('ol', { id: 'review-history' }, r.history.map((e) => h('li', {}, `${when(e.at)}: ${who(e.by)} ${STEPS[e.event] || e.event}${e.detail ? `: ${e.detail}` : ''}`)))));
  }
  out.push(h('h3', { id: 'h-notes' }, 'Internal notes'));
  out.push(r.notes.length ? h('div', { id: 'notes' }, r.notes.map((n) => h('div', { class: 'comment' },
    h('p', { class: 'muted' }, `${who(n.by)} · ${when(n.at)}`), h('p', { class: 'comment-body' }, n.body))))
    : h('p', { class: 'muted', id: 'notes' }, 'No notes yet.'));
  const el = h('section', { 'aria-labelledby': 'h-internal', id: 'internal', class: 'panel' }, out);
  if (can(m, 'note')) {
    const f = noteForm(m, el);
    el.append(f);
    if (msg) done(f, msg);
  }
  return el;
}

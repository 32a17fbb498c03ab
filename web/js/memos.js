// The memo page every reader shares (staff, officers, principals): where it stands and what
// happens next, one action bar with what the reader may do, the frozen text, signers, the reply,
// the timeline, comments and who read it. The editor is in editor.js, the officer's actions in
// officer.js.
import { api, get, post } from './api.js';
import { h, field, clear, when, day, badge } from './dom.js';
import { app, page, go, fail } from './shell.js';
import { sentence } from './errors.js';
import { officerActions, REFERRALS } from './officer.js';
import { reviewActions, internalSection } from './review.js';
import { actionBar, done, failed } from './actionbar.js';
import { statusHeader, timelineList, learnNames, lookUpNames, nameOf } from './memo-status.js';
import { loadReaders } from './readers.js';
import { filesSection } from './files.js';
import { M, renderInto, namesForm, shownFor, clearShown, can } from './memo-common.js';
import { t, parts } from './i18n.js';

// The words for a signature's or an invitation's status (memo.signing.status.STATUS,
// memo.invitations.status.STATUS), and the memo's states (memo.comments.closed.STATE).
const SIGN_WORDS = new Set(['signed', 'voided', 'none', 'declined']);
const INVITE_WORDS = new Set(['signed', 'invited', 'declined']);
const STATES = new Set(['draft', 'open', 'filed', 'acknowledged', 'replied', 'closed', 'declined', 'withdrawn']);
// What people wrote (a name, a reason) put into parts() as a text node: never read as a {placeholder}.
const text = (x) => document.createTextNode(x);

async function download(id) {
  const r = await get(`${M(id)}/receipt`);
  const blob = new Blob([`${JSON.stringify(r, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `dissent-receipt-${id}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function iDeclined(m) {
  const me = app.me && app.me.username;
  return (m.my_signature || {}).status === 'declined' ||
    !!(m.invitations || []).find((x) => x.username === me && x.status === 'declined');
}

function signingPanel(m) {
  const my = m.my_signature || {};
  const declined = iDeclined(m);
  const status = declined ? 'declined' : my.status || 'none';
  const word = badge(SIGN_WORDS.has(status) ? t(`memo.signing.status.${status}`) : status, status === 'signed' ? 'ok' : 'state');
  return h('section', { class: 'panel signing-panel', 'aria-labelledby': 'h-sign' },
    h('h2', { id: 'h-sign' }, t('memo.signing.title')),
    h('p', {}, t('memo.signing.digest')),
    h('p', { class: 'mono digest', id: 'sign-digest' }, m.digest || '—'),
    h('p', {}, my.reason && status === 'voided' ? parts('memo.signing.yoursVoided', { status: word, reason: text(my.reason) })
      : parts('memo.signing.yours', { status: word })));
}

// The drafter's question after the reply: the reply step again, with its own deadline.
function clarifyForm(m, bar) {
  const q = h('textarea', { rows: 4, maxlength: 2000, 'data-field': 'question', id: 'clarify-question' });
  const btn = h('button', { type: 'submit' }, t('memo.clarify.send'));
  const form = h('form', { 'aria-label': t('memo.clarify.title'), novalidate: true },
    field(t('memo.clarify.label'), q, m.accept_until ? t('memo.clarify.hintUntil', { date: day(m.accept_until) }) : t('memo.clarify.hint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!q.value.trim()) { failed(form, { field: 'question' }, t('memo.clarify.empty')); return; }
    bar.submit(form, () => post(`${M(m.id)}/clarify`, { question: q.value.trim() }), t('memo.clarify.sent'), btn);
  });
  return form;
}

// New facts after the answer: a new draft, linked to this closed memo; the editor opens on it.
function addendumForm(m) {
  const body = h('textarea', { rows: 6, 'data-field': 'body', id: 'addendum-body' });
  const btn = h('button', { type: 'submit' }, t('memo.addendum.start'));
  const form = h('form', { 'aria-label': t('memo.addendum.title'), novalidate: true },
    field(t('memo.addendum.label'), body, t('memo.addendum.hint')),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, t('memo.addendum.empty')); return; }
    btn.disabled = true;
    try {
      const a = await post(`${M(m.id)}/addendum`, { body: body.value });
      go(`#/memo/${a.id}/edit`, t('memo.addendum.started'));
    } catch (e) {
      btn.disabled = false;
      if (e.code === 'unauthorized') fail(e); else failed(form, e);
    }
  });
  return form;
}

function staffActions(m, bar) {
  const id = m.id;
  const mine = (m.my_signature || {}).status;
  if (can(m, 'edit')) bar.add(h('a', { class: 'button', href: `#/memo/${id}/edit` }, t('memo.edit')));
  if (can(m, 'sign')) bar.button(t('memo.sign.button'), { fn: () => post(`${M(id)}/signatures`), done: t('memo.sign.done') });
  if (can(m, 'unsign')) {
    bar.button(t('memo.unsign.button'), {
      cls: 'secondary', fn: () => api('DELETE', `${M(id)}/signatures/me`), done: t('memo.unsign.done'), leave: '#/memos',
      confirm: { title: t('memo.unsign.title'), confirm: t('memo.unsign.button'), danger: true,
        text: [t('memo.unsign.removed'), t('memo.unsign.leave')] },
    });
  }
  if (can(m, 'decline-invitation')) {
    bar.button(t('memo.decline.button'), {
      cls: 'secondary', fn: () => api('DELETE', `${M(id)}/invitations/me`), done: t('memo.decline.done'), leave: '#/memos',
      confirm: { title: t('memo.decline.title'), confirm: t('memo.decline.button'), danger: true,
        text: [t('memo.decline.after'), mine === 'signed' ? t('memo.decline.signed') : null, t('memo.decline.seen')] },
    });
  }
  if (can(m, 'file')) {
    const waiting = (m.invitations || []).filter((x) => x.status === 'invited').length;
    bar.button(t('memo.file.button'), {
      fn: () => post(`${M(id)}/file`), done: t('memo.file.done'),
      confirm: { title: t('memo.file.title'), confirm: t('memo.file.confirm'),
        text: [t('memo.file.signatures', { count: m.signer_count }),
          waiting ? t('memo.file.waiting', { count: waiting }) : null,
          t('memo.file.next')] },
    });
  }
  if (can(m, 'reopen')) {
    bar.button(t('memo.reopen.button'), {
      cls: 'secondary', fn: (reason) => post(`${M(id)}/reopen`, reason ? { reason } : undefined),
      done: t('memo.reopen.done'),
      confirm: { title: t('memo.reopen.title'), confirm: t('memo.reopen.confirm'), danger: true,
        text: [t('memo.reopen.draft'), t('memo.reopen.voids', { count: m.signer_count })],
        input: { label: t('memo.reopen.reason'), hint: t('memo.reopen.reasonHint'), multiline: true } },
    });
  }
  if (can(m, 'invite')) {
    bar.expand(t('memo.invite.button'), () => namesForm(bar, {
      heading: t('memo.invite.button'), label: t('memo.invite.label'), submit: t('memo.invite.submit'), role: 'staff', id: `invite-${id}`,
      hint: t('memo.invite.hint'),
      send: (list) => post(`${M(id)}/invitations`, { usernames: list }), msg: t('memo.invite.sent'),
    }), { id: 'open-invite' });
  }
  // participants an administrator's reset cut off: a current reader shares the draft again
  for (const name of can(m, 'reshare') ? m.reshare_needed || [] : []) {
    bar.button(t('memo.reshare.button', { name: nameOf(name) }), {
      cls: 'secondary', fn: () => post(`${M(id)}/reshare`, { username: name }),
      done: t('memo.reshare.done', { name: nameOf(name) }),
      confirm: { title: t('memo.reshare.title', { name: nameOf(name) }), confirm: t('memo.reshare.confirm'),
        text: [t('memo.reshare.reset', { name: nameOf(name) }), t('memo.reshare.check')] },
    });
  }
  if (can(m, 'accept')) {
    bar.button(t('memo.accept.button'), {
      fn: () => post(`${M(id)}/accept`), done: t('memo.accept.done'),
      confirm: { title: t('memo.accept.title'), confirm: t('memo.accept.button'),
        text: [t('memo.accept.final'),
          m.accept_until ? t('memo.accept.until', { date: day(m.accept_until) }) : null] },
    });
  }
  if (can(m, 'clarify')) bar.expand(t('memo.clarify.title'), () => clarifyForm(m, bar), { id: 'open-clarify' });
  if (can(m, 'addendum')) bar.expand(t('memo.addendum.title'), () => addendumForm(m), { id: 'open-addendum' });
  if (can(m, 'withdraw')) {
    bar.button(t('memo.withdraw.button'), {
      cls: 'danger', fn: () => post(`${M(id)}/withdraw`), done: t('memo.withdraw.done'),
      confirm: { title: t('memo.withdraw.title'), confirm: t('memo.withdraw.button'), danger: true,
        text: [t('memo.withdraw.final'), t('memo.withdraw.log')] },
    });
  }
  if (can(m, 'delete')) {
    const others = (m.invitations || []).length;
    bar.button(m.state === 'draft' ? t('memo.delete.draft') : t('memo.delete.memo'), {
      cls: 'danger', id: 'delete-memo', fn: () => api('DELETE', M(id), undefined, { 'If-Match': `"${m.version}"` }),
      done: t('memo.delete.done'), leave: '#/memos',
      confirm: { title: t('memo.delete.title'), confirm: t('memo.delete.confirm'), danger: true,
        text: [t('memo.delete.gone'),
          others ? t('memo.delete.invited', { count: others }) : null,
          t('memo.delete.neverFiled')] },
    });
  }
  if (can(m, 'receipt')) {
    const b = h('button', { type: 'button', class: 'secondary' }, t('memo.receipt'));
    b.addEventListener('click', () => download(id).catch((e) => failed(bar.area, e)));
    bar.add(b);
  }
}

// Who sees the signers' names, in words.
function namesNote(m) {
  const rel = m.relation || {};
  if (rel.principal && !rel.drafter && !rel.invited && !rel.officer) {
    return m.show_signer_names ? null : h('p', {}, t('memo.signerNames.count', { count: m.signer_count }));
  }
  return h('p', { class: 'note', id: 'names-note' }, m.show_signer_names
    ? t('memo.signerNames.shown')
    : t('memo.signerNames.hidden'));
}

function signerSection(m) {
  const rel = m.relation || {};
  const out = [h('h2', { id: 'h-signers' }, t('memo.signers.title', { count: m.signer_count }))];
  if (m.signers) {
    out.push(m.signers.length ? h('ul', {}, m.signers.map((x) => h('li', {}, t('memo.signers.item', { name: x.display_name || x.username, username: x.username, time: when(x.signed_at) })))) : h('p', { class: 'muted' }, t('memo.signers.none')));
  }
  out.push(namesNote(m));
  if (m.invitations && (rel.drafter || rel.officer)) {
    const word = (x) => badge(INVITE_WORDS.has(x.status) ? t(`memo.invitations.status.${x.status}`) : x.status, x.status === 'signed' ? 'ok' : 'state');
    out.push(h('h3', {}, t('memo.invitations.title')),
      m.invitations.length ? h('ul', {}, m.invitations.map((x) => h('li', {}, parts('memo.invitations.item', { name: text(x.display_name || x.username), username: text(x.username), status: word(x) })))) : h('p', { class: 'muted' }, t('memo.invitations.none')));
  }
  if (m.distributed_to) {
    out.push(h('h3', {}, t('memo.distributed.title')), m.distributed_to.length ? h('ul', {}, m.distributed_to.map((x) => h('li', {}, typeof x === 'string' ? (nameOf(x) !== x ? `${nameOf(x)} (${x})` : x) : `${x.display_name || x.username} (${x.username})`))) : h('p', { class: 'muted' }, t('memo.distributed.none')));
  }
  return h('section', { 'aria-labelledby': 'h-signers' }, out);
}

// The memo page; @note.done / @note.error: a message to show by the action bar (after an action).
// The memo's channel, when the organisation runs several (docs/channels.md): its name.
function channelLine(m, chans) {
  if (chans.length < 2) return null;
  const c = chans.find((x) => x.number === m.channel);
  return h('p', { id: 'memo-channel' }, h('strong', {}, `${t('memo.channel')} `), c ? (c.name || c.slug) : String(m.channel));
}

export async function memoPage(id, note = {}) {
  const [m, { channels: chans }] = await Promise.all([get(M(id)), get('/api/v1/channels')]);
  learnNames(m);
  await lookUpNames([...(m.timeline || []).map((e) => e.by), ...(m.distributed_to || []).filter((x) => typeof x === 'string')].filter(Boolean));
  const rel = m.relation || {};
  const bodyEl = h('div', { class: 'memo-body', id: 'memo-text' });
  const comments = h('div', { id: 'comments' });
  const auditEl = h('div', { id: 'audit' }, h('p', { class: 'muted' }, t('memo.loading')));
  const redraw = async (n) => {
    try {
      await memoPage(id, n);
    } catch (e) {
      page(t('memo.notShown'), h('p', { class: 'error-msg', role: 'alert' }, sentence(e)),
        h('p', {}, h('a', { href: '#/' }, t('page.home'))));
    }
  };
  const bar = actionBar({ redraw });
  staffActions(m, bar);
  if (rel.officer) officerActions(m, bar);
  if (rel.officer) reviewActions(m, bar);
  if (rel.recused) bar.area.append(h('p', { class: 'note', id: 'recused-note' }, t('memo.recused')));
  if (bar.empty) bar.area.append(h('p', { class: 'muted' }, t('memo.nothingToDo')));
  const showBar = !bar.empty || rel.recused || note.done || note.error || shownFor(id) !== null;
  const content = [
    statusHeader(m),
    channelLine(m, chans),
    (m.state === 'open' && (rel.drafter || rel.invited)) ? signingPanel(m) : null,
    showBar ? bar.el : null,
    h('h2', {}, m.state !== 'draft' ? t('memo.text.frozen') : t('memo.text.draft')), bodyEl,
    h('details', {}, h('summary', {}, t('memo.text.source')), h('pre', { id: 'memo-source' }, m.body || '')),
    filesSection(m),
    h('p', { class: 'record-copy no-print', id: 'record-copy' }, parts('memo.record.line', {
      pdf: h('a', { href: `${M(id)}/record.pdf`, download: `dissent-memo-${id}.pdf`, id: 'record-pdf' }, t('memo.record.pdf')),
      print: h('button', { type: 'button', class: 'secondary', id: 'print-memo', onclick: () => window.print() }, t('memo.record.print')),
    })),
    signerSection(m),
  ];
  if (m.decline_reason) {
    const ref = m.referral && REFERRALS.find(([v]) => v === m.referral.to);
    content.push(h('section', { 'aria-labelledby': 'h-declined' }, h('h2', { id: 'h-declined' }, t('memo.declined.title')),
      h('p', { id: 'decline-reason' }, m.decline_reason),
      ref ? h('p', { id: 'decline-referral' }, h('strong', {}, `${t('memo.declined.referredTo')} `),
        m.referral.to === 'other' ? m.referral.note : ref[1],
        m.referral.to !== 'other' && m.referral.note ? ` (${m.referral.note})` : '') : null));
  }
  if (m.reply) {
    const rb = h('div', { class: 'memo-body', id: 'reply-text' });
    const ap = m.reply.approved_by;
    content.push(h('section', { 'aria-labelledby': 'h-reply' }, h('h2', { id: 'h-reply' }, t('memo.reply.title')), rb,
      ap ? h('p', { id: 'reply-approved' }, t('memo.reply.approved', { name: nameOf(ap.username) !== ap.username ? `${nameOf(ap.username)} (${ap.username})` : ap.username })) : null,
      h('details', {}, h('summary', {}, t('memo.reply.note')), h('pre', {}, m.reply.note || ''))));
    renderInto(rb, m.reply.body);
  }
  if (m.internal) content.push(internalSection(m));
  content.push(h('section', { 'aria-labelledby': 'h-timeline' }, h('h2', { id: 'h-timeline' }, t('memo.timeline')), timelineList(m)));
  content.push(h('section', { 'aria-labelledby': 'h-comments' }, h('h2', { id: 'h-comments' }, t('memo.comments.title')), comments));
  if (rel.drafter || rel.officer) content.push(h('section', { 'aria-labelledby': 'h-audit' }, h('h2', { id: 'h-audit' }, t('memo.readers')), auditEl));
  page(m.title === null ? t('memo.untitled') : m.title, content);
  if (note.error) failed(bar.area, note.error);
  else if (note.done) done(bar.area, note.done);
  else if (shownFor(id) !== null) done(bar.area, shownFor(id));
  clearShown();
  renderInto(bodyEl, m.body);
  loadComments(m, comments);
  if (rel.drafter || rel.officer) loadReaders(id, auditEl);
}

// Who reads a comment: everyone who can read the memo, now and later.
function commentReaders(m) {
  if (m.state === 'draft' || m.state === 'open') {
    return t('memo.comments.readersBefore');
  }
  return t('memo.comments.readers');
}

async function loadComments(m, el, msg = null) {
  const id = m.id;
  let r;
  try {
    r = await get(`${M(id)}/comments`);
  } catch (e) {
    clear(el).append(h('p', { class: 'error-msg' }, sentence(e)));
    return;
  }
  const list = r.comments.length ? h('div', {}, r.comments.map((c) => h('div', { class: 'comment' },
    h('p', { class: 'muted' }, `${c.author ? nameOf(c.author) : t('memo.comments.signer')} · ${when(c.at)}`), h('p', { class: 'comment-body' }, c.body))))
    : h('p', { class: 'muted' }, t('memo.comments.none'));
  if (!can(m, 'comment')) {
    clear(el).append(list, h('p', { class: 'muted', id: 'comments-closed' }, STATES.has(m.state) ? t(`memo.comments.closed.${m.state}`) : t('memo.comments.closedOther', { state: m.state })));
    return;
  }
  const input = h('textarea', { rows: 4, 'data-field': 'body', id: 'comment-body' });
  const btn = h('button', { type: 'submit' }, t('memo.comments.post'));
  const form = h('form', { 'aria-label': t('memo.comments.add') }, field(t('memo.comments.label'), input, commentReaders(m)), h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) { failed(form, { field: 'body' }, t('memo.comments.empty')); return; }
    btn.disabled = true;
    try {
      await post(`${M(id)}/comments`, { body: input.value });
    } catch (e) {
      btn.disabled = false;
      failed(form, e);
      return;
    }
    await loadComments(m, el, t('memo.comments.posted'));
  });
  clear(el).append(list, form);
  if (msg) done(form, msg);
}

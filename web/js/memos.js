// The memo page every reader shares (staff, officers, principals): where it stands and what
// happens next, one action bar with what the reader may do, the frozen text, signers, the reply,
// the timeline, comments and who read it. The editor is in editor.js, the officer's actions in
// officer.js.
import { api, get, post } from './api.js';
import { h, field, clear, when, badge } from './dom.js';
import { app, page, go, fail } from './shell.js';
import { sentence } from './errors.js';
import { officerActions, REFERRALS } from './officer.js';
import { reviewActions, internalSection } from './review.js';
import { actionBar, done, failed } from './actionbar.js';
import { statusHeader, timelineList, learnNames, lookUpNames, nameOf } from './memo-status.js';
import { loadReaders } from './readers.js';
import { filesSection } from './files.js';
import { M, renderInto, namesForm, shownFor, clearShown, can } from './memo-common.js';

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
  const words = { signed: 'signed', voided: 'voided by a reopening', none: 'not signed yet', declined: 'you declined the invitation' };
  return h('section', { class: 'panel signing-panel', 'aria-labelledby': 'h-sign' },
    h('h2', { id: 'h-sign' }, 'Signing'),
    h('p', {}, 'A signature covers exactly the frozen text below, identified by its digest:'),
    h('p', { class: 'mono digest', id: 'sign-digest' }, m.digest || '—'),
    h('p', {}, 'Your signature: ', badge(words[status] || status, status === 'signed' ? 'ok' : 'state'),
      my.reason && status === 'voided' ? ` — voided because: ${my.reason}` : ''));
}

// The drafter's question after the reply: the reply step again, with its own deadline.
function clarifyForm(m, bar) {
  const q = h('textarea', { rows: 4, maxlength: 2000, 'data-field': 'question', id: 'clarify-question' });
  const btn = h('button', { type: 'submit' }, 'Send the question');
  const form = h('form', { 'aria-label': 'Ask for clarification', novalidate: true },
    field('What needs clarifying (the officers read it)', q, `At most 2000 characters${m.accept_until ? `, until ${m.accept_until}` : ''}. The officers must answer within the channel's deadline; the current reply stays in the timeline.`),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!q.value.trim()) { failed(form, { field: 'question' }, 'Write your question first: it is empty.'); return; }
    bar.submit(form, () => post(`${M(m.id)}/clarify`, { question: q.value.trim() }), 'Your question was sent. The reply step starts again, with a new deadline shown above.', btn);
  });
  return form;
}

// New facts after the answer: a new draft, linked to this closed memo; the editor opens on it.
function addendumForm(m) {
  const body = h('textarea', { rows: 6, 'data-field': 'body', id: 'addendum-body' });
  const btn = h('button', { type: 'submit' }, 'Start the addendum');
  const form = h('form', { 'aria-label': 'Write an addendum', novalidate: true },
    field('The new facts', body, 'A new memo, linked to this one: you edit, sign and file it as any other, and the channel answers it with its own deadlines.'),
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!body.value.trim()) { failed(form, { field: 'body' }, 'Write the new facts first: it is empty.'); return; }
    btn.disabled = true;
    try {
      const a = await post(`${M(m.id)}/addendum`, { body: body.value });
      go(`#/memo/${a.id}/edit`, 'The addendum is a draft: give it a title, then sign and file it.');
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
  if (can(m, 'edit')) bar.add(h('a', { class: 'button', href: `#/memo/${id}/edit` }, 'Edit the draft'));
  if (can(m, 'sign')) bar.button('Sign this memo', { fn: () => post(`${M(id)}/signatures`), done: 'Signed. Your signature covers the frozen text shown below.' });
  if (can(m, 'unsign')) {
    bar.button('Withdraw my signature', {
      cls: 'secondary', fn: () => api('DELETE', `${M(id)}/signatures/me`), done: 'Your signature is withdrawn, and the memo is no longer shared with you.', leave: '#/memos',
      confirm: { title: 'Withdraw your signature?', confirm: 'Withdraw my signature', danger: true,
        text: ['Your signature is removed from this memo: it will not count, and the drafter sees that you withdrew.',
          'You also leave the memo: you will no longer be able to read it or see who signed it, unless the drafter invites you again.'] },
    });
  }
  if (can(m, 'decline-invitation')) {
    bar.button('Decline the invitation', {
      cls: 'secondary', fn: () => api('DELETE', `${M(id)}/invitations/me`), done: 'You declined the invitation. The memo is no longer shared with you.', leave: '#/memos',
      confirm: { title: 'Decline the invitation?', confirm: 'Decline the invitation', danger: true,
        text: ['You will not be able to sign or read this memo afterwards, unless the drafter invites you again.', mine === 'signed' ? 'Your signature is withdrawn.' : null, 'The drafter sees that you declined.'] },
    });
  }
  if (can(m, 'file')) {
    const waiting = (m.invitations || []).filter((x) => x.status === 'invited').length;
    bar.button('File with the channel', {
      fn: () => post(`${M(id)}/file`), done: 'Filed. The officers\' deadlines have started; download your filing receipt and keep it.',
      confirm: { title: 'File this memo with the channel?', confirm: 'File the memo',
        text: [`It goes to the channel's officers with ${m.signer_count} signature${m.signer_count === 1 ? '' : 's'}; the text and the signatures can no longer change.`,
          waiting ? `${waiting} invited co-signer${waiting === 1 ? ' has' : 's have'} not signed yet and will not be able to sign afterwards.` : null,
          'The officers must then acknowledge it and reply within the channel\'s deadlines; the filing is recorded in the public log (without its text or names).'] },
    });
  }
  if (can(m, 'reopen')) {
    bar.button('Reopen for editing', {
      cls: 'secondary', fn: (reason) => post(`${M(id)}/reopen`, reason ? { reason } : undefined),
      done: 'Reopened as a draft. Every signature is void: everyone must sign again after you finalize.',
      confirm: { title: 'Reopen the memo for editing?', confirm: 'Reopen and void the signatures', danger: true,
        text: ['The memo becomes a draft again so that you can change its text.',
          `This voids every signature collected so far (${m.signer_count}), yours included: everyone has to sign again.`],
        input: { label: 'Reason (shown to the co-signers)', hint: 'Optional, at most 2000 characters.', multiline: true } },
    });
  }
  if (can(m, 'invite')) {
    bar.expand('Invite co-signers', () => namesForm(bar, {
      heading: 'Invite co-signers', label: 'Usernames', submit: 'Send the invitations', role: 'staff', id: `invite-${id}`,
      hint: 'Your colleagues\' usernames, separated by commas or spaces; type two letters of a name for suggestions.',
      send: (list) => post(`${M(id)}/invitations`, { usernames: list }), msg: 'Invitations sent.',
    }), { id: 'open-invite' });
  }
  // participants an administrator's reset cut off: a current reader shares the draft again
  for (const name of can(m, 'reshare') ? m.reshare_needed || [] : []) {
    bar.button(`Share again with ${nameOf(name)}`, {
      cls: 'secondary', fn: () => post(`${M(id)}/reshare`, { username: name }),
      done: `${nameOf(name)} can read this memo again.`,
      confirm: { title: `Share this memo again with ${nameOf(name)}?`, confirm: 'Share it again',
        text: [`${nameOf(name)}'s account was reset by an administrator, so the key to this memo they held is gone.`,
          'Share it again only if you know the account is really theirs now: ask them in person or by phone. Whoever holds the account reads the memo.'] },
    });
  }
  if (can(m, 'accept')) {
    bar.button('Accept the reply', {
      fn: () => post(`${M(id)}/accept`), done: 'You accepted the reply: the memo is closed.',
      confirm: { title: 'Accept the reply?', confirm: 'Accept the reply',
        text: ['The memo closes: the channel has answered it. This is final.',
          m.accept_until ? `Otherwise it closes by itself after ${m.accept_until}, unless you ask for clarification first.` : null] },
    });
  }
  if (can(m, 'clarify')) bar.expand('Ask for clarification', () => clarifyForm(m, bar), { id: 'open-clarify' });
  if (can(m, 'addendum')) bar.expand('Write an addendum', () => addendumForm(m), { id: 'open-addendum' });
  if (can(m, 'withdraw')) {
    bar.button('Withdraw the memo', {
      cls: 'danger', fn: () => post(`${M(id)}/withdraw`), done: 'The memo is withdrawn.',
      confirm: { title: 'Withdraw the memo?', confirm: 'Withdraw the memo', danger: true,
        text: ['The officers stop handling it and its deadlines no longer apply. This is final: it cannot be filed again.',
          'The withdrawal is recorded in the public log (without its text or names); the memo stays readable for those who could read it.'] },
    });
  }
  if (can(m, 'delete')) {
    const others = (m.invitations || []).length;
    bar.button(m.state === 'draft' ? 'Delete the draft' : 'Delete the memo', {
      cls: 'danger', id: 'delete-memo', fn: () => api('DELETE', M(id), undefined, { 'If-Match': `"${m.version}"` }),
      done: 'Deleted. Nobody can read it any more.', leave: '#/memos',
      confirm: { title: 'Delete this memo for good?', confirm: 'Delete it for good', danger: true,
        text: ['Its text, its signatures and its comments are deleted and its key is destroyed: nobody can read it again, you included. This cannot be undone.',
          others ? `The ${others === 1 ? 'colleague' : `${others} colleagues`} you invited lose${others === 1 ? 's' : ''} it as well.` : null,
          'It was never filed, so the channel\'s officers and the public log never knew of it.'] },
    });
  }
  if (can(m, 'receipt')) {
    const b = h('button', { type: 'button', class: 'secondary' }, 'Download the filing receipt');
    b.addEventListener('click', () => download(id).catch((e) => failed(bar.area, e)));
    bar.add(b);
  }
}

// Who sees the signers' names, in words.
function namesNote(m) {
  const rel = m.relation || {};
  if (rel.principal && !rel.drafter && !rel.invited && !rel.officer) {
    return m.show_signer_names ? null : h('p', {}, `${m.signer_count} signer${m.signer_count === 1 ? '' : 's'}; the drafter chose not to show their names to principals.`);
  }
  return h('p', { class: 'note', id: 'names-note' }, m.show_signer_names
    ? 'Principals who receive this memo see the signers\' names. Officers always see them.'
    : 'Principals who receive this memo see only the number of signers, not their names (the drafter\'s choice). Officers always see the names.');
}

function signerSection(m) {
  const rel = m.relation || {};
  const out = [h('h2', { id: 'h-signers' }, `Signers (${m.signer_count})`)];
  if (m.signers) {
    out.push(m.signers.length ? h('ul', {}, m.signers.map((x) => h('li', {}, `${x.display_name || x.username} (${x.username}), signed ${when(x.signed_at)}`))) : h('p', { class: 'muted' }, 'No signatures yet.'));
  }
  out.push(namesNote(m));
  if (m.invitations && (rel.drafter || rel.officer)) {
    const words = { signed: 'signed', invited: 'not signed yet', declined: 'declined' };
    out.push(h('h3', {}, 'Invited co-signers'),
      m.invitations.length ? h('ul', {}, m.invitations.map((x) => h('li', {}, `${x.display_name || x.username} (${x.username}): `, badge(words[x.status] || x.status, x.status === 'signed' ? 'ok' : 'state')))) : h('p', { class: 'muted' }, 'Nobody invited yet.'));
  }
  if (m.distributed_to) {
    out.push(h('h3', {}, 'Distributed to'), m.distributed_to.length ? h('ul', {}, m.distributed_to.map((x) => h('li', {}, typeof x === 'string' ? (nameOf(x) !== x ? `${nameOf(x)} (${x})` : x) : `${x.display_name || x.username} (${x.username})`))) : h('p', { class: 'muted' }, 'Nobody yet.'));
  }
  return h('section', { 'aria-labelledby': 'h-signers' }, out);
}

// The memo page; @note.done / @note.error: a message to show by the action bar (after an action).
export async function memoPage(id, note = {}) {
  const m = await get(M(id));
  learnNames(m);
  await lookUpNames([...(m.timeline || []).map((e) => e.by), ...(m.distributed_to || []).filter((x) => typeof x === 'string')].filter(Boolean));
  const rel = m.relation || {};
  const bodyEl = h('div', { class: 'memo-body', id: 'memo-text' });
  const comments = h('div', { id: 'comments' });
  const auditEl = h('div', { id: 'audit' }, h('p', { class: 'muted' }, 'Loading…'));
  const redraw = async (n) => {
    try {
      await memoPage(id, n);
    } catch (e) {
      page('This memo could not be shown', h('p', { class: 'error-msg', role: 'alert' }, sentence(e)),
        h('p', {}, h('a', { href: '#/' }, 'Go to your start page')));
    }
  };
  const bar = actionBar({ redraw });
  staffActions(m, bar);
  if (rel.officer) officerActions(m, bar);
  if (rel.officer) reviewActions(m, bar);
  if (rel.recused) bar.area.append(h('p', { class: 'note', id: 'recused-note' }, 'You drafted this memo or were invited to co-sign it, so as an officer you are recused from it: another officer acknowledges and answers it.'));
  if (bar.empty) bar.area.append(h('p', { class: 'muted' }, 'There is nothing for you to do on this memo now.'));
  const showBar = !bar.empty || rel.recused || note.done || note.error || shownFor(id) !== null;
  const content = [
    statusHeader(m),
    (m.state === 'open' && (rel.drafter || rel.invited)) ? signingPanel(m) : null,
    showBar ? bar.el : null,
    h('h2', {}, m.state !== 'draft' ? 'Frozen text' : 'Text (draft)'), bodyEl,
    h('details', {}, h('summary', {}, 'Show the CommonMark source'), h('pre', { id: 'memo-source' }, m.body || '')),
    filesSection(m),
    h('p', { class: 'record-copy no-print', id: 'record-copy' },
      h('a', { href: `${M(id)}/record.pdf`, download: `dissent-memo-${id}.pdf`, id: 'record-pdf' }, 'Record copy (PDF)'),
      ' — the memo as the records keep it: text, files, signers, deadlines, reply, and its digest. ',
      h('button', { type: 'button', class: 'secondary', id: 'print-memo', onclick: () => window.print() }, 'Print this page')),
    signerSection(m),
  ];
  if (m.decline_reason) {
    const ref = m.referral && REFERRALS.find(([v]) => v === m.referral.to);
    content.push(h('section', { 'aria-labelledby': 'h-declined' }, h('h2', { id: 'h-declined' }, 'Why it was declined'),
      h('p', { id: 'decline-reason' }, m.decline_reason),
      ref ? h('p', { id: 'decline-referral' }, h('strong', {}, 'Referred to: '),
        m.referral.to === 'other' ? m.referral.note : ref[1],
        m.referral.to !== 'other' && m.referral.note ? ` (${m.referral.note})` : '') : null));
  }
  if (m.reply) {
    const rb = h('div', { class: 'memo-body', id: 'reply-text' });
    const ap = m.reply.approved_by;
    content.push(h('section', { 'aria-labelledby': 'h-reply' }, h('h2', { id: 'h-reply' }, 'The channel\'s reply'), rb,
      ap ? h('p', { id: 'reply-approved' }, `Approved and signed by the channel's head, ${nameOf(ap.username) !== ap.username ? `${nameOf(ap.username)} (${ap.username})` : ap.username}.`) : null,
      h('details', {}, h('summary', {}, 'Signed note binding the reply to this memo'), h('pre', {}, m.reply.note || ''))));
    renderInto(rb, m.reply.body);
  }
  if (m.internal) content.push(internalSection(m));
  content.push(h('section', { 'aria-labelledby': 'h-timeline' }, h('h2', { id: 'h-timeline' }, 'Timeline'), timelineList(m)));
  content.push(h('section', { 'aria-labelledby': 'h-comments' }, h('h2', { id: 'h-comments' }, 'Comments'), comments));
  if (rel.drafter || rel.officer) content.push(h('section', { 'aria-labelledby': 'h-audit' }, h('h2', { id: 'h-audit' }, 'Who read it'), auditEl));
  page(m.title === null ? 'Memo' : m.title, content);
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
    return 'Everyone who can read this memo reads its comments: the drafter and the invited co-signers now, and once it is filed also the channel\'s officers and the principals it is distributed to.';
  }
  return 'Everyone who can read this memo reads its comments: the drafter, the invited co-signers, the channel\'s officers and the principals it is distributed to (also those it is distributed to later).';
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
    h('p', { class: 'muted' }, `${c.author ? nameOf(c.author) : 'A signer'} · ${when(c.at)}`), h('p', { class: 'comment-body' }, c.body))))
    : h('p', { class: 'muted' }, 'No comments yet.');
  if (!can(m, 'comment')) {
    clear(el).append(list, h('p', { class: 'muted', id: 'comments-closed' }, `No new comments: the memo is ${m.state === 'closed' ? 'closed' : m.state}.`));
    return;
  }
  const input = h('textarea', { rows: 4, 'data-field': 'body', id: 'comment-body' });
  const btn = h('button', { type: 'submit' }, 'Post comment');
  const form = h('form', { 'aria-label': 'Add a comment' }, field('Your comment', input, commentReaders(m)), h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!input.value.trim()) { failed(form, { field: 'body' }, 'Write your comment first: it is empty.'); return; }
    btn.disabled = true;
    try {
      await post(`${M(id)}/comments`, { body: input.value });
    } catch (e) {
      btn.disabled = false;
      failed(form, e);
      return;
    }
    await loadComments(m, el, 'Comment posted.');
  });
  clear(el).append(list, form);
  if (msg) done(form, msg);
}

// Staff and principals: my memos, the editor (preview, autosave, finalize), invitations,
// signing, filing and the receipt; and the memo page every reader shares (officers included).
import { api, get, post } from './api.js';
import { h, field, check, clear, when, badge, table, suggest } from './dom.js';
import { page, fail, flash, go, has } from './app.js';
import { officerActions } from './officer.js';

const STATE_TEXT = {
  draft: 'Draft', open: 'Open for signature', filed: 'Filed', acknowledged: 'Acknowledged',
  replied: 'Replied', closed: 'Closed', declined: 'Declined', withdrawn: 'Withdrawn',
};
export const stateBadge = (s) => badge(STATE_TEXT[s] || s, 'state');
const M = (id) => `/api/v1/memos/${encodeURIComponent(id)}`;

// One deadline ({due, done_on, working_days_left, overdue, on_time}) as text and a badge.
export function deadline(d) {
  if (!d || !d.due) return '—';
  if (d.done_on) {
    const late = d.on_time === false;
    return h('span', {}, `done ${d.done_on} `, badge(late ? 'late' : 'on time', late ? 'overdue' : 'ok'));
  }
  const left = d.working_days_left;
  const over = d.overdue === true || (typeof left === 'number' && left < 0);
  if (over) return h('span', {}, `due ${d.due} `, badge(`overdue by ${Math.abs(left)} working day${Math.abs(left) === 1 ? '' : 's'}`, 'overdue'));
  if (typeof left === 'number' && left <= 2) return h('span', {}, `due ${d.due} `, badge(`due soon: ${left} working day${left === 1 ? '' : 's'} left`, 'soon'));
  return h('span', {}, `due ${d.due}`, typeof left === 'number' ? h('span', { class: 'muted' }, ` (${left} working days left)`) : '');
}

// CommonMark rendered by the server (cmark, safe mode) into @target.
export async function renderInto(target, source) {
  clear(target);
  if (!source) { target.append(h('p', { class: 'muted' }, '(empty)')); return; }
  try {
    const r = await post('/api/v1/preview', { body: source });
    target.innerHTML = r.html; // cmark safe mode: no raw HTML, no unsafe links
  } catch (e) {
    target.append(h('pre', {}, source));
  }
}

export function newMemo() {
  const title = h('input', { type: 'text', required: true, maxlength: 300 });
  const body = h('textarea', { rows: 14 });
  const form = h('form', { 'aria-label': 'New memo' },
    field('Title', title, 'One line, up to 300 characters.'),
    field('Text (CommonMark)', body, 'You can keep editing after creating the draft; it is saved as you type.'),
    h('button', { type: 'submit' }, 'Create draft'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const m = await post('/api/v1/memos', { title: title.value, body: body.value });
      go(`#/memo/${m.id}/edit`, 'Draft created.');
    } catch (e) { fail(e); }
  });
  page('New memo', h('p', {}, 'Only you can read a draft. Officers see it only once you file it.'), form);
}

export async function editor(id) {
  const r = await api('GET', M(id));
  const memo = r.data;
  if (memo.state !== 'draft') { go(`#/memo/${id}`); return; }
  let version = memo.version;
  let timer = null;
  let saving = null;
  let dirty = false;
  const title = h('input', { type: 'text', required: true, maxlength: 300, value: memo.title || '' });
  const body = h('textarea', { rows: 18, value: memo.body || '' });
  const names = h('input', { type: 'checkbox', checked: memo.show_signer_names });
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'save-status' }, `Version ${version}, saved.`);
  const preview = h('div', { class: 'memo-body', id: 'preview', 'aria-live': 'polite' });

  async function save() {
    if (saving) { await saving; if (!dirty) return; }
    clearTimeout(timer);
    dirty = false;
    status.textContent = 'Saving…';
    saving = (async () => {
      try {
        const res = await api('PATCH', M(id), { title: title.value, body: body.value, show_signer_names: names.checked }, { 'If-Match': `"${version}"` });
        version = res.data.version;
        status.textContent = `Saved at ${new Date().toTimeString().slice(0, 8)} (version ${version}).`;
      } catch (e) {
        dirty = true;
        status.textContent = e.code === 'version_mismatch'
          ? 'Not saved: this draft was changed elsewhere. Reload the page to get the newest version.'
          : `Not saved: ${e.message}`;
        throw e;
      } finally {
        saving = null;
      }
    })();
    return saving;
  }
  const changed = () => { dirty = true; status.textContent = 'Unsaved changes…'; clearTimeout(timer); timer = setTimeout(() => save().catch(() => {}), 1200); };
  for (const el of [title, body]) el.addEventListener('input', changed);
  names.addEventListener('change', changed);
  const saveBtn = h('button', { type: 'button', class: 'secondary', onclick: () => save().catch(fail) }, 'Save now');
  const prevBtn = h('button', { type: 'button', class: 'secondary', onclick: () => renderInto(preview, body.value) }, 'Preview');
  const finBtn = h('button', { type: 'button', onclick: async () => {
    try {
      if (dirty || saving) await save();
      await post(`${M(id)}/finalize`);
      go(`#/memo/${id}`, 'Finalized: the text is frozen. Sign it, then invite co-signers.');
    } catch (e) { fail(e); }
  } }, 'Finalize');
  page('Edit draft',
    h('p', {}, stateBadge('draft'), ' Changes are saved automatically. Finalizing freezes the text so co-signers sign exactly what you wrote.'),
    h('form', { 'aria-label': 'Draft', onsubmit: (ev) => ev.preventDefault() },
      field('Title', title),
      field('Text (CommonMark)', body, 'Headings with #, emphasis with *stars*, lists with - or 1.'),
      check('Show signers\' names to the principals who receive the memo', names),
      status,
      h('div', { class: 'actions' }, prevBtn, saveBtn, finBtn)),
    h('section', { 'aria-labelledby': 'h-preview' }, h('h2', { id: 'h-preview' }, 'Preview'), preview));
  renderInto(preview, body.value);
}

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

// A button running @fn, then showing @msg and the memo again.
export function action(id, label, fn, msg, cls) {
  return h('button', { type: 'button', class: cls, onclick: async (ev) => {
    ev.target.disabled = true;
    try {
      await fn();
      await memoPage(id);
      flash(msg, true);
    } catch (e) { fail(e); ev.target.disabled = false; }
  } }, label);
}

// A small form with a text input (or textarea) posting to @path.
export function textForm(id, { label, heading, input, submit, hint, send, msg, extra }) {
  const form = h('form', { 'aria-label': heading }, h('h3', {}, heading), field(label, input, hint), h('button', { type: 'submit' }, submit));
  if (extra) form.append(extra);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await send(input.value);
      await memoPage(id);
      flash(msg, true);
    } catch (e) { fail(e); }
  });
  return form;
}

const names = (s) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

// Colleagues holding @role whose username starts with, or name contains, @q.
export const findColleagues = (q, role) =>
  get(`/api/v1/users/search?role=${role}&q=${encodeURIComponent(q)}`).then((r) => r.users);

function signerSection(m) {
  const rel = m.relation || {};
  const out = [];
  if (m.signers) {
    out.push(h('h3', {}, `Signers (${m.signer_count})`),
      m.signers.length ? h('ul', {}, m.signers.map((x) => h('li', {}, `${x.display_name || x.username} (${x.username}), signed ${when(x.signed_at)}`))) : h('p', { class: 'muted' }, 'No signatures yet.'));
  } else {
    out.push(h('p', {}, `${m.signer_count} signer(s); the drafter chose not to show names.`));
  }
  if (m.invitations && (rel.drafter || rel.officer)) {
    out.push(h('h3', {}, 'Invited co-signers'),
      m.invitations.length ? h('ul', {}, m.invitations.map((x) => h('li', {}, `${x.display_name || x.username} (${x.username}): `, badge(x.status, x.status === 'signed' ? 'ok' : 'state')))) : h('p', { class: 'muted' }, 'Nobody invited yet.'));
  }
  if (m.distributed_to) {
    out.push(h('h3', {}, 'Distributed to'), m.distributed_to.length ? h('ul', {}, m.distributed_to.map((x) => h('li', {}, typeof x === 'string' ? x : `${x.display_name || x.username} (${x.username})`))) : h('p', { class: 'muted' }, 'Nobody yet.'));
  }
  return out;
}

function staffActions(m) {
  const id = m.id;
  const rel = m.relation || {};
  const mine = (m.my_signature || {}).status;
  const out = [];
  const buttons = [];
  if (rel.drafter && m.state === 'draft') buttons.push(h('a', { class: 'button', href: `#/memo/${id}/edit` }, 'Edit draft'));
  if (m.state === 'open' && (rel.drafter || rel.invited)) {
    out.push(h('section', { class: 'panel', 'aria-labelledby': 'h-sign' },
      h('h2', { id: 'h-sign' }, 'Signing'),
      h('p', {}, 'Your signature covers exactly the frozen text above, identified by its digest:'),
      h('p', { class: 'mono digest', id: 'sign-digest' }, m.digest || '—'),
      h('p', {}, 'Your signature: ', badge(mine || 'none', mine === 'signed' ? 'ok' : 'state'),
        (m.my_signature || {}).reason ? ` — voided because: ${m.my_signature.reason}` : '')));
    if (mine !== 'signed') buttons.push(action(id, 'Sign this memo', () => post(`${M(id)}/signatures`), 'Signed.'));
    if (rel.invited && mine === 'signed') buttons.push(action(id, 'Withdraw my signature', () => api('DELETE', `${M(id)}/signatures/me`), 'Your signature is withdrawn.', 'secondary'));
    if (rel.invited) buttons.push(action(id, 'Decline the invitation', () => api('DELETE', `${M(id)}/invitations/me`), 'Invitation declined.', 'secondary'));
  }
  if (rel.drafter && m.state === 'open') {
    buttons.push(action(id, 'File with the channel', () => post(`${M(id)}/file`), 'Filed. The officers\' deadlines have started; download your receipt.'));
  }
  if (rel.drafter && (m.state === 'filed' || m.state === 'acknowledged')) {
    buttons.push(action(id, 'Withdraw the memo', () => post(`${M(id)}/withdraw`), 'The memo is withdrawn.', 'danger'));
  }
  if ((rel.drafter || rel.officer) && m.filed_on) {
    buttons.push(h('button', { type: 'button', class: 'secondary', onclick: () => download(id).catch(fail) }, 'Download the filing receipt'));
  }
  if (buttons.length) out.push(h('div', { class: 'actions' }, buttons));
  if (rel.drafter && (m.state === 'draft' || m.state === 'open')) {
    const input = h('input', { type: 'text', autocapitalize: 'none', id: `invite-${id}` });
    out.push(textForm(id, {
      heading: 'Invite co-signers', label: 'Usernames', submit: 'Invite', input,
      extra: suggest(input, (q) => findColleagues(q, 'staff')),
      hint: 'Your colleagues\' usernames, separated by commas or spaces; type two letters of a name for suggestions.',
      send: (v) => post(`${M(id)}/invitations`, { usernames: names(v) }), msg: 'Invitations sent.',
    }));
  }
  if (rel.drafter && m.state === 'open') {
    out.push(textForm(id, {
      heading: 'Reopen for editing', label: 'Reason (shown to co-signers)', submit: 'Reopen',
      input: h('input', { type: 'text' }), hint: 'Reopening voids every signature.',
      send: (v) => post(`${M(id)}/reopen`, v ? { reason: v } : undefined), msg: 'Reopened as a draft; signatures are void.',
    }));
  }
  return out;
}

export async function memoPage(id) {
  const m = await get(M(id));
  const rel = m.relation || {};
  const bodyEl = h('div', { class: 'memo-body', id: 'memo-text' });
  const dl = m.deadlines || {};
  const comments = h('div', { id: 'comments' });
  const auditEl = h('div', { id: 'audit' });
  const frozen = m.state !== 'draft';
  const content = [
    h('p', {}, stateBadge(m.state), ' ',
      rel.drafter ? 'You drafted this memo.' : rel.invited ? 'You were invited to co-sign.' : rel.officer ? 'You handle this memo as an officer.' : rel.principal ? 'Distributed to you for reading.' : ''),
    h('dl', { class: 'meta' },
      m.drafter ? [h('dt', {}, 'Drafter'), h('dd', {}, `${m.drafter.display_name || m.drafter.username} (${m.drafter.username})`)] : null,
      h('dt', {}, 'Filed'), h('dd', {}, m.filed_on || '—'),
      h('dt', {}, 'Acknowledgement'), h('dd', {}, deadline(dl.acknowledge)),
      h('dt', {}, 'Reply'), h('dd', {}, deadline(dl.reply), dl.reply && dl.reply.max ? h('span', { class: 'muted' }, ` (may be extended to ${dl.reply.max})`) : ''),
      m.digest ? [h('dt', {}, 'Digest'), h('dd', { class: 'mono digest' }, m.digest)] : null),
    h('h2', {}, frozen ? 'Frozen text' : 'Text'), bodyEl,
    h('details', {}, h('summary', {}, 'Show the CommonMark source'), h('pre', { id: 'memo-source' }, m.body || '')),
    ...signerSection(m),
    ...staffActions(m),
    ...(rel.officer ? officerActions(m) : []),
  ];
  if (m.decline_reason) content.push(h('h2', {}, 'Declined'), h('p', {}, m.decline_reason));
  if (m.reply) {
    const rb = h('div', { class: 'memo-body', id: 'reply-text' });
    content.push(h('section', { 'aria-labelledby': 'h-reply' }, h('h2', { id: 'h-reply' }, 'The channel\'s reply'), rb,
      h('details', {}, h('summary', {}, 'Signed note binding the reply to this memo'), h('pre', {}, m.reply.note || ''))));
    renderInto(rb, m.reply.body);
  }
  content.push(h('section', { 'aria-labelledby': 'h-timeline' }, h('h2', { id: 'h-timeline' }, 'Timeline'),
    h('ol', { class: 'timeline' }, (m.timeline || []).map((e) => h('li', {}, h('strong', {}, e.event), ` ${when(e.at)}`, e.by ? ` by ${e.by}` : '', e.detail ? ` — ${e.detail}` : '')))));
  content.push(h('section', { 'aria-labelledby': 'h-comments' }, h('h2', { id: 'h-comments' }, 'Comments'), comments));
  if (rel.drafter || rel.officer) content.push(h('section', { 'aria-labelledby': 'h-audit' }, h('h2', { id: 'h-audit' }, 'Who read it'), auditEl));
  page(m.title === null ? 'Memo' : m.title, content);
  renderInto(bodyEl, m.body);
  loadComments(id, comments).catch(fail);
  if (rel.drafter || rel.officer) loadAudit(id, auditEl).catch(fail);
}

async function loadComments(id, el) {
  const r = await get(`${M(id)}/comments`);
  const input = h('textarea', { rows: 4 });
  const form = h('form', { 'aria-label': 'Add a comment' }, field('Your comment', input), h('button', { type: 'submit' }, 'Post comment'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await post(`${M(id)}/comments`, { body: input.value });
      flash('Comment posted.', true);
      await loadComments(id, el);
    } catch (e) { fail(e); }
  });
  clear(el).append(
    r.comments.length ? h('div', {}, r.comments.map((c) => h('div', { class: 'comment' },
      h('p', { class: 'muted' }, `${c.author || 'a signer'} · ${when(c.at)}`), h('p', {}, c.body)))) : h('p', { class: 'muted' }, 'No comments yet.'),
    form);
}

async function loadAudit(id, el) {
  const r = await get(`${M(id)}/audit?limit=200`);
  clear(el).append(r.records.length
    ? table(['Who', 'What', 'When'], r.records.map((x) => h('tr', {}, h('td', {}, x.by), h('td', {}, x.action), h('td', {}, when(x.at)))))
    : h('p', { class: 'muted' }, 'No records.'));
}

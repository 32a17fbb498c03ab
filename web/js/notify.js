// Email notifications on the account page: one checkbox per kind the user's roles receive
// (GET/PATCH /api/v1/me/notifications, docs/api.md "Email"); mandatory ones are shown checked and
// cannot be turned off.
import { api } from './api.js';
import { h } from './dom.js';
import { fail } from './shell.js';
import { showError, showDone } from './errors.js';

const LABELS = {
  filed: 'A memo is filed (to acknowledge)',
  reminder: 'A deadline is one working day away',
  escalation: 'A deadline has passed',
  acknowledged: 'My memo is acknowledged',
  extended: 'The reply to my memo is extended',
  replied: 'My memo is answered',
  closed: 'My memo is closed',
  invited: 'I am invited to co-sign a memo',
  distributed: 'A memo is distributed to me',
  comment: 'A comment on a memo I read',
  signature: 'A co-signer signs, declines or withdraws from my memo',
  voided: 'A reopening voids my signature',
  progress: 'A memo I signed is filed, declined, withdrawn, answered or closed',
  declined: 'My memo is declined',
  withdrawn: 'A memo is withdrawn by its drafter',
  late: 'The channel is late on my memo',
  assigned: 'A memo is assigned to me',
  interim: 'My memo has an interim answer',
  response: 'A drafter accepted a reply or asked for clarification',
};

export function notificationsSection() {
  const box = h('form', { 'aria-label': 'Email notifications' },
    h('h2', {}, 'Email notifications'),
    h('p', {}, 'Emails never contain a memo\'s title, text or names: only what happened, the date and a link.'));
  api('GET', '/api/v1/me/notifications').then(({ data }) => {
    if (!data.notifications.length) {
      box.append(h('p', {}, 'Your roles receive no notifications.'));
      return;
    }
    for (const n of data.notifications) {
      const id = `notify-${n.kind}`;
      const cb = h('input', { type: 'checkbox', id, name: n.kind });
      cb.checked = n.on;
      cb.disabled = n.mandatory;
      cb.addEventListener('change', async () => {
        try {
          await api('PATCH', '/api/v1/me/notifications', { [n.kind]: cb.checked });
          showDone(box, 'Notifications saved.');
        } catch (e) {
          cb.checked = !cb.checked;
          if (e.code === 'unauthorized') fail(e); else showError(box, e);
        }
      });
      box.append(h('div', { class: 'field' }, h('label', { class: 'check', for: id }, cb,
        LABELS[n.kind] || n.kind, n.mandatory ? ' (always sent)' : '')));
    }
  }).catch((e) => (e.code === 'unauthorized' ? fail(e) : showError(box, e)));
  return box;
}

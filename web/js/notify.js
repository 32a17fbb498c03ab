// Email notifications on the account page: one checkbox per kind the user's roles receive
// (GET/PATCH /api/v1/me/notifications, docs/api.md "Email"); mandatory ones are shown checked and
// cannot be turned off.
import { api } from './api.js';
import { h } from './dom.js';
import { fail } from './shell.js';
import { showError, showDone } from './errors.js';
import { t } from './i18n.js';

// The kinds with a label of their own (notify.kind.KIND in the catalogs, i18n.js).
const KINDS = new Set([
  'filed', 'reminder', 'escalation', 'acknowledged', 'extended', 'replied', 'closed', 'invited',
  'distributed', 'comment', 'signature', 'voided', 'progress', 'declined', 'withdrawn', 'late',
  'assigned', 'interim', 'response',
]);

export function notificationsSection() {
  const box = h('form', { 'aria-label': t('notify.title') },
    h('h2', {}, t('notify.title')),
    h('p', {}, t('notify.intro')));
  api('GET', '/api/v1/me/notifications').then(({ data }) => {
    if (!data.notifications.length) {
      box.append(h('p', {}, t('notify.none')));
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
          showDone(box, t('notify.saved'));
        } catch (e) {
          cb.checked = !cb.checked;
          if (e.code === 'unauthorized') fail(e); else showError(box, e);
        }
      });
      box.append(h('div', { class: 'field' }, h('label', { class: 'check', for: id }, cb,
        KINDS.has(n.kind) ? t(`notify.kind.${n.kind}`) : n.kind, n.mandatory ? ` ${t('notify.always')}` : '')));
    }
  }).catch((e) => (e.code === 'unauthorized' ? fail(e) : showError(box, e)));
  return box;
}

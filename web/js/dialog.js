// Confirmation before an irreversible step: a modal <dialog> (the rest of the page is inert, so
// the focus stays inside it), with the consequence spelt out, focus on the safe choice, Escape
// to cancel, and the focus given back to what opened it.
import { h } from './dom.js';
import { t } from './i18n.js';

// confirmStep({title, text: [sentence, ...], confirm: 'File the memo', danger, input})
// resolves true when the user confirms, false when they cancel. With @input ({label, hint,
// required, multiline}) the dialog also asks for a text, and resolves to that text (or null on
// cancel) instead of true.
export function confirmStep({ title, text = [], confirm, cancel = t('dialog.cancel'), danger = false, input = null }) {
  const opener = document.activeElement;
  const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  let ctl = null;
  let fieldEl = null;
  if (input) {
    ctl = input.multiline ? h('textarea', { rows: 4, id: `${id}-in` }) : h('input', { type: input.type || 'text', id: `${id}-in`, autocomplete: input.autocomplete || 'off' });
    if (input.required) ctl.required = true;
    if (input.value) ctl.value = input.value;
    fieldEl = h('div', { class: 'field' }, h('label', { for: ctl.id }, input.label),
      input.hint ? h('span', { class: 'hint', id: `${id}-hint` }, input.hint) : null, ctl);
    if (input.hint) ctl.setAttribute('aria-describedby', `${id}-hint`);
  }
  const no = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, cancel);
  const yes = h('button', { type: 'submit', class: danger ? 'danger' : '', value: 'ok' }, confirm);
  const err = h('p', { class: 'error-msg', role: 'alert', hidden: true });
  const form = h('form', { method: 'dialog', novalidate: true },
    h('h2', { id: `${id}-t` }, title),
    h('div', { id: `${id}-d` }, text.filter(Boolean).map((line) => h('p', {}, line))),
    err, fieldEl,
    h('div', { class: 'actions' }, yes, no));
  const dlg = h('dialog', { class: 'confirm', 'aria-labelledby': `${id}-t`, 'aria-describedby': `${id}-d` }, form);
  document.body.append(dlg);
  return new Promise((resolve) => {
    let result = input ? null : false;
    no.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', (ev) => {
      if (ctl && input.required && !ctl.value.trim()) {
        ev.preventDefault();
        err.hidden = false;
        err.textContent = input.requiredText || t('dialog.empty');
        ctl.setAttribute('aria-invalid', 'true');
        ctl.focus();
        return;
      }
      result = ctl ? ctl.value : true;
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    });
    dlg.showModal();
    (ctl || no).focus();
  });
}

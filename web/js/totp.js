// Two-factor sign-in (TOTP) on the account page: start enrolment with the password, show the
// secret as text, as an otpauth:// URI and as a QR code (an SVG image from our own origin),
// confirm with a first code, then show the recovery codes once. Also: new recovery codes, and
// turning it off (not offered when the role requires it).
import { api } from './api.js';
import { h, field, clear } from './dom.js';
import { showError } from './errors.js';
import { keepButtons } from './keep.js';
import { t } from './i18n.js';

// An error from a TOTP form: next to the form, unless the session ended (the app handles that).
const formError = (form, err, ui) => (err && err.code === 'unauthorized' ? ui.fail(err) : showError(form, err));

const codeInput = (name) => h('input', {
  type: 'text', name, 'data-field': name, inputmode: 'numeric', autocomplete: 'one-time-code', required: true,
  pattern: '[0-9]{6}', maxlength: 6, size: 8, autocapitalize: 'none',
});

// The recovery codes, with an acknowledgement before moving on.
function showCodes(box, codes, notice, done) {
  const ack = h('input', { type: 'checkbox', id: 'totp-codes-ack' });
  const go = h('button', { type: 'button', disabled: true, onclick: done }, t('totp.continue'));
  ack.addEventListener('change', () => { go.disabled = !ack.checked; });
  clear(box).append(
    h('div', { class: 'warning', role: 'alert' },
      h('p', {}, h('strong', {}, `${t('totp.once')} `), notice)),
    h('pre', { class: 'recovery-key', id: 'totp-recovery-codes', 'aria-label': t('totp.codesLabel') },
      codes.join('\n')),
    keepButtons(() => codes.join('\n'), 'dissent-recovery-codes.txt', 'codes',
      `${t('totp.codesFile')}\n${codes.join('\n')}\n`),
    h('div', { class: 'field' }, h('label', { class: 'check', for: 'totp-codes-ack' }, ack,
      t('totp.codesAck'))),
    h('div', { class: 'actions' }, go));
  ack.focus();
}

// Step 2: the secret and a first code.
function confirmStep(box, e, ui) {
  const code = codeInput('code');
  code.id = 'totp-confirm-code';
  const form = h('form', { 'aria-label': t('totp.confirmForm') },
    h('p', {}, t('totp.scan')),
    h('img', { src: `${e.qr}?t=${Date.now()}`, alt: t('totp.qr'), width: 200, height: 200, class: 'qr', id: 'totp-qr' }),
    h('dl', { class: 'meta' },
      h('dt', {}, t('totp.key')), h('dd', {}, h('code', { id: 'totp-secret' }, e.secret)),
      h('dt', {}, t('totp.type')), h('dd', {}, t('totp.typeValue', { digits: e.digits, period: e.period, algorithm: e.algorithm })),
      h('dt', {}, t('totp.link')), h('dd', {}, h('code', { id: 'totp-uri', class: 'wrap' }, e.uri))),
    field(t('totp.code'), code, t('totp.codeHint')),
    h('button', { type: 'submit' }, t('totp.turnOn')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/api/v1/me/totp/confirm', { code: code.value.trim() });
      ui.flash(t('totp.on'), true);
      showCodes(box, r.data.recovery_codes, r.data.recovery_notice, ui.refresh);
    } catch (err) { formError(form, err, ui); code.select(); }
  });
  clear(box).append(form);
  code.focus();
}

// The account page's section: its state and what can be done from it.
export function totpSection(me, ui) {
  const st = me.totp || {};
  const box = h('div', { id: 'totp-box' });
  const section = h('section', { 'aria-labelledby': 'totp-h' },
    h('h2', { id: 'totp-h' }, t('totp.title')), box);
  if (!st.enabled) {
    const pw = h('input', { type: 'password', autocomplete: 'current-password', required: true, id: 'totp-password', 'data-field': 'password' });
    const form = h('form', { 'aria-label': t('totp.setUpForm') },
      h('p', {}, st.required ? t('totp.required') : t('totp.offer')),
      field(t('totp.password'), pw),
      h('button', { type: 'submit' }, t('totp.setUp')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await api('POST', '/api/v1/me/totp', { password: pw.value });
        confirmStep(box, r.data, ui);
      } catch (err) { formError(form, err, ui); }
    });
    box.append(form);
    return section;
  }
  const code = codeInput('code');
  const renew = h('button', { type: 'button', class: 'secondary' }, t('totp.renew'));
  const off = st.required ? null : h('button', { type: 'button', class: 'secondary' }, t('totp.turnOff'));
  renew.addEventListener('click', async () => {
    try {
      const r = await api('POST', '/api/v1/me/totp/recovery-codes', { code: code.value.trim() });
      showCodes(box, r.data.recovery_codes, r.data.recovery_notice, ui.refresh);
    } catch (err) { formError(box, err, ui); }
  });
  if (off) {
    off.addEventListener('click', async () => {
      try {
        await api('DELETE', '/api/v1/me/totp', { code: code.value.trim() });
        ui.refresh();
      } catch (err) { formError(box, err, ui); }
    });
  }
  box.append(
    h('p', { id: 'totp-state' }, t('totp.state', { count: st.recovery_codes_left })),
    field(t('totp.code'), code, t('totp.renewHint')),
    h('div', { class: 'actions' }, renew, off));
  return section;
}

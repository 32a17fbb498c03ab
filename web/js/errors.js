// Errors in plain words, where the user looked. The API's answers carry a code, sometimes a
// field, and a message written for developers ("usernames: 1 to 1000 names"); none of
// that reaches the screen as such. sentence(e) maps it to one sentence for a person, and
// showError(where, e) puts that sentence next to what failed and moves the focus there.
import { ApiError } from './api.js';
import { h, day } from './dom.js';
import { t, language } from './i18n.js';

// By the API's code, when the code alone says what happened: the codes with a sentence of their
// own in the catalogs (error.code.CODE, i18n.js).
const BY_CODE = new Set([
  'network', 'unauthorized', 'invalid_credentials', 'totp_required', 'totp_invalid',
  'totp_enrolment_required', 'passkey_required', 'sso_state', 'sso_denied', 'sso_provider',
  'sso_token', 'sso_username', 'sso_no_account', 'sso_conflict', 'sso_disabled', 'sso_roles',
  'sso_last_holder', 'sso_off', 'sso_server', 'sso_expired', 'sso_required', 'enrolled',
  'passkey_cannot_unlock', 'passkey_enrolment_required', 'passkey_not_found', 'too_many',
  'second_factor_required', 'password_change_required', 'totp_enabled', 'totp_not_enabled',
  'totp_not_started', 'password_required', 'invalid_recovery_key', 'invalid_enrolment_code',
  'not_enrolled', 'roles_combined', 'last_channel_holder', 'operator_account', 'forbidden', 'csrf',
  'not_found', 'keys_unavailable', 'no_key', 'exists', 'version_mismatch', 'precondition_required',
  'too_large', 'offset_mismatch', 'incomplete', 'attachments_off', 'rate_limited',
  'database_unavailable', 'busy', 'not_ready', 'out_of_memory', 'malformed_json',
  'unexpected_body', 'unsupported_media_type', 'method_not_allowed', 'other_channel',
]);

// By the field a 422 names: the fields with a sentence of their own (error.field.FIELD).
const BY_FIELD = new Set([
  'title', 'body', 'usernames', 'username', 'display_name', 'email', 'roles', 'password',
  'new_password', 'current_password', 'until', 'reason', 'code', 'totp', 'disabled', 'name',
  'type', 'sha256',
]);

// Messages of the memo workflow that name something the user can fix: [pattern, sentence]. The
// web interface asks for the API's messages in English (api.js), so that these match whatever
// the reader's language; each sentence is the catalogs' error.message.KEY.
const says = (key) => () => t(`error.message.${key}`);
const BY_MESSAGE = [
  [/the file "([^"]+)" is named with "([^"]+)", a classification marking/, (m) => t('error.message.markedFile', { name: m[1], marking: m[2] })],
  [/^(title|body): the \w+ carries "([^"]+)", a classification marking/, (m) => t(m[1] === 'title' ? 'error.message.markedTitle' : 'error.message.markedBody', { marking: m[2] })],
  [/"([^"]+)" is not an active staff/, (m) => t('error.message.noColleague', { name: m[1] })],
  [/"([^"]+)" is not an active principal/, (m) => t('error.message.noPrincipal', { name: m[1] })],
  [/the drafter cannot be invited/, says('inviteSelf')],
  [/sign the memo before filing/, says('signFirst')],
  [/the drafter signs first/, says('drafterFirst')],
  [/already signed/, says('alreadySigned')],
  [/too late to decline/, says('tooLateToDecline')],
  [/until: must be after the current due date (\S+) and no later than the maximum (\S+)/,
    (m) => t('error.message.extendRange', { after: day(m[1]), max: day(m[2]) })],
  [/until must be a date/, says('chooseDate')],
  [/reason.*(1 to|required|missing)/i, says('giveReason')],
  [/body.*(1 to|required|missing)/i, says('emptyBody')],
  [/^([a-z0-9._-]+) has not enrolled yet/, (m) => t('error.message.notEnrolled', { name: m[1] })],
  [/channel access not yet granted/, says('noChannelAccess')],
  [/^([a-z0-9._-]+) was reset by an administrator/, (m) => t('error.message.otherReset', { name: m[1] })],
  [/reset/, says('youWereReset')],
  [/is not a working day already/, says('notWorkingDay')],
  [/falls inside the running clock stop/, says('insideStop')],
  [/^(day|from): today or a later day/, says('pastDay')],
  [/closure of (\S+) stands/, (m) => t('error.message.closureStands', { date: day(m[1]) })],
  [/the clock is stopped already/, says('stoppedAlready')],
  [/the last day of an earlier clock stop/, says('afterEarlierStop')],
  [/until: the stop's last day/, says('stopLastDay')],
  [/changed meanwhile/, says('changedMeanwhile')],
  [/your signing key changed/, says('keysChanged')],
  [/only .* can be invited|not staff/, says('onlyStaff')],
];

// The states a memo's refusal may name, each with its sentence (error.state.STATE).
const STATES = new Set(['draft', 'open', 'filed', 'acknowledged', 'replied', 'closed', 'declined', 'withdrawn']);

// One sentence for a person, from an ApiError or any other error.
export function sentence(e) {
  if (!(e instanceof ApiError)) return t('error.generic');
  const msg = e.message || '';
  for (const [re, f] of BY_MESSAGE) {
    const m = msg.match(re);
    if (m) return f(m);
  }
  if (e.code === 'wrong_state') return STATES.has(e.state) ? t(`error.state.${e.state}`) : t('error.wrongStage');
  if (e.code === 'invalid_field' && e.field && BY_FIELD.has(e.field)) return t(`error.field.${e.field}`);
  if (BY_CODE.has(e.code)) return t(`error.code.${e.code}`);
  // a passkey refused: the server says which check failed, in words written for the user (in
  // English: api.js asks for English messages; another language has the code's sentence)
  if (e.code === 'passkey_invalid' || e.code === 'passkey_refused') {
    if (msg && language() === 'en') return `${msg.charAt(0).toUpperCase()}${msg.slice(1)}${/[.!]$/.test(msg) ? '' : '.'}`;
    return t(`error.code.${e.code}`);
  }
  if (e.status === 422) return t('error.check');
  if (e.status >= 500) return t('error.server');
  return t('error.failed');
}

// The error box of @where (a form or any container), made once and reused.
function box(where) {
  const el = h('p', { class: 'error-msg', role: 'alert', tabindex: '-1', 'data-shown': 'error' });
  where.prepend(el);
  return el;
}

// Clear what showError() put in @where.
export function clearError(where) {
  if (!where) return;
  // wherever showError() put it: first in @where, or moved next to a field nested inside
  for (const el of where.querySelectorAll('[data-shown="error"]')) el.remove();
  for (const c of where.querySelectorAll('[aria-invalid="true"]')) {
    c.removeAttribute('aria-invalid');
    const d = (c.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.endsWith('-err'));
    if (d.length) c.setAttribute('aria-describedby', d.join(' ')); else c.removeAttribute('aria-describedby');
  }
}

// Show @e in plain words inside @where, next to the control the error is about when the form
// has one (a control with data-field equal to the API's field), and move the focus there: to
// that control, else to the message itself. Returns the sentence.
export function showError(where, e, text = null) {
  const s = text || sentence(e);
  clearError(where);
  const el = box(where);
  el.textContent = s;
  el.id = el.id || `err-${Math.random().toString(36).slice(2, 8)}`;
  const ctl = e && e.field ? where.querySelector(`[data-field="${e.field}"]`) : null;
  if (ctl) {
    ctl.setAttribute('aria-invalid', 'true');
    const errId = `${ctl.id || 'c'}-err`;
    el.id = errId;
    const d = (ctl.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!d.includes(errId)) ctl.setAttribute('aria-describedby', [...d, errId].join(' '));
    // the message goes right above the control's field, where the eye is
    const fieldEl = ctl.closest('.field') || ctl;
    fieldEl.before(el);
    ctl.focus();
  } else {
    el.focus();
  }
  return s;
}

// A success message in @where (role=status), replacing an earlier error there.
export function showDone(where, text) {
  clearError(where);
  let el = where.querySelector(':scope > .done-msg');
  if (!el) {
    el = h('p', { class: 'done-msg', role: 'status', tabindex: '-1' });
    where.prepend(el);
  }
  el.textContent = text;
  return el;
}

// Errors in plain words, where the user looked. The API's answers carry a code, sometimes a
// field, and an English message written for developers ("usernames: 1 to 1000 names"); none of
// that reaches the screen as such. sentence(e) maps it to one sentence for a person, and
// showError(where, e) puts that sentence next to what failed and moves the focus there.
import { ApiError } from './api.js';
import { h } from './dom.js';

// By the API's code, when the code alone says what happened.
const BY_CODE = {
  network: 'The server could not be reached. Check your connection and try again.',
  unauthorized: 'Your session has ended. Sign in again to continue.',
  invalid_credentials: 'That username and password do not match an active account.',
  totp_required: 'Enter the code from your authenticator app.',
  totp_invalid: 'That code is wrong or was already used. Wait for the next code in your app and try again.',
  totp_enrolment_required: 'Your role requires two-factor sign-in. Set it up on this page to use the rest of Dissent.',
  passkey_required: 'Your password is right. Now use your passkey.',
  sso_state: 'The sign-in through your organisation did not finish here in time, or was started in another browser. Start it again.',
  sso_denied: 'Your organisation\'s sign-in was cancelled or refused. Start it again when you are ready.',
  sso_provider: 'Your organisation\'s sign-in service cannot be reached or answered wrongly. Try again later, or tell your administrator.',
  sso_token: 'Your organisation\'s sign-in could not be verified, so nobody was signed in. Try again; if it happens again, tell your administrator.',
  sso_username: 'Your organisation gave a username this server cannot use. Tell your administrator.',
  sso_no_account: 'You have no account here yet. Ask your administrator for one.',
  sso_conflict: 'The account with your username here belongs to someone else, or is an administrator\'s. Tell your administrator.',
  sso_disabled: 'Your account here is disabled.',
  sso_roles: 'Your organisation gives you no role here, or roles that cannot go together. Tell your administrator.',
  sso_last_holder: 'Your roles could not change: you are the last officer holding the channel key. Have it granted to another officer first.',
  sso_off: 'Sign-in through your organisation is not set up here.',
  sso_server: 'The server could not finish your sign-in. Try again in a moment.',
  sso_expired: 'The sign-in through your organisation expired or was already used. Sign in with your organisation again.',
  sso_required: 'This account signs in through your organisation: use "Sign in with your organisation".',
  enrolled: 'Your keys are made already: open your memos with your key passphrase.',
  passkey_cannot_unlock: 'This passkey cannot unlock your memos on its own. Sign in with your username and password, and the passkey after them.',
  passkey_enrolment_required: 'Your role signs in with a passkey. Add one on this page to use the rest of Dissent.',
  passkey_not_found: 'That passkey is not yours, or it was deleted already.',
  too_many: 'You have as many passkeys as an account may have. Delete one first.',
  second_factor_required: 'Confirm with one of your passkeys, or the code from your authenticator app.',
  password_change_required: 'Choose a new password on this page first: your account then gets new keys that only you hold.',
  totp_enabled: 'Two-factor sign-in is already on.',
  totp_not_enabled: 'Two-factor sign-in is not on.',
  totp_not_started: 'Start the set-up again: the key shown earlier is no longer pending.',
  password_required: 'Enter your current password to continue.',
  invalid_recovery_key: 'That username and recovery key do not match. Check the key, including its dashes.',
  invalid_enrolment_code: 'That username and enrolment code do not match, or the code has expired or was already used. Check the code, including its dashes, or ask your administrator for a new one.',
  not_enrolled: 'This person has not enrolled yet: nothing can be shared with them until they do.',
  roles_combined: 'Administrators and auditors cannot also be staff, officers or principals: those who run the system never hold its content. Create a separate account.',
  last_channel_holder: 'This is the last active officer holding the channel key. Have them grant it to another officer first, or filed memos would become unreadable.',
  operator_account: 'Administrator and auditor accounts hold no memos: their password is reset on the server (dissent user passwd), not here.',
  forbidden: 'Your role does not allow this.',
  csrf: 'The request was refused for safety. Reload the page and try again.',
  not_found: 'This does not exist, or it is not shared with you.',
  keys_unavailable: 'Your keys are not open in this session. Sign out and sign in again.',
  no_key: 'You cannot read this memo: it has not been shared with you, or your access was reset.',
  exists: 'That already exists.',
  version_mismatch: 'This was changed elsewhere meanwhile. Reload the page to see the newest version.',
  precondition_required: 'This was changed elsewhere meanwhile. Reload the page to see the newest version.',
  too_large: 'That is too long to send.',
  offset_mismatch: 'Part of the file was sent twice. It continues from where the server stands.',
  incomplete: 'This file has not been sent whole yet: its drafter must finish sending it.',
  attachments_off: 'This server does not take attached files.',
  rate_limited: 'Too many attempts. Wait a few minutes before trying again.',
  database_unavailable: 'The server cannot save right now. Try again in a moment.',
  busy: 'The server is busy. Try again in a moment.',
  not_ready: 'The server is starting. Try again in a moment.',
  out_of_memory: 'The server could not finish this. Try again in a moment.',
  malformed_json: 'The request was not understood. Reload the page and try again.',
  unexpected_body: 'The request was not understood. Reload the page and try again.',
  unsupported_media_type: 'The request was not understood. Reload the page and try again.',
  method_not_allowed: 'The request was not understood. Reload the page and try again.',
};

// By the field a 422 names (and, for some, by what the message says about it).
const BY_FIELD = {
  title: 'Give the memo a title of one line, at most 300 characters.',
  body: 'The text is empty or too long.',
  usernames: 'Enter at least one username, separated by commas or spaces.',
  username: 'Enter a username of lower-case letters, digits, dots, underscores or hyphens.',
  display_name: 'The name must be one line of at most 128 characters.',
  email: 'Enter an email address such as name@example.org, or leave it empty.',
  roles: 'Choose at least one role. Administrators and auditors cannot also hold staff, officer or principal.',
  password: 'The password is wrong, or (for a new one) shorter than 8 characters.',
  new_password: 'Choose a new password of at least 8 characters.',
  current_password: 'Your current password is wrong.',
  until: 'Choose a date after the current due date and no later than the latest date allowed.',
  reason: 'Give a reason.',
  code: 'That code is wrong or was already used.',
  totp: 'That code is wrong or was already used.',
  disabled: 'You cannot disable your own account.',
  name: 'The file\'s name cannot be used: it may be too long, start or end with a space, contain a slash or a direction mark, or be the name of another file of this memo. Rename the file and add it again.',
  type: 'The file\'s type was not understood.',
  sha256: 'The file changed while it was being sent, or arrived damaged. It was removed: add it again.',
};

// Messages of the memo workflow that name something the user can fix: [pattern, sentence].
const BY_MESSAGE = [
  [/the file "([^"]+)" is named with "([^"]+)", a classification marking/, (m) => `The file "${m[1]}" is named with "${m[2]}", a classification marking. This channel is not for classified information: remove the file, then finalize.`],
  [/^(title|body): the \w+ carries "([^"]+)", a classification marking/, (m) => `The ${m[1] === 'title' ? 'title' : 'text'} carries "${m[2]}", a classification marking. This channel is not for classified information: remove it, and anything it marks, then finalize.`],
  [/"([^"]+)" is not an active staff/, (m) => `There is no colleague "${m[1]}" who can co-sign. Check the spelling; you can type two letters of a name for suggestions.`],
  [/"([^"]+)" is not an active principal/, (m) => `"${m[1]}" is not a principal who can receive memos. Check the spelling.`],
  [/the drafter cannot be invited/, () => 'You cannot invite yourself: you sign as the drafter.'],
  [/sign the memo before filing/, () => 'Sign the memo first: filing needs your own signature.'],
  [/the drafter signs first/, () => 'The drafter has not signed yet: co-signers sign after the drafter.'],
  [/already signed/, () => 'You have already signed this memo.'],
  [/too late to decline/, () => 'It is too late to decline: the memo has been filed.'],
  [/until: must be after the current due date (\S+) and no later than the maximum (\S+)/,
    (m) => `Choose a date after ${m[1]} and no later than ${m[2]}.`],
  [/until must be a date/, () => 'Choose a date.'],
  [/reason.*(1 to|required|missing)/i, () => 'Give a reason.'],
  [/body.*(1 to|required|missing)/i, () => 'Write something first: the text is empty.'],
  [/^([a-z0-9._-]+) has not enrolled yet/, (m) => `${m[1]} has not enrolled yet: nothing can be shared with them until they do. Try again once they have.`],
  [/channel access not yet granted/, () => 'You cannot read filed memos yet: an officer who holds the channel key must grant you access (from their inbox).'],
  [/^([a-z0-9._-]+) was reset by an administrator/, (m) => `${m[1]}'s account was reset by an administrator: nothing can be shared with them until officers confirm that the account is theirs.`],
  [/reset/, () => 'You cannot read this memo: your keys were reset. Officers share your filed memos with you again once they have confirmed that the account is yours; a draft is shared again by one of its readers.'],
  [/is not a working day already/, () => 'That day is not a working day already: a weekend, a holiday or a day closed before.'],
  [/falls inside the running clock stop/, () => 'The clock is stopped from an earlier day: the days of a running stop need no closure.'],
  [/^(day|from): today or a later day/, () => 'Choose today or a later day: a past day cannot be changed.'],
  [/closure of (\S+) stands/, (m) => `The closure of ${m[1]} stands: only a closure of a later day than today can be taken back.`],
  [/the clock is stopped already/, () => 'The clock is stopped already: end that stop first.'],
  [/the last day of an earlier clock stop/, () => 'Choose a day after the last day of the earlier clock stop.'],
  [/until: the stop's last day/, () => 'Choose the last stopped day: from the stop\'s first day on, not before yesterday, and within a year.'],
  [/changed meanwhile/, () => 'The memo changed meanwhile. Reload the page to see its current state.'],
  [/your signing key changed/, () => 'Your keys changed since you signed in. Sign out and sign in again.'],
  [/only .* can be invited|not staff/, () => 'Only colleagues who can draft memos can be invited to co-sign.'],
];

const STATE_WORDS = {
  draft: 'a draft', open: 'open for signature', filed: 'filed', acknowledged: 'acknowledged',
  replied: 'answered', closed: 'closed', declined: 'declined', withdrawn: 'withdrawn',
};

// One sentence for a person, from an ApiError or any other error.
export function sentence(e) {
  if (!(e instanceof ApiError)) return 'Something went wrong. Reload the page and try again.';
  const msg = e.message || '';
  for (const [re, f] of BY_MESSAGE) {
    const m = msg.match(re);
    if (m) return f(m);
  }
  if (e.code === 'wrong_state') {
    return e.state ? `This cannot be done now: the memo is ${STATE_WORDS[e.state] || e.state}. Reload the page to see what can be done.`
      : 'This cannot be done at this stage. Reload the page to see what can be done.';
  }
  if (e.code === 'invalid_field' && e.field && BY_FIELD[e.field]) return BY_FIELD[e.field];
  if (BY_CODE[e.code]) return BY_CODE[e.code];
  // a passkey refused: the server says which check failed, in words written for the user
  if ((e.code === 'passkey_invalid' || e.code === 'passkey_refused') && msg) {
    return `${msg.charAt(0).toUpperCase()}${msg.slice(1)}${/[.!]$/.test(msg) ? '' : '.'}`;
  }
  if (e.status === 422) return 'Please check what you entered.';
  if (e.status >= 500) return 'The server could not do this right now. Try again in a moment.';
  return 'That did not work. Reload the page and try again.';
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

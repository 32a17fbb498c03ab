// Passkeys (docs/api.md, "Passkeys"): the browser's navigator.credentials around the server's
// options, the account page's list, and the passkey's part of signing in. Binary values travel as
// unpadded base64url, as the server's options have them.
import { api } from './api.js';
import { t } from './i18n.js';
import { h, field, when } from './dom.js';
import { confirmStep } from './dialog.js';
import { showError } from './errors.js';

// An error next to @where, unless the session ended (the app handles that).
const formError = (where, err, ui, text = null) => (err && err.code === 'unauthorized' ? ui.fail(err) : showError(where, err, text));

export const passkeysSupported = () => !!(window.PublicKeyCredential && navigator.credentials);

function fromB64u(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
}

function toB64u(buf) {
  let s = '';
  for (const x of new Uint8Array(buf)) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The PRF extension's first result, when the authenticator gave one.
function prfResult(cred) {
  const ext = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
  const first = ext.prf && ext.prf.results && ext.prf.results.first;
  return first ? toB64u(first) : null;
}

// The browser's refusal in plain words (the user cancelled, or no passkey here).
export function passkeyProblem(e) {
  if (e && e.name === 'NotAllowedError') return t('passkey.problem.cancelled');
  if (e && e.name === 'InvalidStateError') return t('passkey.problem.exists');
  if (e && e.name === 'SecurityError') return t('passkey.problem.address');
  return null;
}

// Register a new passkey named @name, confirmed with @password and, once the account has a
// second factor, @factor ({passkey} or {code}); resolves to the server's answer.
export async function registerPasskey(name, password, factor = {}) {
  const o = (await api('POST', '/api/v1/me/passkeys/options')).data;
  const pk = o.publicKey;
  const publicKey = {
    ...pk,
    challenge: fromB64u(pk.challenge),
    user: { ...pk.user, id: fromB64u(pk.user.id) },
    excludeCredentials: pk.excludeCredentials.map((c) => ({ ...c, id: fromB64u(c.id) })),
    extensions: { prf: { eval: { first: fromB64u(pk.extensions.prf.eval.first) } } },
  };
  const cred = await navigator.credentials.create({ publicKey });
  const body = {
    name, password, ...factor,
    client_data_json: toB64u(cred.response.clientDataJSON),
    attestation_object: toB64u(cred.response.attestationObject),
  };
  const prf = prfResult(cred);
  if (prf) { body.prf = prf; body.prf_salt = o.prf_salt; }
  return (await api('POST', '/api/v1/me/passkeys', body)).data;
}

// A passkey's answer for a sign-in: {passkey: {...}, passwordless} (the server's options say
// whether it may sign in alone).
export async function passkeyAnswer() {
  const o = (await api('POST', '/api/v1/session/passkey')).data;
  const pk = o.publicKey;
  const publicKey = {
    ...pk,
    challenge: fromB64u(pk.challenge),
    allowCredentials: [],
    extensions: { prf: { eval: { first: fromB64u(pk.extensions.prf.eval.first) } } },
  };
  const cred = await navigator.credentials.get({ publicKey });
  const passkey = {
    id: toB64u(cred.rawId),
    client_data_json: toB64u(cred.response.clientDataJSON),
    authenticator_data: toB64u(cred.response.authenticatorData),
    signature: toB64u(cred.response.signature),
  };
  const prf = prfResult(cred);
  if (prf) passkey.prf = prf;
  return { passkey, passwordless: o.passwordless };
}

// The account page's section: the passkeys, adding one, deleting one (the list loads after).
export function passkeySection(me, ui) {
  const box = h('div', { id: 'passkeys-box' });
  const section = h('section', { 'aria-labelledby': 'passkeys-h', id: 'passkeys' }, h('h2', { id: 'passkeys-h' }, t('passkey.title')), box);
  fillPasskeys(box, me, ui);
  return section;
}

async function fillPasskeys(box, me, ui) {
  const p = me.passkeys || {};
  const intro = p.required ? t('passkey.introRequired') : t('passkey.intro');
  box.append(h('p', {}, intro));
  if (!passkeysSupported()) {
    box.append(h('p', { class: 'note' }, t('passkey.unsupported')));
    return;
  }
  let list = [];
  try {
    list = (await api('GET', '/api/v1/me/passkeys')).data.passkeys;
  } catch (e) { ui.fail(e); }
  if (list.length) {
    box.append(h('ul', { id: 'passkey-list' }, list.map((k) => {
      const del = h('button', { type: 'button', class: 'secondary' }, t('passkey.delete', { name: k.name }));
      del.addEventListener('click', async () => {
        const pw = await confirmStep({
          title: t('passkey.deleteTitle', { name: k.name }), confirm: t('passkey.deleteConfirm'), danger: true,
          text: [t('passkey.deleteText')],
          input: { label: t('passkey.password'), type: 'password', autocomplete: 'current-password' },
        });
        if (pw === false || pw === null) return;
        try {
          // a passkey of the account confirms it too (the server asks for the second factor)
          const { passkey } = await passkeyAnswer();
          await api('DELETE', `/api/v1/me/passkeys/${k.id}`, { password: pw, passkey });
          ui.refresh(t('passkey.deleted'));
        } catch (e) { formError(box, e, ui, passkeyProblem(e)); }
      });
      const what = `passkey.item.${k.unlocks_keys ? 'unlocks' : 'factor'}.${k.last_used_at ? 'used' : 'never'}`;
      return h('li', {}, h('strong', {}, k.name),
        ` — ${t(what, { added: when(k.created_at), used: k.last_used_at ? when(k.last_used_at) : '' })}`, ' ', del);
    })));
  } else {
    box.append(h('p', { class: 'muted', id: 'passkey-none' }, t('passkey.none')));
  }
  const name = h('input', { type: 'text', maxlength: 64, required: true, id: 'passkey-name', 'data-field': 'name', value: t('passkey.defaultName') });
  const pw = h('input', { type: 'password', autocomplete: 'current-password', required: true, id: 'passkey-password', 'data-field': 'password' });
  const btn = h('button', { type: 'submit' }, t('passkey.add'));
  // the second factor the account has already confirms a new way in: a passkey, else the code
  const totpOn = !!(me.totp && me.totp.enabled);
  const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, size: 8, id: 'passkey-code', 'data-field': 'code' });
  const form = h('form', { 'aria-label': t('passkey.add') },
    field(t('passkey.name'), name, t('passkey.nameHint')),
    field(t('passkey.password'), pw, t('passkey.passwordHint')),
    list.length ? h('p', { class: 'hint' }, t('passkey.deviceFirst'))
      : totpOn ? field(t('passkey.code'), code, t('passkey.codeHint')) : null,
    h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    try {
      const factor = list.length ? { passkey: (await passkeyAnswer()).passkey }
        : totpOn ? { code: code.value.trim() } : {};
      const r = await registerPasskey(name.value.trim(), pw.value, factor);
      ui.refresh(t(r.unlocks_keys ? 'passkey.addedUnlocks' : 'passkey.added', { name: r.name }));
    } catch (e) {
      btn.disabled = false;
      formError(form, e, ui, passkeyProblem(e));
    }
  });
  box.append(form);
}

// The memo page's one action bar: every action the reader may take on the memo, as buttons in
// one row; actions that need text either ask in a confirmation dialog (dialog.js) or expand a
// form under the bar. Results are shown inside the bar's area (errors.js), never in the banner at
// the top of the page: a success redraws the memo and shows the message by the bar, with the
// focus on it; a failure shows the reason by what failed, and when the memo may have changed
// meanwhile (409, 403), redraws it first so that nothing stale stays on the screen.
import { h, clear } from './dom.js';
import { showError, showDone, clearError, sentence } from './errors.js';
import { confirmStep } from './dialog.js';
import { go, provided, reauth, refreshCounts } from './shell.js';
import { t } from './i18n.js';

let uid = 0;

// Remove a success message left in @where (before an error or a new attempt).
function clearDone(where) {
  const d = where && where.querySelector(':scope > .done-msg');
  if (d) d.remove();
}

// The memo workflow's refusals that errors.js does not word: [pattern of the API's message, sentence].
const MEMO_WORDS = [
  [/you declined the invitation/, () => t('actions.refusal.declined')],
  [/you have no signature/, () => t('actions.refusal.noSignature')],
  [/the drafter's signature stays/, () => t('actions.refusal.drafter')],
];
// The states whose refusal (error.state.STATE) has a sentence here without the advice to reload
// (actions.state.STATE).
const STATES = new Set(['draft', 'open', 'filed', 'acknowledged', 'replied', 'closed', 'declined', 'withdrawn']);
// One sentence for a failed memo action (the page has just been drawn again when the memo's
// state refused it, so "reload" would be the wrong advice).
export function memoSentence(e) {
  const msg = (e && e.message) || '';
  for (const [re, text] of MEMO_WORDS) if (re.test(msg)) return text();
  const s = sentence(e);
  if (!e || e.code !== 'wrong_state') return s;
  if (STATES.has(e.state) && s === t(`error.state.${e.state}`)) return t(`actions.state.${e.state}`);
  return s === t('error.wrongStage') ? t('actions.wrongStage') : s;
}

// Every message showError() put in @where, also one it moved next to a nested field (which
// errors.js clearError() does not find), and the controls it marked.
export function clearErrors(where) {
  if (!where) return;
  for (const x of where.querySelectorAll('.error-msg[role="alert"]')) x.remove();
  clearError(where);
}

// A success message in @where that takes the focus.
export function done(where, text) {
  const el = showDone(where, text);
  el.tabIndex = -1;
  el.focus();
  return el;
}

// An error in @where (next to the control named by the error's field, when there is one); when
// the session ended, also a way to sign in again without leaving the page.
export function failed(where, e, text = null) {
  clearDone(where);
  const area = where.closest && where.closest('.action-area');
  if (area && area !== where) clearDone(area);
  clearErrors(where);
  const s = showError(where, e, text || (e && e.code ? memoSentence(e) : null));
  if (e && e.code === 'unauthorized') {
    const msg = where.querySelector('.error-msg');
    if (msg && !msg.querySelector('button, a')) msg.append(' ', signInAgain());
  }
  return s;
}

// "Sign in again": the app's sign-in dialog when it offers one (the page stays), else the sign-in
// page in a new tab (the session cookie is shared, so this page works again afterwards).
export function signInAgain(after) {
  if (provided('reauth')) {
    return h('button', { type: 'button', class: 'secondary', onclick: async () => {
      try { if (await reauth() && after) await after(); } catch { /* the caller shows the next error */ }
    } }, t('actions.signInAgain'));
  }
  return h('a', { href: '#/signin', target: '_blank', rel: 'noopener' }, t('actions.signInNewTab'));
}

// Whether a failed action may have met a memo that changed meanwhile: draw it again first.
const stale = (e) => e && (e.status === 409 || e.status === 403 || e.status === 404) && e.code !== 'keys_unavailable';

// bar = actionBar({redraw}) where redraw({done, error}) draws the memo again and shows the
// message by the new bar. bar.el is the section to put on the page.
export function actionBar({ redraw, heading = t('actions.heading') }) {
  const hid = `h-actions-${++uid}`;
  const row = h('div', { class: 'actions', id: 'action-bar', role: 'group', 'aria-labelledby': hid });
  const panels = h('div', { class: 'action-panels' });
  const area = h('div', { class: 'action-area', id: 'action-area' }, row, panels);
  const el = h('section', { class: 'panel action-section', id: 'memo-actions', 'aria-labelledby': hid },
    h('h2', { id: hid }, heading), area);
  let openBtn = null;

  function close() {
    if (!openBtn) return;
    openBtn.setAttribute('aria-expanded', 'false');
    clear(panels);
    openBtn = null;
  }

  // After an action: the memo again with @msg by the bar (or, with @leave, that page with @msg:
  // an action that ends the caller's access to the memo); after a failure, the error where it
  // belongs (inside @where), or on a fresh copy of the memo when it may have changed.
  async function after(fn, where, msg, btn, leave = null) {
    clearErrors(area);
    clearDone(area);
    if (where !== area) { clearErrors(where); clearDone(where); }
    if (btn) btn.disabled = true;
    try {
      await fn();
    } catch (e) {
      if (btn && btn.isConnected) btn.disabled = false;
      if (stale(e)) { await redraw({ error: e }); return false; }
      failed(where, e);
      return false;
    }
    if (leave) { go(leave, msg); return true; }
    await redraw({ done: msg });
    if (provided('refreshCounts')) refreshCounts(); // the navigation's counts
    return true;
  }

  const bar = {
    el, area, row, panels,
    get empty() { return row.children.length === 0; },
    // A button running fn(answer) after an optional confirmation ({title, text, confirm, danger,
    // input}: see dialog.js); @done is the message shown afterwards.
    button(label, { fn, done: msg, confirm = null, cls = null, id = null, leave = null }) {
      const b = h('button', { type: 'button', class: cls, id }, label);
      b.addEventListener('click', async () => {
        let answer = true;
        if (confirm) {
          answer = await confirmStep(confirm);
          if (answer === false || answer === null) return;
        }
        close();
        await after(() => fn(answer), area, msg, b, leave);
      });
      row.append(b);
      return b;
    },
    // Any other control in the bar (a link, a download button).
    add(el2) { row.append(el2); return el2; },
    // A button that opens @build(panel) -> form under the bar (one at a time).
    expand(label, build, { id = null } = {}) {
      const pid = `panel-${++uid}`;
      const b = h('button', { type: 'button', class: 'secondary', id, 'aria-expanded': 'false', 'aria-controls': pid }, label);
      b.addEventListener('click', () => {
        if (openBtn === b) { close(); b.focus(); return; }
        close();
        clearDone(area);
        clearErrors(area);
        openBtn = b;
        b.setAttribute('aria-expanded', 'true');
        const panel = h('div', { id: pid, class: 'action-panel' });
        // Escape folds the form away again, back to its button (typed text is dropped only
        // when nothing was typed)
        panel.addEventListener('keydown', (ev) => {
          if (ev.key !== 'Escape' || ev.defaultPrevented) return;
          const typed = [...panel.querySelectorAll('input, textarea')].some((x) => x.value.trim());
          if (typed) return;
          ev.preventDefault();
          close();
          b.focus();
        });
        panels.append(panel);
        const form = build(panel, () => { close(); b.focus(); });
        if (form) {
          panel.append(form);
          form.addEventListener('input', () => { if (form.querySelector('.error-msg[role="alert"]')) clearErrors(form); });
        }
        const first = panel.querySelector('input, textarea, select');
        if (first) first.focus();
      });
      row.append(b);
      return b;
    },
    // Run @fn for a form in a panel; errors inside the form, success by the bar.
    submit: (form, fn, msg, btn) => after(fn, form, msg, btn),
    run: (fn, msg) => after(fn, area, msg, null),
    done: (text) => done(area, text),
    failed: (e) => failed(area, e),
    close,
  };
  return bar;
}

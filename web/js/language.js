// The account page's choice of language (issue 23): one of the languages Dissent speaks, or
// none (the browser's), kept with the account (PATCH /api/v1/me) so that its emails follow too.
// Choosing one redraws the page in it at once.
import { api } from './api.js';
import { h, field } from './dom.js';
import { showError, showDone } from './errors.js';
import { LANGUAGES, pick, t, useLanguage } from './i18n.js';

// @me: GET /api/v1/me's answer; @redraw(me) draws the page again in the new language.
export function languageSection(me, { fail, redraw }) {
  const browser = LANGUAGES.find((l) => l.code === pick(null));
  const select = h('select', { name: 'language', 'data-field': 'language' },
    h('option', { value: '' }, t('language.browser', { language: browser.name })),
    LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code, dir: l.dir || 'ltr' }, l.name)));
  select.value = me.language || '';
  const form = h('form', { 'aria-label': t('language.title'), id: 'language-form' },
    h('h2', {}, t('language.title')),
    h('p', {}, t('language.intro')),
    field(t('language.label'), select),
    h('button', { type: 'submit' }, t('language.save')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const next = (await api('PATCH', '/api/v1/me', { language: select.value || null })).data;
      await useLanguage(pick(next.language));
      redraw(next);
      showDone(document.getElementById('language-form') || form, t('language.saved'));
    } catch (e) {
      if (e.code === 'unauthorized') fail(e); else showError(form, e);
    }
  });
  return form;
}

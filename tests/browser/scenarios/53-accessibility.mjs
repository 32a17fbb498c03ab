// The accessibility audit (issue 23; docs/accessibility.md): every page of the web interface, in
// every language, on a phone, for the role that sees it, through axe-core's WCAG 2.0, 2.1 and
// 2.2 A and AA rules with no violation of any impact, no horizontal overflow and every control
// named (shot() checks all three), and no catalog key shown in place of a message. Memos in
// every state a reader meets are set up first through the API.
import { expect, settled, shot, createUsers, apiLogin, adminApi, signIn, tr, clean, axeRuns } from '../lib.mjs';

const PHONE = { width: 375, height: 800 };
const LANGS = ['en', 'fr', 'de', 'es', 'ar'];
const LOCALE = { en: 'en-US', fr: 'fr-FR', de: 'de-DE', es: 'es-ES', ar: 'ar' };

async function noKeys(p, where) {
  const text = await p.locator('body').innerText();
  const keys = (text.match(/\b[a-z]+(\.[a-z][a-zA-Z]*){1,4}\b/g) || [])
    .filter((k) => !/^(dissent|example)\./.test(k) && !/\.(json|txt|pdf|md|org|com|state)$/.test(k));
  expect(!keys.length, `${where}: catalog keys shown as text: ${keys.join(', ')}`);
}

// Visit @hash, wait for its drawing, and audit it.
async function audit(p, lang, name, hash) {
  await p.goto(hash.startsWith('/') ? hash : `/${hash}`);
  await settled(p);
  const got = await p.evaluate(() => document.documentElement.lang);
  expect(got === lang, `${name}: the page is in ${got}, not ${lang}`);
  await shot(p, `53-${lang}-${name}`);
  await noKeys(p, `${lang} ${name}`);
}

// Put the signed-in account of page @p in @lang, and reload into it.
async function speak(p, lang) {
  const status = await p.evaluate(async (code) => (await fetch('/api/v1/me', {
    method: 'PATCH', credentials: 'same-origin',
    headers: { 'X-Requested-With': 'dissent', 'Content-Type': 'application/json' },
    body: JSON.stringify({ language: code }),
  })).status, lang);
  expect(status === 200, `language ${lang}: ${status}`);
  await p.reload();
  await p.getByRole('button', { name: tr(lang, 'chrome.signOut') }).waitFor();
  await settled(p);
}

export default async function (t) {
  const { srv } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['cole', ['staff'], 'Cole Cosigner'],
    ['olga', ['officer'], 'Olga Officer'], ['pia', ['principal'], 'Pia Principal'],
    ['rita', ['records'], 'Rita Records'], ['aude', ['auditor'], 'Aude Auditor']]);
  await adminApi(srv);
  const dora = await apiLogin(srv, 'dora');
  const olga = await apiLogin(srv, 'olga');
  const step = async (call, id, what, body) => {
    const r = await call('POST', `/api/v1/memos/${id}/${what}`, body);
    expect(r.status < 300, `${what}: ${r.status} ${await r.text()}`);
  };
  // a draft with an invitation, and a filed memo acknowledged and distributed to the principal
  const draft = await (await dora('POST', '/api/v1/memos', { title: 'Draft on procurement', body: 'A **draft**.' })).json();
  await step(dora, draft.id, 'invitations', { usernames: ['cole'] });
  const filed = await (await dora('POST', '/api/v1/memos', { title: 'Objection to the travel policy', body: 'It delays urgent missions.' })).json();
  for (const s of ['finalize', 'signatures', 'file']) await step(dora, filed.id, s);
  await step(olga, filed.id, 'acknowledge');
  await step(olga, filed.id, 'distribution', { usernames: ['pia'] });

  t.step('the pages before signing in, in every language', async () => {
    for (const lang of LANGS) {
      const p = await t.person(`anon-${lang}`, { ...PHONE, locale: LOCALE[lang] });
      await audit(p, lang, 'signin', '#/signin');
      await audit(p, lang, 'enrol', '#/enrol');
      await audit(p, lang, 'forgot', '#/forgot');
      clean(p);
      await p.close();
    }
  });

  // each role's pages, in each language (the account's choice, changed from the page)
  const PAGES = {
    dora: [['memos', '#/memos'], ['new', '#/new'], ['editor', `#/memo/${draft.id}/edit`],
      ['memo-filed', `#/memo/${filed.id}`], ['account', '#/account'], ['not-found', '#/no-such-page']],
    cole: [['invited', `#/memo/${draft.id}`], ['memos-cosigner', '#/memos']],
    olga: [['inbox', '#/inbox'], ['memo-officer', `#/memo/${filed.id}`], ['stats', '#/stats'], ['calendar', '#/calendar']],
    pia: [['reading', '#/reading'], ['memo-principal', `#/memo/${filed.id}`]],
    admin: [['admin', '#/admin'], ['account-admin', '#/account']],
    rita: [['records', '#/records']],
    aude: [['stats-auditor', '#/stats']],
  };
  for (const [who, pages] of Object.entries(PAGES)) {
    t.step(`${who}'s pages in every language`, async () => {
      const p = await t.person(`${who}-a11y`, PHONE);
      await signIn(p, who, who === 'admin' ? { password: srv.password } : {});
      for (const lang of LANGS) {
        if (lang !== 'en') await speak(p, lang);
        for (const [name, hash] of pages) await audit(p, lang, name, hash);
      }
      await speak(p, 'en');
      clean(p);
    });
  }

  // WCAG 1.4.10 (reflow at 320 CSS px, what 400 % zoom of a 1280 px screen gives) and 1.4.12
  // (text spacing): with the spacing the criterion sets, the pages still fit the width
  t.step('320 px wide with WCAG 1.4.12 text spacing: nothing overflows, in English and Arabic', async () => {
    const p = await t.person('dora-reflow', { width: 320, height: 640 });
    await signIn(p, 'dora');
    const spacing = '* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; } p { margin-bottom: 2em !important; }';
    for (const lang of ['en', 'ar']) {
      if (lang !== 'en') await speak(p, lang);
      for (const [name, hash] of [['memos', '#/memos'], ['editor', `#/memo/${draft.id}/edit`], ['memo', `#/memo/${filed.id}`], ['account', '#/account']]) {
        await p.goto(`/${hash}`);
        await settled(p);
        // a constructed style sheet: the page's Content-Security-Policy allows no inline <style>
        await p.evaluate((css) => { const sh = new CSSStyleSheet(); sh.replaceSync(css); document.adoptedStyleSheets = [...document.adoptedStyleSheets, sh]; }, spacing);
        expect(await p.evaluate(() => getComputedStyle(document.querySelector('main')).letterSpacing) !== 'normal', 'the spacing applies');
        await shot(p, `53-${lang}-${name}-320-spacing`);
      }
    }
    await speak(p, 'en');
    clean(p);
  });

  t.step('every page was audited in every language', async () => {
    const pages = 3 + Object.values(PAGES).reduce((n, l) => n + l.length, 0);
    expect(axeRuns >= pages * LANGS.length, `axe ran ${axeRuns} times for ${pages} pages × ${LANGS.length} languages`);
  });
}

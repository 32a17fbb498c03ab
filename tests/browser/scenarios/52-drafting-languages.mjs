// The drafter's path in French and in Arabic (issue 23), on a phone: sign in through the form in
// the page's language, start a memo from the menu, write it, finalize it, sign it, file it, and
// find it filed in the list, every screen in the reader's language (no catalog key, no English
// heading), right to left in Arabic, nothing wider than 375 px, and no accessibility finding.
// The memo's own words are the drafter's: they are shown as written, never translated.
import { expect, expectText, shot, createUsers, settled, clean, tr, catalog, apiLogin, signIn } from '../lib.mjs';

const PHONE = { width: 375, height: 800 };

// A catalog key shown instead of its message ("memo.sign.button") means a message is missing.
async function noKeys(p, where) {
  const text = await p.locator('body').innerText();
  const keys = text.match(/\b[a-z]+(\.[a-z][a-zA-Z]*){1,4}\b/g) || [];
  const real = keys.filter((k) => !/^(dissent|example)\./.test(k) && !/\.(json|txt|pdf|md|org|com)$/.test(k));
  expect(!real.length, `${where}: catalog keys shown as text: ${real.join(', ')}`);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The longest stretch of a message's own words, between its placeholders.
const longest = (lang, key) => catalog(lang)[key].split(/\{\w+\}/).reduce((a, b) => (b.trim().length > a.length ? b.trim() : a), '');

async function walk(t, lang, who, title, body) {
  const w = (key, vars) => tr(lang, key, vars);
  const p = await t.person(who, { ...PHONE, locale: lang === 'fr' ? 'fr-FR' : 'en-US' });
  if (lang === 'ar') {
    // her account's choice, not the browser's: Arabic although the browser asks for English
    const a = await apiLogin(t.srv, who);
    const r = await a('PATCH', '/api/v1/me', { language: 'ar' });
    expect(r.status === 200, `language: ${r.status}`);
    // the browser's language (English) until the account says otherwise: the sign-in page is
    // English, everything after it Arabic
    await signIn(p, who, { then: 'ar' });
  } else {
    await signIn(p, who, { lang });
  }
  const dir = await p.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
  expect(dir[0] === lang && dir[1] === (lang === 'ar' ? 'rtl' : 'ltr'), `${lang}: lang and dir ${dir}`);
  await shot(p, `52-${lang}-my-memos`);
  await noKeys(p, `${lang} my memos`);

  // a new memo from the menu
  await p.getByRole('link', { name: w('nav.new'), exact: true }).click();
  await expectText(p.locator('h1'), new RegExp(`^${w('editor.new.title')}$`));
  await p.getByLabel(w('editor.title'), { exact: true }).fill(title);
  await p.getByLabel(w('editor.text')).fill(body);
  await shot(p, `52-${lang}-new-memo`);
  await noKeys(p, `${lang} new memo`);
  await p.getByRole('button', { name: w('editor.new.create') }).click();

  // the editor: saved, with the preview; then finalize after its question
  await p.locator('#draft-body').waitFor();
  await p.locator('#draft-body').fill(`${body}\n\n${body}`);
  await p.getByRole('button', { name: w('editor.saveNow') }).click();
  await expectText(p.locator('#save-status'), new RegExp(escape(longest(lang, 'editor.saved'))));
  await shot(p, `52-${lang}-editor`);
  await noKeys(p, `${lang} editor`);
  await p.getByRole('button', { name: w('editor.finalize.button'), exact: true }).click();
  const dialog = p.getByRole('dialog');
  await shot(p, `52-${lang}-finalize-question`);
  await dialog.getByRole('button', { name: w('editor.finalize.confirm') }).click();

  // the memo page: sign, then file after its question
  await p.getByRole('button', { name: w('memo.sign.button') }).click();
  await expectText(p.locator('#memo-actions .done-msg'), new RegExp(escape(longest(lang, 'memo.sign.done'))));
  await p.getByRole('button', { name: w('memo.file.button') }).click();
  await shot(p, `52-${lang}-file-question`);
  await p.getByRole('dialog').getByRole('button', { name: w('memo.file.confirm') }).click();
  await expectText(p.locator('#memo-actions .done-msg'), new RegExp(escape(longest(lang, 'memo.file.done'))));
  await settled(p);
  // the header says filed, in the language; the memo's text is as she wrote it
  await expectText(p.locator('main'), new RegExp(w('status.state.filed')));
  await expectText(p.locator('#memo-text'), new RegExp(body.slice(0, 12)));
  await shot(p, `52-${lang}-filed`);
  await noKeys(p, `${lang} filed memo`);

  // her list shows it filed
  await p.getByRole('link', { name: w('nav.memos'), exact: true }).click();
  await settled(p);
  await expectText(p.locator('main'), new RegExp(title));
  await shot(p, `52-${lang}-list`);
  await noKeys(p, `${lang} list`);
  clean(p);
  return p;
}

export default async function (t) {
  await createUsers(t.srv, [['amelie', ['staff'], 'Amélie Aubert'], ['samira', ['staff'], 'سميرة'],
    ['omar', ['officer'], 'Omar Officer']]);

  t.step('a drafter in French: write, finalize, sign and file, all in French', async () => {
    await walk(t, 'fr', 'amelie', 'Objection à la politique de voyages', 'La nouvelle politique retarde les missions urgentes.');
  });

  t.step('a drafter in Arabic: the same path right to left, the menu mirrored', async () => {
    const p = await walk(t, 'ar', 'samira', 'اعتراض على سياسة السفر', 'السياسة الجديدة تؤخر المهام العاجلة.');
    // right to left: the brand (first in the header) sits at the right
    const [brand, who] = await p.evaluate(() => [document.querySelector('.brand').getBoundingClientRect().left,
      document.getElementById('who').getBoundingClientRect().left]);
    expect(brand > who, `the brand at the right in Arabic: brand ${brand}, account ${who}`);
  });
}

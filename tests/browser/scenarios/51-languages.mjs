// Languages (issue 23), on a phone: a browser that asks for French gets the chrome in French
// (the menu, the account link, the sign-out button, the page's lang), an account that chooses
// Arabic gets it right to left at once and at its next visit, and going back to the browser's
// language gives French again. Nothing overflows at 375 px in either direction. (The rest of the
// interface is translated in the next steps of the issue: only what is translated is checked.)
import { expect, expectText, shot, createUsers, settled, clean, PW } from '../lib.mjs';

const PHONE = { width: 375, height: 800 };

// Sign in through the form (its words are English still); wait for the chrome's sign-out button,
// named @signOut in the page's language.
async function signInAs(p, username, signOut) {
  await p.goto('/#/signin');
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password', { exact: true }).fill(PW);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('button', { name: signOut }).waitFor();
  await settled(p);
  clean(p);
}

async function chrome(p) {
  return p.evaluate(() => ({
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    nav: [...document.querySelectorAll('#nav a > span:first-child')].map((s) => s.textContent),
    label: document.getElementById('nav').getAttribute('aria-label'),
    dirOf: getComputedStyle(document.body).direction,
  }));
}

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['lena', ['staff'], 'Léna Lefèvre']]);

  t.step('a browser asking for French: the chrome in French, the page lang fr', async () => {
    const p = ctx.lena = await t.person('lena', { ...PHONE, locale: 'fr-FR' });
    await p.goto('/');
    await p.getByLabel('Username').waitFor();
    await expectText(p.locator('html'), /./);
    expect(await p.evaluate(() => document.documentElement.lang) === 'fr', 'lang fr before signing in');
    await signInAs(p, 'lena', 'Se déconnecter');
    const c = await chrome(p);
    expect(c.lang === 'fr' && c.dir === 'ltr' && c.dirOf === 'ltr', `fr, ltr: ${JSON.stringify(c)}`);
    expect(JSON.stringify(c.nav) === JSON.stringify(['Mes mémos', 'Nouveau mémo']), `menu: ${c.nav}`);
    expect(c.label === 'Navigation principale', `menu's name: ${c.label}`);
    expect(await p.getByRole('link', { name: 'Léna Lefèvre' }).getAttribute('title') === 'Votre compte', 'account link');
    await shot(p, '51-french-phone');
  });

  t.step('choosing Arabic on the account page: right to left at once, and at the next visit', async () => {
    const p = ctx.lena;
    await p.goto('/#/account');
    const form = p.locator('#language-form');
    await expectText(form.locator('h2'), /^Langue$/);
    await form.getByLabel('Langue').selectOption('ar');
    await form.getByRole('button', { name: 'Enregistrer' }).click();
    await p.getByRole('button', { name: 'تسجيل الخروج' }).waitFor();
    await expectText(p.locator('#language-form h2'), /^اللغة$/);
    await expectText(p.locator('#language-form'), /تم حفظ اللغة/);
    let c = await chrome(p);
    expect(c.lang === 'ar' && c.dir === 'rtl' && c.dirOf === 'rtl', `ar, rtl: ${JSON.stringify(c)}`);
    expect(JSON.stringify(c.nav) === JSON.stringify(['مذكراتي', 'مذكرة جديدة']), `menu: ${c.nav}`);
    // right to left: the menu's first entry is to the right of its second
    const [a, b] = await p.locator('#nav a').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().left));
    expect(a > b || Math.abs(a - b) < 1, `first entry at ${a}, second at ${b}`);
    await shot(p, '51-arabic-account-phone');
    await p.reload();
    await p.getByRole('button', { name: 'تسجيل الخروج' }).waitFor();
    await settled(p);
    c = await chrome(p);
    expect(c.lang === 'ar' && c.dir === 'rtl', `kept: ${JSON.stringify(c)}`);
    await shot(p, '51-arabic-menu-phone');
  });

  t.step('the browser\'s language again: French', async () => {
    const p = ctx.lena;
    await p.goto('/#/account');
    const form = p.locator('#language-form');
    await expectText(form.locator('h2'), /^اللغة$/);
    await form.getByLabel('اللغة').selectOption('');
    await form.getByRole('button', { name: 'حفظ' }).click();
    await p.getByRole('button', { name: 'Se déconnecter' }).waitFor();
    const c = await chrome(p);
    expect(c.lang === 'fr' && c.dir === 'ltr', `back to French: ${JSON.stringify(c)}`);
    await shot(p, '51-french-again-phone');
  });
}

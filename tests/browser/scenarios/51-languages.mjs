// Languages (issue 23), on a phone: a browser that asks for French gets the sign-in page and the
// chrome in French (the menu, the account link, the sign-out button, the page's lang), an account
// that chooses Arabic gets it right to left at once and at its next visit, going back to the
// browser's language gives French again, and a browser that asks for Arabic signs in right to
// left. Nothing overflows at 375 px in either direction. (The rest of the interface is translated
// in the next steps of the issue: only what is translated is checked.)
import { expect, expectText, shot, createUsers, settled, clean, allowHttp, PW } from '../lib.mjs';

const PHONE = { width: 375, height: 800 };

// The sign-in form's words, and the chrome's sign-out button, in each language checked here.
const WORDS = {
  fr: { user: 'Nom d’utilisateur', pass: 'Mot de passe', submit: 'Se connecter', signOut: 'Se déconnecter' },
  ar: { user: 'اسم المستخدم', pass: 'كلمة المرور', submit: 'تسجيل الدخول', signOut: 'تسجيل الخروج' },
};

// Sign in through the form in the page's language @lang.
async function signInAs(p, username, lang) {
  const w = WORDS[lang];
  await p.goto('/#/signin');
  await expectText(p.locator('h1'), new RegExp(`^${w.submit}$`));
  await p.getByLabel(w.user).fill(username);
  await p.getByLabel(w.pass, { exact: true }).fill(PW);
  await p.getByRole('button', { name: w.submit, exact: true }).click();
  await p.getByRole('button', { name: w.signOut }).waitFor();
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
    await p.getByLabel('Nom d’utilisateur').waitFor();
    expect(await p.evaluate(() => document.documentElement.lang) === 'fr', 'lang fr before signing in');
    await expectText(p.locator('main'), /Connectez-vous avec le compte que votre administrateur vous a donné/);
    // a wrong password: the reason in French, in the form
    await p.getByLabel('Nom d’utilisateur').fill('lena');
    await p.getByLabel('Mot de passe', { exact: true }).fill('pas le bon mot de passe');
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await expectText(p.locator('main .error-msg'), /^Ce nom d’utilisateur et ce mot de passe ne correspondent à aucun compte actif\.$/);
    await shot(p, '51-french-sign-in-phone');
    // the pages next to it: enrolment and the forgotten password, and back
    await p.getByRole('link', { name: /Inscrivez-vous avec votre code/ }).click();
    await expectText(p.locator('h1'), /^S’inscrire$/);
    await p.getByLabel('Code d’inscription', { exact: true }).waitFor();
    await shot(p, '51-french-enrol-phone');
    await p.getByRole('link', { name: 'Retour à la connexion' }).click();
    await p.getByRole('link', { name: /Mot de passe oublié/ }).click();
    await expectText(p.locator('h1'), /^Mot de passe oublié \?$/);
    await p.getByLabel('Clé de récupération', { exact: true }).waitFor();
    await signInAs(p, 'lena', 'fr');
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
    // the account page itself: its title, the account's facts, the password form, the emails
    await expectText(p.locator('h1'), /^حسابك$/);
    await expectText(p.locator('dl.meta'), /اسم المستخدم[\s\S]*الأدوار[\s\S]*موظف/);
    await expectText(p.locator('form[aria-label="تغيير كلمة المرور"] h2'), /^غيّر كلمة المرور$/);
    await expectText(p.locator('form[aria-label="إشعارات البريد الإلكتروني"]'), /دعوتي إلى المشاركة في توقيع مذكرة/);
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

  t.step('a browser asking for Arabic: the sign-in page right to left, then the chrome', async () => {
    const p = await t.person('lena-ar', { ...PHONE, locale: 'ar-EG' });
    await p.goto('/');
    await p.getByLabel('اسم المستخدم').waitFor();
    const before = await chrome(p);
    expect(before.lang === 'ar' && before.dir === 'rtl' && before.dirOf === 'rtl', `sign-in: ${JSON.stringify(before)}`);
    await p.getByLabel('اسم المستخدم').fill('lena');
    await p.getByLabel('كلمة المرور', { exact: true }).fill('wrong password');
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByRole('button', { name: 'تسجيل الدخول', exact: true }).click();
    await expectText(p.locator('main .error-msg'), /^اسم المستخدم وكلمة المرور هذان لا يطابقان أي حساب نشط\.$/);
    await shot(p, '51-arabic-sign-in-phone');
    await signInAs(p, 'lena', 'ar');
    // her own choice (the browser's, set above) follows the browser: Arabic here
    const c = await chrome(p);
    expect(c.lang === 'ar' && c.dir === 'rtl', `after: ${JSON.stringify(c)}`);
    expect(JSON.stringify(c.nav) === JSON.stringify(['مذكراتي', 'مذكرة جديدة']), `menu: ${c.nav}`);
  });
}

// Accounts, under the default settings: signing in (the code field only when asked; errors in
// the form), enrolling with the code an administrator gave and keeping the recovery key (copy,
// download), "forgot password" with the recovery key, a one-time notice that survives the
// navigation after it, and an administrator's resets: a two-factor sign-in reset that keeps the
// keys, and an account reset (a new enrolment code) confirmed before it runs.
import fs from 'node:fs';
import { expect, expectText, shot, clean, signIn, createUsers, adminApi, apiLogin, allowHttp, enrolInBrowser, enrolAccount, PW } from '../lib.mjs';

const RAW = /\(field:|bytes|\/api\/|[a-z]+_[a-z]+/;

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['olga', ['officer'], 'Olga Officer'], ['adam', ['admin'], 'Adam Admin']]);
  // sam enrols in the browser, with the code the admin was shown
  const made = await (await adminApi(srv))('POST', '/api/v1/users', { username: 'sam', roles: ['staff'], display_name: 'Sam Staff' });
  expect(made.status === 201, `create sam: ${made.status}`);
  ctx.samCode = (await made.json()).enrolment.code;
  // a filed memo olga can read, to show that a two-factor reset keeps her keys
  const dora = await apiLogin(srv, 'dora');
  const m = await (await dora('POST', '/api/v1/memos', { title: 'Keys stay', body: 'Text.' })).json();
  for (const step of ['finalize', 'signatures', 'file']) {
    const r = await dora('POST', `/api/v1/memos/${m.id}/${step}`);
    expect(r.status < 300, `${step}: ${r.status} ${await r.text()}`);
  }
  ctx.memo = m.id;

  t.step('sign-in: no code field before the password; a wrong password is explained in the form', async () => {
    const p = ctx.sam = await t.person('sam', { permissions: ['clipboard-read', 'clipboard-write'] });
    await p.goto('/');
    await p.getByLabel('Username').waitFor();
    expect(!(await p.getByLabel('Code from your authenticator app').isVisible()), 'the code field is hidden');
    await p.getByLabel('Username').fill('sam');
    await p.getByLabel('Password', { exact: true }).fill('not the password');
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByRole('button', { name: 'Sign in' }).click();
    const err = p.locator('form[aria-label="Sign in"] .error-msg');
    await expectText(err, /do not match an active account/);
    expect(!RAW.test(await err.innerText()), `plain words: ${await err.innerText()}`);
    expect(await p.evaluate(() => document.activeElement && document.activeElement.name) === 'password', 'focus on the password');
    await shot(p, '40-sign-in-error');
  });

  t.step('enrolment: the code, a password typed twice, and the recovery key copied and downloaded', async () => {
    const p = ctx.sam;
    await p.getByRole('link', { name: /Enrol with your code/ }).click();
    await expectText(p.locator('h1'), /^Enrol$/);
    await p.getByLabel('Username').fill('sam');
    await p.getByLabel('Enrolment code').fill(ctx.samCode);
    await p.getByLabel('Choose a password').fill(PW);
    await p.getByLabel('The password again').fill('not the same');
    await p.getByRole('button', { name: 'Enrol' }).click();
    await expectText(p.locator('main .error-msg'), /two passwords differ/);
    await shot(p, '40-enrol');
    await p.getByLabel('The password again').fill(PW);
    await p.getByRole('button', { name: 'Enrol' }).click();
    await expectText(p.locator('h1'), /recovery key/i);
    ctx.key = (await p.locator('#recovery-key').innerText()).trim();
    await p.getByRole('button', { name: 'Copy the recovery key' }).click();
    await expectText(p.locator('.keep [role=status]'), /Copied/);
    expect(await p.evaluate(() => navigator.clipboard.readText()) === ctx.key, 'the clipboard holds the key');
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Download the recovery key' }).click()]);
    expect(dl.suggestedFilename() === 'dissent-recovery-key-sam.txt', `file name ${dl.suggestedFilename()}`);
    expect(fs.readFileSync(await dl.path(), 'utf8').includes(ctx.key), 'the file holds the key');
    await shot(p, '40-recovery-key-keep');
    await p.getByLabel('I have written down my recovery key').check();
    await p.getByRole('button', { name: 'Continue' }).click();
    await expectText(p.locator('h1'), /My memos/);
    clean(p);
  });

  t.step('forgot password: a new password with the recovery key, and a new key shown once', async () => {
    const p = ctx.sam;
    await p.getByRole('button', { name: 'Sign out' }).click();
    await expectText(p.locator('main .page-msg'), /You are signed out/);
    await p.getByRole('link', { name: /Forgot your password/ }).click();
    await expectText(p.locator('h1'), /Forgot your password/);
    await p.getByLabel('Username').fill('sam');
    await p.getByLabel('Recovery key', { exact: true }).fill(ctx.key);
    await p.getByLabel('New password', { exact: true }).fill('a brand new password');
    await p.getByLabel('New password again').fill('a different password');
    await p.getByRole('button', { name: 'Set the new password' }).click();
    await expectText(p.locator('main .error-msg'), /two new passwords differ/);
    expect(await p.evaluate(() => document.activeElement && document.activeElement.getAttribute('data-field')) === 'new_password2', 'focus on the second password');
    await shot(p, '40-forgot-password');
    await p.getByLabel('New password again').fill('a brand new password');
    await p.getByRole('button', { name: 'Set the new password' }).click();
    await expectText(p.locator('h1'), /Your new recovery key/);
    const key2 = (await p.locator('#recovery-key').innerText()).trim();
    expect(key2 !== ctx.key && key2.length >= 32, 'a new key');
    await shot(p, '40-forgot-password-new-key');
    await p.getByRole('link', { name: 'Sign in with the new password' }).click();
    await signIn(p, 'sam', { password: 'a brand new password' });
    await expectText(p.locator('h1'), /My memos/);
  });

  t.step('an admin resets an officer\'s two-factor sign-in; she re-enrols and keeps her keys', async () => {
    const before = await apiLogin(srv, 'olga');
    const r0 = await (await before('GET', `/api/v1/memos/${ctx.memo}`)).json();
    expect(r0.title === 'Keys stay', `olga reads the memo first: ${JSON.stringify(r0).slice(0, 200)}`);
    const p = ctx.adam = await t.person('adam');
    await signIn(p, 'adam');
    await expectText(p.locator('h1'), /Accounts/);
    await p.getByRole('button', { name: 'Edit olga' }).click();
    await p.getByRole('button', { name: 'Reset two-factor sign-in' }).click();
    const dlg = p.locator('dialog[open]');
    await expectText(dlg, /keys and access to memos stay/);
    await shot(p, '40-admin-reset-2fa-dialog');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    expect(await p.locator('dialog[open]').count() === 0, 'the dialog is closed');
    expect(await p.evaluate(() => document.activeElement && document.activeElement.textContent) === 'Reset two-factor sign-in', 'the focus is back on the button');
    // still on: a sign-in without a code is refused
    const r1 = await fetch(`${srv.url}/api/v1/session`, { method: 'POST', headers: { 'X-Requested-With': 'dissent', 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'olga', password: PW }) });
    expect(r1.status === 401 && (await r1.json()).error.code === 'totp_required', 'cancel changed nothing');
    await p.getByRole('button', { name: 'Reset two-factor sign-in' }).click();
    await p.locator('dialog[open]').getByRole('button', { name: 'Reset two-factor sign-in' }).click();
    await expectText(p.locator('main .done-msg'), /Two-factor sign-in of olga is off/);
    srv.totp.secrets.delete('olga');
    const o = ctx.olga = await t.person('olga');
    await signIn(o, 'olga');
    await expectText(o.locator('h1'), /Your account/);
    await enrolInBrowser(o, 'olga');
    await o.getByRole('link', { name: 'Officer inbox' }).click();
    await expectText(o.locator('h1'), /Officer inbox/);
    await o.goto(`/#/memo/${ctx.memo}`);
    await expectText(o.locator('#memo-text'), /Text\./);
    clean(o);
  });

  t.step('an admin\'s account reset asks first, then gives a new code; sam enrols again', async () => {
    const p = ctx.adam;
    await p.goto('/#/admin');
    await p.getByRole('button', { name: 'Edit sam' }).click();
    expect(await p.locator('#edit-area').getByLabel(/password/i).count() === 0, 'no password field for the admin');
    await p.getByRole('button', { name: 'Reset the account' }).click();
    const dlg = p.locator('dialog[open]');
    await expectText(dlg, /loses their password, keys/);
    await expectText(dlg, /access to every memo shared with them before/);
    await shot(p, '40-admin-account-reset-dialog');
    await p.keyboard.press('Escape');
    expect(await p.locator('dialog[open]').count() === 0, 'Escape closes the dialog');
    await apiLogin(srv, 'sam', 'a brand new password'); // unchanged
    await p.getByRole('button', { name: 'Reset the account' }).click();
    await p.locator('dialog[open]').getByRole('button', { name: 'Reset the account' }).click();
    await expectText(p.locator('main .page-msg'), /sam was reset/);
    const code = (await p.locator('pre[aria-label="Enrolment code"]').innerText()).trim();
    await expectText(p.locator('tr', { hasText: 'Sam Staff' }), /not enrolled/);
    await shot(p, '40-admin-account-reset-code');
    clean(p);
    const s = await t.person('sam-again');
    const key = await enrolAccount(s, 'sam', code, { password: 'sam chose this one' });
    expect(key !== ctx.key, 'a new recovery key');
    await expectText(s.locator('h1'), /My memos/);
    clean(s);
  });

  t.step('signing in with a recovery code: the notice of codes left stays after the page changes', async () => {
    const p = await t.person('olga-2');
    // olga's recovery codes come from her enrolment above
    const list = await (async () => {
      const call = await apiLogin(srv, 'olga');
      const r = await call('POST', '/api/v1/me/totp/recovery-codes', { code: await srv.totp.code('olga') });
      expect(r.status === 200, `new codes: ${r.status}`);
      return (await r.json()).recovery_codes;
    })();
    await p.goto('/');
    await p.getByLabel('Username').fill('olga');
    await p.getByLabel('Password', { exact: true }).fill(PW);
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expectText(p.locator('form .note'), /enter the code from your authenticator app/i);
    expect(await p.locator('form .error-msg').count() === 0, 'the prompt for a code is not an error');
    await shot(p, '40-sign-in-code-prompt');
    await p.getByLabel('Code from your authenticator app').fill(list[0]);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expectText(p.locator('h1'), /Officer inbox/);
    await expectText(p.locator('main .page-msg'), /recovery code: 9 left/);
    await p.waitForTimeout(1000);
    await expectText(p.locator('main .page-msg'), /recovery code: 9 left/);
    clean(p);
  });

  // last: a failed attempt counts against this address for the rest of the window
  t.step('a wrong enrolment code is refused in plain words and spends nothing', async () => {
    const made2 = await (await adminApi(srv))('POST', '/api/v1/users', { username: 'ned', roles: ['staff'] });
    const { code } = (await made2.json()).enrolment;
    const p = await t.person('ned');
    await p.goto('/#/enrol');
    allowHttp(p, 401, 'POST', '/api/v1/enrol');
    await p.getByLabel('Username').fill('ned');
    await p.getByLabel('Enrolment code').fill('00000000-00000000-00000000-00000000');
    await p.getByLabel('Choose a password').fill(PW);
    await p.getByLabel('The password again').fill(PW);
    await p.getByRole('button', { name: 'Enrol' }).click();
    const err = p.locator('main .error-msg');
    await expectText(err, /enrolment code do not match/);
    expect(!RAW.test(await err.innerText()), `plain words: ${await err.innerText()}`);
    // the real code is untouched: the account still awaits its enrolment
    const users = await (await (await adminApi(srv))('GET', '/api/v1/users')).json();
    const ned = users.users.find((u) => u.username === 'ned');
    expect(ned && ned.enrolled === false && ned.enrolment_expires_at, `ned still awaits enrolment: ${JSON.stringify(ned)}`);
    expect(code.length === 35, 'a code was issued');
    clean(p);
  });
}

// Issue 19, part 1: passkeys in the browser, with Chromium's virtual authenticator (DevTools'
// WebAuthn domain: user verification on, the PRF extension where this Chromium has it). A
// person adds a passkey on the account page, signs in with the password and the passkey, and
// with the passkey alone (where [security] passwordless is on), which unlocks her memos; a
// replayed answer, a cloned authenticator (its counter going back) and another origin are
// refused. Pages are at http://localhost:PORT: passkeys need a domain, not an IP address.
import { expect, expectText, shot, clean, createUsers, apiLogin, person, allowHttp, settled, checkScreen, PW } from '../lib.mjs';

export const ini = '[security]\npasswordless = true\n';

async function authenticator(p) {
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  const options = { protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true, hasPrf: true };
  let r;
  try {
    r = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
  } catch {
    delete options.hasPrf; // an older Chromium: passkeys without PRF
    r = await cdp.send('WebAuthn.addVirtualAuthenticator', { options });
  }
  return { cdp, id: r.authenticatorId, prf: options.hasPrf === true };
}

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['ann', ['staff'], 'Ann Staff']]);
  const local = srv.url.replace('127.0.0.1', 'localhost');
  const ann = await apiLogin(srv, 'ann');
  const m = await (await ann('POST', '/api/v1/memos', { title: 'Ann kept this', body: 'Text.' })).json();
  ctx.memo = m.id;

  t.step('adds a passkey on the account page, with her password', async () => {
    const p = ctx.p = await person(t.browser, { ...srv, url: local }, 'ann');
    t.pages.push(p);
    ctx.auth = await authenticator(p);
    await p.goto('/#/signin');
    await p.getByLabel('Username').fill('ann');
    await p.getByLabel('Password', { exact: true }).fill(PW);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
    // the sign-in goes on to the start page: let it be drawn, or its drawing would come after
    // (and draw again over) the account page this step fills in
    await p.waitForFunction(() => location.hash && location.hash !== '#/signin');
    await settled(p);
    await p.goto('/#/account');
    await expectText(p.locator('#passkeys'), /No passkey yet/);
    await p.getByLabel('Name of the passkey').fill('Work laptop');
    await p.locator('#passkey-password').fill(PW);
    await p.getByRole('button', { name: 'Add a passkey' }).click();
    await expectText(p.locator('#passkey-list'), /Work laptop/);
    const list = await (await p.evaluate(async () => (await fetch('/api/v1/me/passkeys')).json())).passkeys;
    expect(list.length === 1 && list[0].name === 'Work laptop', `one passkey: ${JSON.stringify(list)}`);
    ctx.unlocks = list[0].unlocks_keys;
    expect(ctx.unlocks === ctx.auth.prf, `unlocks keys exactly when the authenticator has PRF (${ctx.auth.prf}): ${ctx.unlocks}`);
    await shot(p, '45-passkey-added');
    await checkScreen(p, 'the account page with a passkey');
    await p.setViewportSize({ width: 375, height: 800 });
    await p.waitForTimeout(200);
    await checkScreen(p, 'the account page with a passkey, at 375 px');
    await p.setViewportSize({ width: 1280, height: 900 });
    clean(p);
  });

  t.step('signs in with her password, then the passkey', async () => {
    const p = ctx.p;
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('Username').waitFor();
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByLabel('Username').fill('ann');
    await p.getByLabel('Password', { exact: true }).fill(PW);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectText(p.locator('#passkey-step'), /Now use your passkey/);
    // the keyboard reaches it: focus is on the button
    expect(await p.evaluate(() => document.activeElement.id) === 'use-passkey', 'focus on "Use your passkey"');
    await checkScreen(p, 'the passkey step of signing in');
    await p.keyboard.press('Enter');
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
    await expectText(p.locator('h1'), /My memos/);
    await settled(p);
    clean(p);
  });

  t.step('signs in with the passkey alone, which opens her memos; a replay is refused', async () => {
    const p = ctx.p;
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('Username').waitFor();
    let sent = null;
    p.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/session')) sent = r.postData(); });
    if (!ctx.unlocks) allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByRole('button', { name: 'Use a passkey, without a password' }).click();
    if (ctx.unlocks) {
      await p.getByRole('button', { name: 'Sign out' }).waitFor();
      await p.goto(`/#/memo/${ctx.memo}`);
      await expectText(p.locator('h1'), /Ann kept this/);
    } else {
      await expectText(p.locator('.error-msg'), /cannot unlock your memos on its own/);
    }
    // the same answer again, as an eavesdropper would send it
    expect(sent && JSON.parse(sent).passkey, 'the sign-in carried a passkey');
    allowHttp(p, 401, 'POST', '/api/v1/session');
    const again = await p.evaluate(async (body) => {
      const r = await fetch('/api/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'dissent' }, body });
      return { status: r.status, body: await r.json() };
    }, sent);
    expect(again.status === 401 && again.body.error.code === 'passkey_invalid' && /challenge/.test(again.body.error.message), `replay refused: ${JSON.stringify(again)}`);
    clean(p);
  });

  t.step('a cloned authenticator (its counter going back) is refused', async () => {
    const p = ctx.p;
    const { cdp, id } = ctx.auth;
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
    expect(credentials.length === 1 && credentials[0].signCount >= 2, `the credential has signed: ${credentials.map((c) => c.signCount)}`);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: id });
    const clone = await authenticator(p);
    await clone.cdp.send('WebAuthn.addCredential', { authenticatorId: clone.id, credential: { ...credentials[0], signCount: 0 } });
    if (await p.getByRole('button', { name: 'Sign out' }).count()) {
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByLabel('Username').waitFor();
    }
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByLabel('Username').fill('ann');
    await p.getByLabel('Password', { exact: true }).fill(PW);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
    await p.getByRole('button', { name: 'Use your passkey' }).click();
    await expectText(p.locator('.error-msg'), /counter went back/);
    await shot(p, '45-clone-refused');
    clean(p);
  });

  t.step('another origin cannot use the passkey', async () => {
    const p = await person(t.browser, srv, 'mallory');
    t.pages.push(p);
    await authenticator(p);
    await p.goto('/#/signin');
    const r = await p.evaluate(async () => {
      try {
        await navigator.credentials.get({ publicKey: { challenge: new Uint8Array(32), rpId: 'localhost', userVerification: 'required' } });
        return 'signed';
      } catch (e) { return e.name; }
    });
    expect(r === 'SecurityError', `the browser refuses the RP of another origin: ${r}`);
    clean(p);
  });
}

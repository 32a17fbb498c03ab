// Issue 19, part 2: "Sign in with your organisation" against a real OpenID provider (npm's
// oidc-provider, tests/browser/oidc-provider.mjs, its own sign-in and sign-out pages). A person
// new here signs in through it, chooses the key passphrase that opens her memos (the provider
// never sees it), and is shown her recovery key; she signs out of both, and back in with the
// passphrase after a wrong one; a token the provider botched is refused in words. By keyboard,
// with axe and 375 px checks on the new pages.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, expectText, shot, clean, allowHttp, settled, checkScreen } from '../lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SECRET = 'client secret of the browser tests';
const PASSPHRASE = 'sofia keeps this one';
let port = 0;
let provider = null;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

export async function ini() {
  port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dissent-sso-'));
  const secret = path.join(dir, 'client-secret');
  fs.writeFileSync(secret, `${SECRET}\n`);
  return `[oidc]\nissuer = http://127.0.0.1:${port}\nclient_id = dissent\nclient_secret_file = ${secret}\ncreate_accounts = true\nroles_claim = groups\nrole_officer = officers\n`;
}

function startProvider(srv) {
  const proc = spawn('node', [path.join(HERE, '..', 'oidc-provider.mjs'), '--port', String(port), '--client-id', 'dissent',
    '--client-secret', SECRET, '--redirect-uri', `${srv.url}/api/v1/sso/callback`, '--post-logout-uri', `${srv.url}/`],
  { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the OpenID provider did not start')), 20000);
    proc.stdout.once('data', () => { clearTimeout(timer); resolve(proc); });
    proc.on('exit', (c) => reject(new Error(`the OpenID provider exited ${c}`)));
  });
}

async function control(what, body) {
  const r = await fetch(`http://127.0.0.1:${port}/__test/${what}`, { method: 'POST', body: JSON.stringify(body) });
  expect(r.ok, `provider control ${what}: ${r.status}`);
}

// At the provider's own sign-in page (when it asks): any password is that login's.
async function atProvider(p, login) {
  await p.locator('input[name="login"]').waitFor();
  await p.locator('input[name="login"]').fill(login);
  await p.locator('input[name="password"]').fill('whatever the organisation checks');
  await p.keyboard.press('Enter');
}

export default async function (t) {
  const { srv, ctx } = t;
  provider = await startProvider(srv);
  await control('accounts', { sofia: { name: 'Sofia Staff', email: 'sofia@example.org' } });

  t.step('signs in with her organisation the first time, and chooses her key passphrase', async () => {
    const p = ctx.p = await t.person('sofia');
    await p.goto('/#/signin');
    const org = p.getByRole('button', { name: 'Sign in with your organisation' });
    await org.waitFor();
    // the first thing the keyboard reaches: most people sign in this way
    expect(await p.evaluate(() => document.activeElement.id) === 'sso-signin', 'focus on "Sign in with your organisation"');
    await checkScreen(p, 'the sign-in page with the organisation\'s button');
    await p.keyboard.press('Enter');
    await atProvider(p, 'sofia');
    await expectText(p.locator('h1'), /Choose your key passphrase/);
    await expectText(p.locator('main'), /signed you in as Sofia Staff/);
    await checkScreen(p, 'choosing the key passphrase');
    await p.setViewportSize({ width: 375, height: 800 });
    await p.waitForTimeout(200);
    await checkScreen(p, 'choosing the key passphrase, at 375 px');
    await p.setViewportSize({ width: 1280, height: 900 });
    await shot(p, '46-sso-passphrase');
    await p.keyboard.type(PASSPHRASE);
    await p.keyboard.press('Tab');
    await p.keyboard.type(PASSPHRASE);
    await p.keyboard.press('Enter');
    await expectText(p.locator('h1'), /Your recovery key/);
    await p.getByLabel('I have written down my recovery key').check();
    await p.getByRole('button', { name: 'Continue' }).click();
    await expectText(p.locator('h1'), /My memos/);
    const me = await p.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me.username === 'sofia' && me.sso === true && me.display_name === 'Sofia Staff', `signed in: ${JSON.stringify(me)}`);
    await settled(p);
    clean(p);
  });

  t.step('signs out of both, then opens her memos with her passphrase (a wrong one is refused)', async () => {
    const p = ctx.p;
    await p.getByRole('button', { name: 'Sign out' }).click();
    // the provider's own sign-out page, then back here
    await p.getByRole('button', { name: 'Yes, sign me out' }).click();
    await p.getByRole('button', { name: 'Sign in with your organisation' }).click();
    await atProvider(p, 'sofia'); // the provider's session ended: it asks again
    await expectText(p.locator('h1'), /Open your memos/);
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByLabel('Key passphrase').fill('not the passphrase');
    await p.getByRole('button', { name: 'Open my memos' }).click();
    await expectText(p.locator('.error-msg'), /That key passphrase is wrong/);
    await checkScreen(p, 'opening the memos after the organisation\'s sign-in');
    await p.getByLabel('Key passphrase').fill(PASSPHRASE);
    await p.getByRole('button', { name: 'Open my memos' }).click();
    await expectText(p.locator('h1'), /My memos/);
    await settled(p);
    clean(p);
  });

  t.step('a token the provider botched signs nobody in, and says so', async () => {
    await control('mode', { mode: 'expired' });
    const p = await t.person('eve');
    await p.goto('/#/signin');
    await p.getByRole('button', { name: 'Sign in with your organisation' }).click();
    await atProvider(p, 'eve');
    await expectText(p.locator('#sso-error'), /could not be verified, so nobody was signed in/);
    await checkScreen(p, 'a refused sign-in through the organisation');
    await shot(p, '46-sso-refused');
    const me = await p.evaluate(async () => (await fetch('/api/v1/me')).status);
    expect(me === 401, `nobody is signed in: ${me}`);
    p.allow.push(/HTTP 401 GET .*\/api\/v1\/me/, /status of 401/);
    await control('mode', { mode: '' });
    clean(p);
  });
}

export async function teardown() {
  if (!provider) return;
  provider.kill('SIGTERM');
  await new Promise((r) => (provider.exitCode !== null ? r() : provider.once('exit', r)));
  provider = null;
}

// Browser tests for the web interface: the real binary, Debian's Chromium driven by
// playwright-core, one browser context per person. The scenario of issue 6: a drafter writes a
// memo, invites two co-signers who sign, and files; an officer acknowledges, distributes and
// replies; the drafter reads the reply and downloads the receipt; an auditor sees the statistics
// change; a principal reads; an admin manages an account and cannot open the memo.
//
//   node tests/browser/run.mjs [--tap FILE] [--screenshots DIR]
// Env: DISSENT_BIN (default build/dissent), CHROMIUM (default /usr/bin/chromium).
// Each step is one TAP test; a step fails on any console error or failed request it did not
// expect. Screenshots of each main screen go to build/browser-screenshots/.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const TAP = opt('--tap', null);
const SHOTS = opt('--screenshots', path.join(ROOT, 'build', 'browser-screenshots'));
const BIN = process.env.DISSENT_BIN || path.join(ROOT, 'build', 'dissent');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PW = 'correct horse battery';
const TIMEOUT = 15000;

const tap = [];
let n = 0;
let failed = 0;
function report(ok, name, err) {
  n += 1;
  const line = `${ok ? 'ok' : 'not ok'} ${n} - ${name}`;
  tap.push(line);
  console.log(line);
  if (!ok) {
    failed += 1;
    const msg = String(err && err.stack ? err.stack : err).split('\n').slice(0, 8).map((l) => `  # ${l}`).join('\n');
    tap.push(msg);
    console.log(msg);
  }
}

// ---- the server ----
function startServer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dissent-browser-'));
  const cfg = path.join(dir, 'dissent.ini');
  // no role must use two-factor sign-in here (the state-dept preset asks it of officers,
  // principals and admins); one step turns it on for a staff member
  fs.writeFileSync(cfg, '[security]\nargon2_ops = 1\nargon2_mem_kib = 8\nrequire_2fa = none\n');
  const proc = spawn(BIN, ['serve', '--config', cfg, '--data', path.join(dir, 'var'), '--listen', '127.0.0.1:0', '--workers', '2'],
    { stdio: ['ignore', 'pipe', fs.openSync(path.join(dir, 'stderr.log'), 'w')] });
  return new Promise((resolve, reject) => {
    let out = '';
    let password = null;
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const pw = out.match(/^\s*password: (\S+)/m);
      if (pw) password = pw[1];
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve({ proc, dir, url: m[1], password }); }
    });
    proc.on('exit', (c) => reject(new Error(`server exited ${c}: ${out}`)));
  });
}

// A tiny API client for the set-up (cookies by hand).
async function apiLogin(url, username, password) {
  const r = await fetch(`${url}/api/v1/session`, {
    method: 'POST', headers: { 'X-Requested-With': 'dissent', 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  return (method, p, body) => fetch(`${url}${p}`, {
    method, headers: { 'X-Requested-With': 'dissent', 'Content-Type': 'application/json', Cookie: cookie },
    body: body ? JSON.stringify(body) : undefined,
  });
}

// ---- the browser ----
const pages = [];
// A page for one person, with its console errors and failed requests collected.
async function person(browser, url, name) {
  const ctx = await browser.newContext({ baseURL: url, acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.problems = [];
  page.allow = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  // playwright-core 1.61 (the newest that runs on Debian 12's Node.js 18) reports a request whose
  // answer had no body to read (a 204) as failed with ERR_ABORTED after its response: a request
  // that got its answer has not failed.
  const answered = new WeakSet();
  page.on('requestfailed', (r) => {
    if (answered.has(r) && /ERR_ABORTED/.test(r.failure() && r.failure().errorText)) return;
    page.problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure() && r.failure().errorText}`);
  });
  page.on('response', (r) => { answered.add(r.request()); if (r.status() >= 400) page.problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
  page.who = name;
  pages.push(page);
  return page;
}

// Raise the problems a page collected that no pattern in page.allow explains, then forget them.
function clean(page) {
  const bad = page.problems.filter((p) => !page.allow.some((re) => re.test(p)));
  page.problems = [];
  page.allow = [];
  if (bad.length) throw new Error(`${page.who}: ${bad.join('\n')}`);
}

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

function expect(cond, msg) { if (!cond) throw new Error(msg); }
// Wait until the first element of @locator shows text matching @re (pages render asynchronously).
async function expectText(locator, re) {
  const end = Date.now() + TIMEOUT;
  let t = '';
  for (;;) {
    try {
      await locator.first().waitFor({ timeout: Math.max(1, end - Date.now()) });
      t = await locator.first().innerText({ timeout: 1000 });
      if (re.test(t)) return;
    } catch (e) { /* detached or not there yet */ }
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${re} in ${JSON.stringify(t.slice(0, 400))}`);
}

async function signIn(page, username, { recovery = false } = {}) {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PW);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (recovery) {
    await expectText(page.locator('h1'), /recovery key/i);
    const key = await page.locator('#recovery-key').innerText();
    expect(/^[0-9a-f]{8}(-[0-9a-f]{8}){7}$/i.test(key.trim()) || key.trim().length >= 32, `recovery key shown: ${key}`);
    await expectText(page.locator('.warning'), /only once/i);
    await page.getByLabel('I have written down my recovery key').check();
    await page.getByRole('button', { name: 'Continue' }).click();
  }
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function main() {
  fs.rmSync(SHOTS, { recursive: true, force: true }); // no stale screenshots from older runs
  const srv = await startServer();
  let browser = null;
  const ctx = {};
  const steps = [];
  const step = (name, fn) => steps.push([name, fn]);

  step('set-up: accounts created through the API', async () => {
    const admin = await apiLogin(srv.url, 'admin', srv.password);
    const users = [['alice', ['staff'], 'Alice Drafter'], ['bob', ['staff'], 'Bob Cosigner'], ['carol', ['staff'], 'Carol Cosigner'],
      ['olga', ['officer'], 'Olga Officer'], ['pat', ['principal'], 'Pat Principal'], ['audrey', ['auditor'], 'Audrey Auditor'], ['adam', ['admin'], 'Adam Admin']];
    for (const [u, roles, dn] of users) {
      const r = await admin('POST', '/api/v1/users', { username: u, roles, password: PW, display_name: dn });
      expect(r.status === 201, `create ${u}: ${r.status} ${await r.text()}`);
    }
    await apiLogin(srv.url, 'olga', PW); // the first officer sign-in creates the channel key
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });

  step('security headers and caching on the page and its assets', async () => {
    const r = await fetch(`${srv.url}/`);
    const csp = r.headers.get('content-security-policy') || '';
    expect(csp.includes("default-src 'self'") && csp.includes("frame-ancestors 'none'"), `CSP: ${csp}`);
    expect(r.headers.get('x-content-type-options') === 'nosniff', 'nosniff');
    expect(r.headers.get('referrer-policy') === 'no-referrer', 'referrer-policy');
    const html = await r.text();
    expect(!/<script>|style=/.test(html), 'no inline script or style');
    const r2 = await fetch(`${srv.url}/`, { headers: { 'If-None-Match': r.headers.get('etag') } });
    expect(r2.status === 304, `If-None-Match: ${r2.status}`);
    const asset = html.match(/\/assets\/[0-9a-f]+\/js\/app\.js/)[0];
    const r3 = await fetch(`${srv.url}${asset}`);
    expect(r3.status === 200 && /immutable/.test(r3.headers.get('cache-control')), `asset caching: ${r3.headers.get('cache-control')}`);
  });

  step('auditor sees the statistics before any filing', async () => {
    const p = ctx.auditor = await person(browser, srv.url, 'audrey');
    await signIn(p, 'audrey', { recovery: true });
    await expectText(p.locator('h1'), /Channel statistics/);
    await expectText(p.locator('#stat-filed'), /^0$/);
    expect(await p.locator('svg.chart').count() >= 3, 'three SVG charts');
    clean(p);
  });

  step('drafter signs in with the keyboard and is shown the recovery key once', async () => {
    const p = ctx.alice = await person(browser, srv.url, 'alice');
    await p.goto('/');
    await p.getByLabel('Username').waitFor();
    expect(await p.evaluate(() => document.activeElement && document.activeElement.name) === 'username', 'username field has focus');
    await p.keyboard.type('alice');
    await p.keyboard.press('Tab');
    await p.keyboard.type(PW);
    await p.keyboard.press('Enter');
    await expectText(p.locator('h1'), /recovery key/i);
    await expectText(p.locator('.warning'), /only once/i);
    await shot(p, '01-recovery-key');
    await p.getByLabel('I have written down my recovery key').check();
    await p.getByRole('button', { name: 'Continue' }).click();
    await expectText(p.locator('h1'), /My memos/);
    await shot(p, '02-my-memos-empty');
    clean(p);
  });

  step('drafter chooses which emails to receive on the account page', async () => {
    const p = ctx.alice;
    await p.goto('/#/account');
    const form = p.locator('form[aria-label="Email notifications"]');
    await form.getByLabel('My memo is closed').waitFor();
    expect(await form.locator('input[type=checkbox]').count() === 5, 'five kinds of email for staff');
    await form.getByLabel('My memo is closed').uncheck();
    await expectText(p.locator('#flash'), /Notifications saved/);
    const r = await p.evaluate(async () => (await fetch('/api/v1/me/notifications')).json());
    expect(r.notifications.find((n) => n.kind === 'closed').on === false, 'closed is off');
    await p.goto('/#/memos');
    await expectText(p.locator('h1'), /My memos/);
    clean(p);
  });

  step('drafter writes a memo: autosave and server-rendered preview', async () => {
    const p = ctx.alice;
    await p.getByRole('link', { name: 'New memo', exact: true }).click();
    await p.getByLabel('Title').fill('Policy X harms our users');
    await p.getByLabel('Text (CommonMark)').fill('First draft.');
    await p.getByRole('button', { name: 'Create draft' }).click();
    await expectText(p.locator('h1'), /Edit draft/);
    ctx.memo = p.url().match(/#\/memo\/([0-9a-f]+)\/edit/)[1];
    await p.getByLabel('Text (CommonMark)').fill('## Why\n\nPolicy X is **wrong** because it hides costs.\n\n<script>alert(1)</script>\n\n- one\n- two\n');
    await expectText(p.locator('#save-status'), /Saved at .*version/);
    await p.getByRole('button', { name: 'Preview' }).click();
    await expectText(p.locator('#preview h2'), /Why/);
    await expectText(p.locator('#preview strong'), /wrong/);
    expect(await p.locator('#preview script').count() === 0, 'raw HTML is not rendered (cmark safe mode)');
    await shot(p, '03-editor-preview');
    await p.getByRole('button', { name: 'Finalize' }).click();
    await expectText(p.locator('.badge.state'), /Open for signature/);
    await expectText(p.locator('#memo-text strong'), /wrong/);
    ctx.digest = (await p.locator('#sign-digest').innerText()).trim();
    expect(ctx.digest.length > 20, `digest shown: ${ctx.digest}`);
    clean(p);
  });

  step('drafter signs and invites two co-signers by username', async () => {
    const p = ctx.alice;
    await p.getByRole('button', { name: 'Sign this memo' }).click();
    await expectText(p.locator('#flash'), /Signed/);
    await p.getByLabel('Usernames').fill('bob, carol');
    await p.getByRole('button', { name: 'Invite' }).click();
    await expectText(p.locator('#flash'), /Invitations sent/);
    await expectText(p.locator('main'), /Bob Cosigner \(bob\)/);
    await shot(p, '04-memo-open');
    clean(p);
  });

  for (const who of ['bob', 'carol']) {
    step(`${who} sees the frozen text and its digest, and signs`, async () => {
      const p = ctx[who] = await person(browser, srv.url, who);
      await signIn(p, who, { recovery: true });
      await expectText(p.locator('#h-inv'), /Invitations to co-sign \(1\)/);
      await p.getByRole('link', { name: 'Policy X harms our users' }).click();
      await expectText(p.locator('#memo-text'), /hides costs/);
      expect((await p.locator('#sign-digest').innerText()).trim() === ctx.digest, 'same digest as the drafter saw');
      if (who === 'bob') await shot(p, '05-signing-view');
      await p.getByRole('button', { name: 'Sign this memo' }).click();
      await expectText(p.locator('#flash'), /Signed/);
      await expectText(p.locator('#h-sign + p + p + p, .panel'), /signed/);
      clean(p);
    });
  }

  step('drafter files the memo', async () => {
    const p = ctx.alice;
    await p.reload();
    await expectText(p.locator('main'), /Signers \(3\)/);
    await p.getByRole('button', { name: 'File with the channel' }).click();
    await expectText(p.locator('#flash'), /Filed/);
    await expectText(p.locator('.badge.state'), /^Filed$/);
    await expectText(p.locator('dl.meta'), /Acknowledgement\s*due \d{4}-\d\d-\d\d/);
    clean(p);
  });

  step('officer inbox lists the memo by deadline; acknowledges, distributes and replies', async () => {
    const p = ctx.olga = await person(browser, srv.url, 'olga');
    await signIn(p, 'olga');
    await expectText(p.locator('h1'), /Officer inbox/);
    await expectText(p.locator('#h-due + .table-wrap'), /Policy X harms our users[\s\S]*Acknowledge/);
    await shot(p, '06-officer-inbox');
    await p.locator('#h-due + .table-wrap').getByRole('link', { name: 'Policy X harms our users' }).click();
    await expectText(p.locator('#memo-text'), /hides costs/);
    await p.getByRole('button', { name: 'Acknowledge' }).click();
    await expectText(p.locator('#flash'), /Acknowledged/);
    await p.getByLabel('Principals\' usernames').fill('pat');
    await p.getByRole('button', { name: 'Distribute' }).click();
    await expectText(p.locator('#flash'), /Distributed/);
    await p.getByLabel('The channel\'s reply (CommonMark)').fill('Thank you. We **will revise** Policy X.');
    await p.getByRole('button', { name: 'Send the reply' }).click();
    await expectText(p.locator('#flash'), /Reply sent/);
    await expectText(p.locator('.badge.state'), /Replied/);
    await expectText(p.locator('#audit'), /alice/);
    await shot(p, '07-officer-memo');
    clean(p);
  });

  step('drafter reads the reply and downloads the receipt', async () => {
    const p = ctx.alice;
    await p.reload();
    await expectText(p.locator('#reply-text strong'), /will revise/);
    await expectText(p.locator('#timeline, .timeline'), /replied/);
    await expectText(p.locator('#audit'), /olga/);
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Download the filing receipt' }).click()]);
    expect(dl.suggestedFilename() === `dissent-receipt-${ctx.memo}.json`, `file name ${dl.suggestedFilename()}`);
    const receipt = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
    expect(receipt.format === 'dissent-receipt/v1' && receipt.digest === ctx.digest, 'receipt for this memo');
    await shot(p, '08-drafter-reply');
    clean(p);
  });

  step('principal reads the memo distributed to them', async () => {
    const p = ctx.pat = await person(browser, srv.url, 'pat');
    await signIn(p, 'pat', { recovery: true });
    await expectText(p.locator('h1'), /For my reading/);
    await p.getByRole('link', { name: 'Policy X harms our users' }).click();
    await expectText(p.locator('#memo-text'), /hides costs/);
    await p.getByLabel('Your comment').fill('Read, thank you.');
    await p.getByRole('button', { name: 'Post comment' }).click();
    await expectText(p.locator('#comments'), /Read, thank you\./);
    await shot(p, '09-principal-reading');
    clean(p);
  });

  step('auditor sees the statistics change', async () => {
    const p = ctx.auditor;
    await p.reload();
    await expectText(p.locator('#stat-filed'), /^1$/);
    await expectText(p.locator('figure'), /Filings per month/);
    expect(/\d{4}-\d\d: 1/.test(await p.locator('svg.chart desc').first().textContent()), 'month bar described');
    await expectText(p.locator('#checkpoint'), /\n\d+\n/);
    await expectText(p.locator('main'), /dissent log verify http/);
    await shot(p, '10-auditor-dashboard');
    clean(p);
  });

  step('admin manages an account and cannot open the memo', async () => {
    const p = ctx.adam = await person(browser, srv.url, 'adam');
    await signIn(p, 'adam', { recovery: true });
    await expectText(p.locator('h1'), /Accounts and roles/);
    await p.locator('form[aria-label="Create an account"]').getByLabel('Username').fill('dave');
    await p.locator('form[aria-label="Create an account"]').getByLabel('Display name').fill('Dave New');
    await p.locator('form[aria-label="Create an account"]').getByLabel('Initial password').fill(PW);
    await p.getByRole('button', { name: 'Create account' }).click();
    await expectText(p.locator('#flash'), /Account dave created/);
    await p.getByRole('button', { name: 'Edit dave' }).click();
    await p.locator('#edit-area').getByLabel('principal').check();
    await p.getByRole('button', { name: 'Save account' }).click();
    await expectText(p.locator('#flash'), /Saved dave/);
    await expectText(p.locator('tr', { hasText: 'Dave New' }), /staff, principal/);
    await shot(p, '11-admin-accounts');
    p.allow.push(/status of 403/, /HTTP 403 GET .*\/api\/v1\/memos\//);
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('#flash'), /role does not allow/);
    expect(!(await p.locator('main').innerText()).includes('hides costs'), 'no memo content for the admin');
    clean(p);
  });

  step('two-factor sign-in: enrolment with a QR code, then a code at sign-in', async () => {
    const totp = (secret, t) => execFileSync('/usr/bin/oathtool', ['--totp', '-b', secret, '--now', `@${t}`], { encoding: 'utf8' }).trim();
    const p = await person(browser, srv.url, 'carol-2fa');
    await signIn(p, 'carol');
    await p.locator('#who a').click();
    await expectText(p.locator('#totp-h'), /Two-factor sign-in/);
    await p.locator('#totp-password').fill(PW);
    await p.getByRole('button', { name: 'Set up' }).click();
    await p.locator('#totp-secret').waitFor();
    const secret = (await p.locator('#totp-secret').innerText()).trim();
    const uri = (await p.locator('#totp-uri').innerText()).trim();
    expect(/^[A-Z2-7]{32}$/.test(secret), `secret shown as base32: ${secret}`);
    expect(uri.startsWith(`otpauth://totp/Dissent:carol?secret=${secret}&`), `otpauth URI: ${uri}`);
    await p.waitForFunction(() => { const i = document.getElementById('totp-qr'); return i && i.complete && i.naturalWidth > 0; });
    await shot(p, '13-totp-enrol');
    // at least 12 s left in this 30 s step: the codes of this step and the one before stay valid
    const left = 30 - (Date.now() / 1000) % 30;
    if (left < 12) await new Promise((r) => setTimeout(r, (left + 0.2) * 1000));
    const t0 = Math.floor(Date.now() / 1000 / 30) * 30;
    const codes = [-2, -1, 0, 1, 2].map((k) => totp(secret, t0 + 30 * k));
    const wrong = ['000000', '123456', '999999'].find((c) => !codes.includes(c));
    p.allow.push(/status of 422/, /HTTP 422 POST .*\/api\/v1\/me\/totp\/confirm/);
    await p.locator('#totp-confirm-code').fill(wrong);
    await p.getByRole('button', { name: 'Turn on' }).click();
    await expectText(p.locator('#flash'), /wrong or was already used/);
    await p.locator('#totp-confirm-code').fill(totp(secret, t0 - 30));
    await p.getByRole('button', { name: 'Turn on' }).click();
    await expectText(p.locator('#totp-recovery-codes'), /^([a-z2-7]{4}(-[a-z2-7]{4}){3}\n?){10}$/);
    await p.getByLabel('I have written down my recovery codes').check();
    await p.getByRole('button', { name: 'Continue' }).click();
    await expectText(p.locator('#totp-state'), /On\. 10 unused recovery codes/);
    clean(p);
    // signing in again asks for a code after the password
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('Username').fill('carol');
    await p.getByLabel('Password').fill(PW);
    p.allow.push(/status of 401/, /HTTP 401 POST .*\/api\/v1\/session/);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expectText(p.locator('#flash'), /code from your authenticator app/i);
    const codeBox = p.getByLabel('Code from your authenticator app');
    expect(await codeBox.isVisible(), 'the code field appears');
    await shot(p, '14-totp-sign-in');
    await codeBox.fill(totp(secret, t0));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
    clean(p);
  });

  step('readable at 375 px: no horizontal scrolling, visible focus', async () => {
    const p = ctx.olga;
    await p.setViewportSize({ width: 375, height: 800 });
    for (const hash of ['#/inbox', `#/memo/${ctx.memo}`]) {
      await p.goto(`/${hash}`);
      await p.locator('h1').waitFor();
      await p.waitForTimeout(200);
      const w = await p.evaluate(() => document.documentElement.scrollWidth);
      expect(w <= 375, `${hash} is ${w} px wide at 375`);
    }
    await shot(p, '12-memo-375px');
    await p.keyboard.press('Tab');
    const outline = await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    expect(outline !== 'none', `focused element has an outline (${outline})`);
    clean(p);
  });

  let broken = null;
  for (const [name, fn] of steps) {
    if (broken) { report(false, name, `skipped: an earlier step failed (${broken})`); continue; }
    try {
      await fn();
      report(true, name);
    } catch (e) {
      broken = name;
      report(false, name, e);
      for (const p of pages) await shot(p, `failed-${p.who}`).catch(() => {});
    }
  }
  if (browser) await browser.close();
  srv.proc.kill('SIGTERM');
  await new Promise((r) => srv.proc.once('exit', r));
  const log = fs.readFileSync(path.join(srv.dir, 'stderr.log'), 'utf8');
  fs.rmSync(srv.dir, { recursive: true, force: true });
  report(!/AddressSanitizer|runtime error:/.test(log), 'server log has no sanitizer report', log.slice(-2000));
}

try {
  await main();
} catch (e) {
  report(false, 'browser tests ran', e);
}
tap.unshift(`1..${n}`);
if (TAP) {
  fs.mkdirSync(path.dirname(TAP), { recursive: true });
  fs.writeFileSync(TAP, `${tap.join('\n')}\n`);
}
console.log(`${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// The browser suite's harness: a real server per scenario under the DEFAULT settings (the
// state-dept preset: officers, principals and admins must use two-factor sign-in), Debian's
// Chromium driven by playwright-core, one browser context per person, codes from oathtool.
//
// Every screenshot (shot()) is also a check of the screen as shown: no console error or failed
// request that the step did not expect, no horizontal overflow, and no visible control without
// an accessible name.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.DISSENT_BIN || path.join(ROOT, 'build', 'dissent');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PW = 'correct horse battery';
export const TIMEOUT = 15000;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function expect(cond, msg) { if (!cond) throw new Error(msg); }

// ---- the server ----
// A fresh server on a random loopback port with its own data directory. @ini is appended to a
// config that only makes Argon2id cheap (the tests sign in often) and signs a checkpoint every
// second (a filing's receipt waits for the next one); everything else is default.
export function startServer(ini = '', { dir = null, listen = '127.0.0.1:0' } = {}) {
  if (dir === null) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dissent-browser-'));
    // the zone pinned to UTC, as the scenarios compute dates (a scenario's [channel] may set another)
    fs.writeFileSync(path.join(dir, 'dissent.ini'), `[tlog]\ncheckpoint_interval = 1\n[security]\nargon2_ops = 1\nargon2_mem_kib = 8\n[channel]\ntimezone = UTC\n${ini}`);
  }
  const cfg = path.join(dir, 'dissent.ini');
  const proc = spawn(BIN, ['serve', '--config', cfg, '--data', path.join(dir, 'var'), '--listen', listen, '--workers', '2'],
    { stdio: ['ignore', 'pipe', fs.openSync(path.join(dir, 'stderr.log'), 'a')] });
  return new Promise((resolve, reject) => {
    let out = '';
    let password = null;
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const pw = out.match(/^\s*password: (\S+)/m);
      if (pw) password = pw[1];
      const m = out.match(/listening on (https?:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve({ proc, dir, url: m[1], password, totp: new Totp() }); }
    });
    proc.on('exit', (c) => reject(new Error(`server exited ${c}: ${out}`)));
  });
}

// Play a trusted migration: stop the server, run @edit (which changes its database), adopt the
// database as it is (`dissent trust adopt`, core/trust.h; every session ends), and start the
// server again on the same port, so that pages keep their origin. Updates @srv.
export async function migrateServer(srv, edit) {
  srv.proc.kill('SIGTERM');
  await new Promise((r) => (srv.proc.exitCode !== null ? r() : srv.proc.once('exit', r)));
  edit();
  execFileSync(BIN, ['trust', 'adopt', '--config', path.join(srv.dir, 'dissent.ini'), '--data', path.join(srv.dir, 'var')]);
  const again = await startServer('', { dir: srv.dir, listen: srv.url.replace('http://', '') });
  srv.proc = again.proc;
}

// Run `dissent ARGS...` on the server's settings and data, as its operator would beside it;
// its standard output (a failure throws, with its standard error).
export function serverCli(srv, args) {
  return execFileSync(BIN, [...args, '--config', path.join(srv.dir, 'dissent.ini'), '--data', path.join(srv.dir, 'var')], { encoding: 'utf8' });
}

// Stop the server; returns its stderr (checked for sanitizer reports by the runner).
export async function stopServer(srv) {
  srv.proc.kill('SIGTERM');
  await new Promise((r) => (srv.proc.exitCode !== null ? r() : srv.proc.once('exit', r)));
  const log = fs.readFileSync(path.join(srv.dir, 'stderr.log'), 'utf8');
  fs.rmSync(srv.dir, { recursive: true, force: true });
  return log;
}

// ---- TOTP codes, as an authenticator app would give them ----
// The server accepts the code of the step before, at or after its own, and each code only once
// and never one older than the last accepted: this hands out, per user, the code of the oldest
// step still acceptable and not used yet, waiting for the next step when all three are used.
export class Totp {
  // @offset: seconds the server's clock runs ahead of this machine's ([debug] clock_start)
  constructor(offset = 0, secrets = new Map()) { this.secrets = secrets; this.last = new Map(); this.offset = offset; }
  set(user, secret) { this.secrets.set(user, secret); this.last.delete(user); }
  has(user) { return this.secrets.has(user); }
  static at(secret, t) {
    return execFileSync('/usr/bin/oathtool', ['--totp', '-b', secret, '--now', `@${t}`], { encoding: 'utf8' }).trim();
  }
  async code(user) {
    const secret = this.secrets.get(user);
    if (!secret) throw new Error(`no TOTP secret for ${user}`);
    for (;;) {
      const t = Date.now() / 1000 + this.offset;
      const now = Math.floor(t / 30);
      // near the end of a step the step before is about to become too old: margin of 2 s
      const lo = t % 30 > 28 ? now : now - 1;
      const step = Math.max(lo, (this.last.get(user) ?? -Infinity) + 1);
      if (step <= now + 1) {
        this.last.set(user, step);
        return Totp.at(secret, step * 30);
      }
      await sleep(1000);
    }
  }
}

// ---- the API, for set-up (cookies by hand) ----
const JSONH = { 'X-Requested-With': 'dissent', 'Content-Type': 'application/json' };
// Sign in through the API, with a TOTP code when the user has a secret; returns call(method, path, body).
export async function apiLogin(srv, username, password = PW) {
  const body = { username, password };
  if (srv.totp.has(username)) body.totp = await srv.totp.code(username);
  const r = await fetch(`${srv.url}/api/v1/session`, { method: 'POST', headers: JSONH, body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const call = (method, p, b) => fetch(`${srv.url}${p}`, {
    method, headers: { ...JSONH, Cookie: cookie }, body: b === undefined ? undefined : JSON.stringify(b),
  });
  call.login = await r.json();
  return call;
}

// Turn on two-factor sign-in for the signed-in @call's user; the secret is kept in srv.totp.
export async function apiEnrol(srv, call, username) {
  const r = await call('POST', '/api/v1/me/totp');
  expect(r.status === 200, `enrol ${username}: ${r.status} ${await r.clone().text()}`);
  const { secret } = await r.json();
  srv.totp.set(username, secret);
  const c = await call('POST', '/api/v1/me/totp/confirm', { code: await srv.totp.code(username) });
  expect(c.status === 200, `confirm ${username}: ${c.status} ${await c.text()}`);
}

// The bootstrap admin signs in with the printed password and turns on two-factor sign-in (the
// default preset requires it of admins before anything else); returns the admin's call().
export async function adminApi(srv) {
  if (srv.admin) return srv.admin;
  const call = await apiLogin(srv, 'admin', srv.password);
  if (!srv.totp.has('admin')) await apiEnrol(srv, call, 'admin');
  srv.admin = call;
  return call;
}

// Create accounts [[username, roles, display name], ...] through the admin API. With @enrol,
// every account whose role requires two-factor sign-in signs in once and turns it on (the
// first officer's enrolment also creates the channel key).
// Each account is enrolled at once with its code and PW, as its user would; the recovery key
// its enrolment showed is kept in srv.recovery.
export async function createUsers(srv, users, { enrol = true } = {}) {
  const admin = await adminApi(srv);
  srv.recovery = srv.recovery || new Map();
  for (const [u, roles, dn] of users) {
    const r = await admin('POST', '/api/v1/users', { username: u, roles, display_name: dn });
    expect(r.status === 201, `create ${u}: ${r.status} ${await r.clone().text()}`);
    const { code } = (await r.json()).enrolment;
    const e = await fetch(`${srv.url}/api/v1/enrol`, { method: 'POST', headers: JSONH, body: JSON.stringify({ username: u, code, password: PW }) });
    expect(e.status === 200, `enrol ${u}: ${e.status} ${await e.clone().text()}`);
    srv.recovery.set(u, (await e.json()).recovery_key);
  }
  if (!enrol) return;
  for (const [u, roles] of users) {
    if (!roles.some((x) => ['officer', 'principal', 'admin', 'records'].includes(x))) continue;
    const call = await apiLogin(srv, u);
    await apiEnrol(srv, call, u);
  }
}

// ---- the browser ----
export const LAUNCH = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

// A page for one person, with its console errors and failed requests collected; @locale is the
// browser's language (navigator.languages and Accept-Language).
export async function person(browser, srv, name, { width = 1280, height = 900, permissions = [], locale = 'en-US' } = {}) {
  const ctx = await browser.newContext({ baseURL: srv.url, acceptDownloads: true, viewport: { width, height }, permissions, locale });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.problems = [];
  page.allow = [];
  // playwright-core 1.61 (the newest that runs on Debian 12's Node.js 18) reports a request whose
  // answer had no body to read (a 204) as failed with ERR_ABORTED after its response: a request
  // that got its answer has not failed.
  const answered = new WeakSet();
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const aborted = /ERR_ABORTED/.test(r.failure() && r.failure().errorText);
    if (answered.has(r) && aborted) return;
    // the tab's icon is the browser's own request, cut short when a reload starts a new page
    if (aborted && /\/icon\.svg$/.test(r.url())) return;
    page.problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure() && r.failure().errorText}`);
  });
  page.on('response', (r) => {
    answered.add(r.request());
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.who = name;
  page.srv = srv;
  return page;
}

// Raise the problems a page collected that no pattern in page.allow explains, then forget them.
export function clean(page) {
  const bad = page.problems.filter((p) => !page.allow.some((re) => re.test(p)));
  page.problems = [];
  page.allow = [];
  if (bad.length) throw new Error(`${page.who}: ${bad.join('\n')}`);
}

// Expect an API error answer the step provokes on purpose (and Chromium's console line for it).
export function allowHttp(page, status, method, route) {
  page.allow.push(new RegExp(`status of ${status}`), new RegExp(`HTTP ${status} ${method} .*${route}`));
}

let shotDir = null;
export function setShotDir(dir) { shotDir = dir; fs.rmSync(dir, { recursive: true, force: true }); }
export function shotFile(name) { fs.mkdirSync(shotDir, { recursive: true }); return path.join(shotDir, `${name}.png`); }

// The screen as a user meets it: a full-page screenshot, and the checks every screen must pass.
export async function shot(page, name) {
  await page.waitForTimeout(50); // let a redraw in flight finish
  await page.screenshot({ path: shotFile(name), fullPage: true });
  await checkScreen(page, name);
}

// axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules, run in the page (page.evaluate is not subject
// to the page's Content-Security-Policy, so the policy stays on for everything else). Every
// violation counts, whatever axe's impact (docs/accessibility.md); "incomplete" results (what
// axe cannot decide alone, such as contrast over an image) are left to the manual review there.
const AXE = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
export let axeRuns = 0;
export async function axeCheck(page, name) {
  const found = await page.evaluate(async ([src, tags]) => {
    if (!window.axe) (0, eval)(src); // eslint-disable-line no-eval
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  }, [AXE, AXE_TAGS]);
  axeRuns += 1;
  expect(!found.length, `${name}: accessibility (axe-core): ${found.join('; ')}`);
}

// No horizontal overflow, every visible control named, no unexpected console error, and no
// serious axe-core finding.
export async function checkScreen(page, name) {
  await axeCheck(page, name);
  const r = await page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const wide = document.documentElement.scrollWidth;
    const over = [];
    if (wide > vw + 1) {
      for (const el of document.querySelectorAll('body *')) {
        const b = el.getBoundingClientRect();
        if (b.width && b.right > vw + 1 && getComputedStyle(el).position !== 'fixed') over.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''} right=${Math.round(b.right)}`);
        if (over.length > 5) break;
      }
    }
    const unnamed = [];
    const visible = (el) => { const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button, a[href], [role=button]')) {
      if (!visible(el) && !(el.type === 'checkbox' || el.type === 'radio')) continue;
      if (el.closest('[hidden], [inert]')) continue;
      let name = el.getAttribute('aria-label') || '';
      const lb = el.getAttribute('aria-labelledby');
      if (!name && lb) name = lb.split(/\s+/).map((id) => (document.getElementById(id) || {}).textContent || '').join(' ');
      if (!name && el.labels && el.labels.length) name = [...el.labels].map((l) => l.textContent).join(' ');
      if (!name && (el.tagName === 'BUTTON' || el.tagName === 'A' || el.getAttribute('role') === 'button')) name = el.textContent;
      if (!name) name = el.getAttribute('title') || '';
      if (!name.trim()) unnamed.push(el.outerHTML.slice(0, 120));
    }
    return { vw, wide, over, unnamed };
  });
  expect(r.wide <= r.vw + 1, `${name}: the page is ${r.wide} px wide in a ${r.vw} px viewport: ${r.over.join('; ')}`);
  expect(!r.unnamed.length, `${name}: controls without a name: ${r.unnamed.join(' | ')}`);
  clean(page);
}

// Wait until the first element of @locator shows text matching @re (pages render asynchronously).
export async function expectText(locator, re) {
  const end = Date.now() + TIMEOUT;
  let t = '';
  for (;;) {
    try {
      await locator.first().waitFor({ timeout: Math.max(1, end - Date.now()) });
      t = await locator.first().innerText({ timeout: 1000 });
      if (re.test(t)) return;
    } catch (e) { /* detached or not there yet */ }
    if (Date.now() > end) break;
    await sleep(50);
  }
  throw new Error(`expected ${re} in ${JSON.stringify(t.slice(0, 400))}`);
}

// Sign in through the sign-in page: the password, then a code when the server asks for one (the
// user has a secret in srv.totp), and on a first sign-in the recovery key page (@recovery).
// Returns the recovery key when one was shown.
// Until the page being drawn is done (app.js marks <main aria-busy> meanwhile): a navigation
// right after another would otherwise race the first one's drawing.
export async function settled(page) {
  await page.waitForFunction(() => { const m = document.getElementById('main'); return m && !m.hasAttribute('aria-busy'); });
}

// The web interface's catalog of @code (web/i18n/CODE.json), and one of its messages with its
// {placeholders} filled (a plural's "other" form unless @vars.count picks another by Intl).
const catalogs = new Map();
export function catalog(code) {
  if (!catalogs.has(code)) {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'i18n', `${code}.json`);
    catalogs.set(code, JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  return catalogs.get(code);
}
export function tr(code, key, vars = {}) {
  let m = catalog(code)[key];
  if (m === undefined) throw new Error(`no message ${key} in ${code}.json`);
  if (typeof m === 'object') m = m[vars.count === undefined ? 'other' : new Intl.PluralRules(code).select(vars.count)] ?? m.other;
  return m.replace(/\{(\w+)\}/g, (all, k) => (k in vars ? String(vars[k]) : all));
}

// Sign in through the form, in the page's language @lang (English unless said); @then is the
// language the pages are in once signed in (the account's own choice), @lang's unless said.
export async function signIn(page, username, { recovery = false, password = PW, lang = 'en', then = lang } = {}) {
  const srv = page.srv;
  const w = (key) => tr(lang, key);
  await page.goto('/#/signin');
  await page.getByLabel(w('signin.username')).fill(username);
  await page.getByLabel(w('signin.password'), { exact: true }).fill(password);
  if (srv.totp.has(username)) {
    allowHttp(page, 401, 'POST', '/api/v1/session');
    await page.getByRole('button', { name: w('signin.title'), exact: true }).click();
    const box = page.getByLabel(w('signin.code'));
    await box.waitFor();
    await box.fill(await srv.totp.code(username));
    await page.getByRole('button', { name: w('signin.title'), exact: true }).click();
  } else {
    await page.getByRole('button', { name: w('signin.title'), exact: true }).click();
  }
  const key = recovery ? await keepRecoveryKey(page) : null;
  await page.getByRole('button', { name: tr(then, 'chrome.signOut') }).waitFor();
  await settled(page);
  clean(page);
  return key;
}

// On the page that shows a recovery key once: check it and its warning, tick "written down",
// continue. Returns the key.
async function keepRecoveryKey(page) {
  await expectText(page.locator('h1'), /recovery key/i);
  const key = (await page.locator('#recovery-key').innerText()).trim();
  expect(/^[0-9a-f]{8}(-[0-9a-f]{8}){7}$/.test(key), `recovery key shown: ${key}`);
  await expectText(page.locator('.warning'), /only once/i);
  await page.getByLabel('I have written down my recovery key').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  return key;
}

// A new account's enrolment in the browser: the "Enrol" link of the sign-in page, the code, a
// password chosen twice; then the recovery key is shown once (kept), and the person is signed
// in. Returns the recovery key.
export async function enrolAccount(page, username, code, { password = PW } = {}) {
  await page.goto('/#/signin');
  await page.getByRole('link', { name: /Enrol with your code/ }).click();
  await expectText(page.locator('h1'), /^Enrol$/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Enrolment code').fill(code);
  await page.getByLabel('Choose a password').fill(password);
  await page.getByLabel('The password again').fill(password);
  await page.getByRole('button', { name: 'Enrol' }).click();
  const key = await keepRecoveryKey(page);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  clean(page);
  return key;
}

// On the account page a role that requires two-factor sign-in lands on: set it up with the
// password, confirm with a first code, acknowledge the recovery codes. Returns the secret (also
// kept in srv.totp) and the recovery codes.
export async function enrolInBrowser(page, username, { password = PW } = {}) {
  const srv = page.srv;
  await expectText(page.locator('#totp-h'), /Two-factor sign-in/);
  await page.locator('#totp-password').fill(password);
  await page.getByRole('button', { name: 'Set up' }).click();
  await page.locator('#totp-secret').waitFor();
  const secret = (await page.locator('#totp-secret').innerText()).trim();
  expect(/^[A-Z2-7]{32}$/.test(secret), `secret shown as base32: ${secret}`);
  srv.totp.set(username, secret);
  await page.waitForFunction(() => { const i = document.getElementById('totp-qr'); return i && i.complete && i.naturalWidth > 0; });
  await page.locator('#totp-confirm-code').fill(await srv.totp.code(username));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codesEl = page.locator('#totp-recovery-codes');
  await expectText(codesEl, /^([a-z2-7]{4}(-[a-z2-7]{4}){3}\n?){10}$/);
  const codes = (await codesEl.innerText()).trim().split('\n');
  await page.getByLabel('I have written down my recovery codes').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  clean(page);
  return { secret, codes };
}

export async function launch(chromium, args = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...LAUNCH, ...args] });
}

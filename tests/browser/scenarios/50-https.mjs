// HTTPS in the server itself ([tls] cert, key), as a browser meets it: a certificate issued by a
// private authority for 127.0.0.1, which this scenario's own Chromium trusts by the key's pin
// (--ignore-certificate-errors-spki-list: that key alone, nothing else). The admin signs in on a
// phone-width screen under the default settings (two-factor sign-in required); the connection
// is TLS 1.2 or 1.3 with the certificate served, the session cookie is __Host- and Secure, and
// every answer carries HSTS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { expect, expectText, launch, person, shot, signIn, checkScreen } from '../lib.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dissent-tls-'));
const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

// a private authority, and a certificate for 127.0.0.1 it issued
export function ini() {
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth\n');
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key',
    '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Dissent browser test CA');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key',
    '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '30', '-extfile', 'ext.cnf');
  fs.writeFileSync(path.join(dir, 'chain.pem'), fs.readFileSync(path.join(dir, 'server.crt')) + fs.readFileSync(path.join(dir, 'ca.pem')));
  return `[tls]\ncert = ${path.join(dir, 'chain.pem')}\nkey = ${path.join(dir, 'server.key')}\n`;
}

// the SHA-256 of the server key's SubjectPublicKeyInfo, base64: Chromium's pin
function spki() {
  const der = execFileSync('openssl', ['pkey', '-in', path.join(dir, 'server.key'), '-pubout', '-outform', 'DER']);
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
}

let browser = null;

export default function (t) {
  const { srv, ctx } = t;

  t.step('Chromium reaches the server over HTTPS, and the admin signs in on a phone', async () => {
    expect(srv.url.startsWith('https://127.0.0.1:'), `the server says it listens on HTTPS: ${srv.url}`);
    browser = await launch(chromium, [`--ignore-certificate-errors-spki-list=${spki()}`]);
    const p = ctx.admin = await person(browser, srv, 'admin', { width: 375, height: 800 });
    t.pages.push(p);
    const r = await p.goto('/');
    expect(r.ok(), `GET / over HTTPS: ${r.status()}`);
    const sec = await r.securityDetails();
    expect(sec && /^TLS 1\.[23]$/.test(sec.protocol), `TLS 1.2 or 1.3: ${JSON.stringify(sec)}`);
    expect(sec.subjectName === '127.0.0.1' && sec.issuer === 'Dissent browser test CA', `the certificate served: ${JSON.stringify(sec)}`);
    expect(/^max-age=\d+/.test(r.headers()['strict-transport-security'] || ''), 'HSTS on the page');
    await signIn(p, 'admin', { recovery: true, password: srv.password });
    await expectText(p.locator('h1'), /Your account/);
    await expectText(p.locator('#totp-box'), /requires two-factor sign-in/);
    const cookies = await p.context().cookies();
    const session = cookies.find((c) => c.name.includes('dissent_session'));
    expect(session && session.name === '__Host-dissent_session' && session.secure && session.httpOnly && session.path === '/',
      `the session cookie: ${JSON.stringify(session)}`);
    await checkScreen(p, '50-https-account');
    await shot(p, '50-https-admin-phone');
  });
}

export async function teardown() {
  if (browser) await browser.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

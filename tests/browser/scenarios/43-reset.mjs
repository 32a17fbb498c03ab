// Issue 14: after an administrator's reset. The user enrols again with the new code and is told
// of the reset on every page; their filed memo stays closed until two officers confirm, in the
// officer inbox, that the account is theirs; the second confirmation shares it again. And an
// account whose keys an administrator's password wrapped (before enrolment existed) reaches
// only its account page until it chooses a new password.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect, expectText, shot, clean, signIn, createUsers, apiLogin, adminApi, enrolAccount, allowHttp, migrateServer, PW } from '../lib.mjs';

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['anna', ['officer'], 'Anna Officer'], ['otto', ['officer'], 'Otto Officer'],
    ['dave', ['staff'], 'Dave Drafter'], ['lena', ['staff'], 'Lena Legacy']]);
  const anna = await apiLogin(srv, 'anna');
  expect((await anna('POST', '/api/v1/channel/grants', { username: 'otto' })).status === 201, 'grant otto');
  const dave = await apiLogin(srv, 'dave');
  const m = await (await dave('POST', '/api/v1/memos', { title: 'Dave on the visa policy', body: 'Text.' })).json();
  for (const step of ['finalize', 'signatures', 'file']) {
    const r = await dave('POST', `/api/v1/memos/${m.id}/${step}`);
    expect(r.status < 300, `${step}: ${r.status} ${await r.text()}`);
  }
  ctx.memo = m.id;
  const admin = await adminApi(srv);
  const r = await admin('POST', '/api/v1/users/dave/reset');
  expect(r.status === 200, `reset: ${r.status}`);
  ctx.code = (await r.json()).enrolment.code;

  t.step('dave enrols again on a phone and is told of the reset; his filed memo waits for the officers', async () => {
    const p = await t.person('dave', { width: 375, height: 800 });
    await enrolAccount(p, 'dave', ctx.code, { password: 'dave chose this one' });
    await expectText(p.locator('#reset-note'), /An administrator reset your account on \d{4}-\d\d-\d\d/);
    await expectText(p.locator('#reset-note'), /two officers confirm that this account is yours/);
    await expectText(p.locator('#reset-fingerprint'), /^[0-9a-f]{8}-[0-9a-f]{8}$/);
    ctx.fingerprint = (await p.locator('#reset-fingerprint').innerText()).trim();
    await shot(p, '43-reset-note-phone');
    // what he was part of before the reset is not listed, nor there, until the officers confirm
    expect(await p.locator(`a[href="#/memo/${ctx.memo}"]`).count() === 0, 'the old memo is not listed');
    p.allow.push(/status of 404/, /HTTP 404 GET .*\/api\/v1\/memos\//);
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('main'), /does not exist, or it is not shared with you/);
    await expectText(p.locator('#reset-note'), /tell an officer at once/);
    ctx.dave = p;
  });

  t.step('anna confirms in her inbox; one more officer must', async () => {
    const p = await t.person('anna');
    await signIn(p, 'anna');
    await p.goto('/#/inbox');
    const row = p.locator('#resets li[data-reset="dave"]');
    await expectText(row, /Dave Drafter \(dave\), reset on .*: enrolled again; 2 officers must confirm it is them/);
    await expectText(p.locator('#resets'), /in person or by phone/);
    // a fingerprint the person did not read is refused, in words
    allowHttp(p, 409, 'POST', '/api/v1/channel/resets/dave/confirm');
    await row.getByLabel('Fingerprint they read to you').fill('0123abcd-0123abcd');
    await row.getByRole('button', { name: 'Confirm it is them' }).click();
    await expectText(row, /That is not the fingerprint of dave's account. Do not confirm/);
    await row.getByLabel('Fingerprint they read to you').fill(ctx.fingerprint.toUpperCase());
    await row.getByRole('button', { name: 'Confirm it is them' }).click();
    await expectText(p.locator('#resets .page-msg, #resets [role="status"]'), /Another officer must confirm dave too/);
    await shot(p, '43-reset-first-confirmation');
    clean(p);
  });

  t.step('otto confirms on a phone: the filed memo is shared with dave again', async () => {
    const p = await t.person('otto', { width: 375, height: 800 });
    await signIn(p, 'otto');
    await p.goto('/#/inbox');
    const row = p.locator('#resets li[data-reset="dave"]');
    await expectText(row, /confirmed by anna, one more officer must confirm/);
    await row.getByLabel('Fingerprint they read to you').fill(ctx.fingerprint);
    await row.getByRole('button', { name: 'Confirm and share again' }).click();
    await expectText(p.locator('#resets .page-msg, #resets [role="status"]'), /1 filed memo was shared with them again/);
    await shot(p, '43-reset-confirmed-phone');
    clean(p);
  });

  t.step('dave reads his memo again, and the note is gone', async () => {
    const p = ctx.dave;
    await p.goto(`/#/memo/${ctx.memo}`);
    await p.reload();
    await expectText(p.locator('h1'), /Dave on the visa policy/);
    await expectText(p.locator('.timeline'), /shared the memo again/);
    expect(await p.locator('#reset-note').count() === 0, 'no reset note once the memos are back');
    clean(p);
  });

  t.step('an account whose keys an administrator chose reaches only its account page until it re-keys', async () => {
    // what the migration does to every such account (flag 1: STORE_USER_REKEY), played as a
    // trusted migration is (the database is adopted at the next start)
    const db = path.join(srv.dir, 'var', 'dissent.db');
    await migrateServer(srv, () => execFileSync('python3', ['-c', 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); '
      + 'c.execute("UPDATE users SET flags = flags | 1 WHERE username = \'lena\'"); c.commit()', db]));
    const p = await t.person('lena', { width: 375, height: 800 });
    await signIn(p, 'lena');
    await expectText(p.locator('h1'), /Your account/);
    await expectText(p.locator('#rekey-note'), /made under a password an administrator chose/);
    expect(await p.locator('nav a[data-nav="#/memos"]').count() === 0, 'no navigation before the re-key');
    await shot(p, '43-rekey-required-phone');
    const form = p.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill(PW);
    await form.getByLabel('New password').fill('lena chose this one');
    await form.getByRole('button', { name: 'Change password' }).click();
    await expectText(p.locator('h1'), /recovery key/i);
    clean(p);
    const s = await apiLogin(srv, 'lena', 'lena chose this one');
    const me = await (await s('GET', '/api/v1/me')).json();
    expect(me.rekey_required === false, 'the re-key is recorded');
    expect((await s('GET', '/api/v1/memos')).status === 200, 'the rest of Dissent opens');
  });
}

// The story of issue 6 under the default settings: a drafter writes a memo, invites two
// co-signers who sign, and files; an officer acknowledges, distributes, takes the case, drafts the
// reply with an internal note and submits it; the channel's head finds it in the inbox and
// approves it, which sends it (issue 18); the drafter reads the reply and downloads the receipt; an auditor sees the statistics change; a principal
// reads; an admin manages an account and cannot open the memo. Officers, principals and admins
// sign in with a code (their accounts turned two-factor sign-in on at set-up).
import fs from 'node:fs';
import { expect, expectText, shot, clean, signIn, createUsers, adminApi, apiLogin, allowHttp, Totp, PW } from '../lib.mjs';

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['bob', ['staff'], 'Bob Cosigner'], ['carol', ['staff'], 'Carol Cosigner'],
    ['olga', ['officer'], 'Olga Officer'], ['hedda', ['officer', 'head'], 'Hedda Head'], ['pat', ['principal'], 'Pat Principal'], ['audrey', ['auditor'], 'Audrey Auditor'], ['adam', ['admin'], 'Adam Admin']]);
  // olga enrolled first and holds the channel key: she grants it to the head
  const g = await (await apiLogin(srv, 'olga'))('POST', '/api/v1/channel/grants', { username: 'hedda' });
  expect(g.status === 201, `grant hedda: ${g.status}`);
  // alice enrols in the browser, with the code her administrator was shown
  const made = await (await adminApi(srv))('POST', '/api/v1/users', { username: 'alice', roles: ['staff'], display_name: 'Alice Drafter' });
  expect(made.status === 201, `create alice: ${made.status}`);
  const aliceCode = (await made.json()).enrolment.code;

  t.step('security headers and caching on the page and its assets', async () => {
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

  t.step('auditor sees the statistics before any filing', async () => {
    const p = ctx.auditor = await t.person('audrey');
    await signIn(p, 'audrey');
    await expectText(p.locator('h1'), /Channel statistics/);
    await expectText(p.locator('#stat-filed'), /^0$/);
    await expectText(p.locator('#stat-declined'), /^0$/);
    await expectText(p.locator('#stat-extensions'), /^0$/);
    expect(await p.locator('svg.chart').count() >= 3, 'three SVG charts');
    clean(p);
  });

  t.step('drafter enrols with her code, keeps the recovery key shown once, and signs in with the keyboard', async () => {
    const p = ctx.alice = await t.person('alice');
    await p.goto('/');
    await p.getByRole('link', { name: /Enrol with your code/ }).click();
    await p.getByLabel('Username').fill('alice');
    await p.getByLabel('Enrolment code').fill(aliceCode);
    await p.getByLabel('Choose a password').fill(PW);
    await p.getByLabel('The password again').fill(PW);
    await p.getByRole('button', { name: 'Enrol' }).click();
    await expectText(p.locator('h1'), /recovery key/i);
    await expectText(p.locator('.warning'), /only once/i);
    await shot(p, '01-recovery-key');
    await p.getByLabel('I have written down my recovery key').check();
    await p.getByRole('button', { name: 'Continue' }).click();
    await expectText(p.locator('h1'), /My memos/);
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('Username').waitFor();
    expect(await p.evaluate(() => document.activeElement && document.activeElement.name) === 'username', 'username field has focus');
    await p.keyboard.type('alice');
    await p.keyboard.press('Tab');
    await p.keyboard.type(PW);
    await p.keyboard.press('Enter');
    await expectText(p.locator('h1'), /My memos/);
    await shot(p, '02-my-memos-empty');
    clean(p);
  });

  t.step('drafter chooses which emails to receive on the account page', async () => {
    const p = ctx.alice;
    await p.goto('/#/account');
    const form = p.locator('form[aria-label="Email notifications"]');
    await form.getByLabel('My memo is closed').waitFor();
    expect(await form.locator('input[type=checkbox]').count() === 12, 'twelve kinds of email for staff');
    await form.getByLabel('My memo is closed').uncheck();
    await expectText(form.locator('.done-msg'), /Notifications saved/);
    const r = await p.evaluate(async () => (await fetch('/api/v1/me/notifications')).json());
    expect(r.notifications.find((n) => n.kind === 'closed').on === false, 'closed is off');
    await p.goto('/#/memos');
    await expectText(p.locator('h1'), /My memos/);
    clean(p);
  });

  t.step('drafter writes a memo: autosave and server-rendered preview', async () => {
    const p = ctx.alice;
    await p.getByRole('link', { name: 'New memo', exact: true }).click();
    await p.getByLabel('Title', { exact: true }).fill('Policy X harms our users');
    await p.getByLabel('Text (CommonMark)').fill('First draft.');
    await p.getByRole('button', { name: 'Create draft' }).click();
    await expectText(p.locator('h1'), /Edit draft/);
    ctx.memo = p.url().match(/#\/memo\/([0-9a-f]+)\/edit/)[1];
    await p.getByLabel('Text (CommonMark)').fill('## Why\n\nPolicy X is **wrong** because it hides costs.\n\n<script>alert(1)</script>\n\n- one\n- two\n');
    await expectText(p.locator('#save-status'), /Saved at .*version/);
    await expectText(p.locator('#preview h2'), /Why/);
    await expectText(p.locator('#preview strong'), /wrong/);
    expect(await p.locator('#preview script').count() === 0, 'raw HTML is not rendered (cmark safe mode)');
    await shot(p, '03-editor-preview');
    await p.getByRole('button', { name: 'Finalize', exact: true }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Finalize the text' }).click();
    await expectText(p.locator('.badge.state'), /Open for signature/);
    await expectText(p.locator('#memo-text strong'), /wrong/);
    ctx.digest = (await p.locator('#sign-digest').innerText()).trim();
    expect(ctx.digest.length > 20, `digest shown: ${ctx.digest}`);
    clean(p);
  });

  t.step('drafter signs and invites two co-signers by username', async () => {
    const p = ctx.alice;
    await p.getByRole('button', { name: 'Sign this memo' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Signed/);
    await p.getByRole('button', { name: 'Invite co-signers', exact: true }).click();
    await p.getByLabel('Usernames').fill('bob, carol');
    await p.getByRole('button', { name: 'Send the invitations' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Invitations sent/);
    await expectText(p.locator('main'), /Bob Cosigner \(bob\)/);
    await shot(p, '04-memo-open');
    clean(p);
  });

  for (const who of ['bob', 'carol']) {
    t.step(`${who} sees the frozen text and its digest, and signs`, async () => {
      const p = ctx[who] = await t.person(who);
      await signIn(p, who);
      await expectText(p.locator('#needs-action'), /1 invitation waiting for your signature/);
      await p.getByRole('link', { name: 'Policy X harms our users' }).click();
      await expectText(p.locator('#memo-text'), /hides costs/);
      expect((await p.locator('#sign-digest').innerText()).trim() === ctx.digest, 'same digest as the drafter saw');
      if (who === 'bob') await shot(p, '05-signing-view');
      await p.getByRole('button', { name: 'Sign this memo' }).click();
      await expectText(p.locator('#memo-actions .done-msg'), /Signed/);
      await expectText(p.locator('#h-sign + p + p + p, .panel'), /signed/);
      clean(p);
    });
  }

  t.step('drafter files the memo', async () => {
    const p = ctx.alice;
    await p.reload();
    await expectText(p.locator('main'), /Signers \(3\)/);
    await p.getByRole('button', { name: 'File with the channel' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'File the memo' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Filed/);
    await expectText(p.locator('.badge.state'), /^Filed$/);
    await expectText(p.locator('dl.meta'), /Acknowledgement\s*due \d{4}-\d\d-\d\d/);
    clean(p);
  });

  t.step('officer inbox lists the memo by deadline; acknowledges, distributes, drafts the reply and submits it', async () => {
    const p = ctx.olga = await t.person('olga');
    await signIn(p, 'olga');
    await expectText(p.locator('h1'), /Officer inbox/);
    await expectText(p.locator('#queue .table-wrap'), /Policy X harms our users[\s\S]*Acknowledge/);
    await shot(p, '06-officer-inbox');
    await p.locator('#queue .table-wrap').getByRole('link', { name: 'Policy X harms our users' }).click();
    await expectText(p.locator('#memo-text'), /hides costs/);
    await p.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Acknowledged/);
    await p.getByRole('button', { name: 'Distribute to principals' }).click();
    await p.getByLabel('Principals\' usernames').fill('pat');
    await p.getByRole('button', { name: 'Send to these principals' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Distributed/);
    // the head approves replies here: no "Reply" of her own, the case first
    expect(await p.getByRole('button', { name: 'Reply', exact: true }).count() === 0, 'no direct reply under the default');
    await p.getByRole('button', { name: 'Assign', exact: true }).click();
    await p.locator('form[aria-label="Assign the memo"]').getByRole('button', { name: 'Assign' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Assigned to olga/);
    await p.getByRole('button', { name: 'Draft the reply' }).click();
    await p.getByLabel('The reply\'s draft (CommonMark)').fill('Thank you. We **will revise** Policy X.');
    await expectText(p.locator('#draft-preview strong'), /will revise/);
    await p.getByRole('button', { name: 'Save this version' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Version saved/);
    await expectText(p.locator('#internal #draft-text strong'), /will revise/);
    await p.getByRole('textbox', { name: 'Internal note' }).fill('Legal cleared the wording by phone.');
    await p.getByRole('button', { name: 'Add the note' }).click();
    await expectText(p.locator('#internal #notes'), /Legal cleared the wording/);
    await p.getByRole('button', { name: 'Submit for approval' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Submit for approval' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Submitted/);
    await expectText(p.locator('#review-status'), /awaits the head's approval/);
    await expectText(p.locator('.badge.state'), /Acknowledged/);
    await expectText(p.locator('#audit'), /alice/);
    await shot(p, '07-officer-memo');
    clean(p);
  });

  t.step('the head finds the reply awaiting approval, reads the draft, and approves it', async () => {
    const p = ctx.hedda = await t.person('hedda');
    await signIn(p, 'hedda');
    await expectText(p.locator('#needs-action'), /1 reply awaits your approval/);
    await p.locator('#needs-action').getByRole('link', { name: 'Show' }).last().click();
    await expectText(p.locator('#all .table-wrap'), /Policy X harms our users/);
    await p.locator('#all .table-wrap').getByRole('link', { name: 'Policy X harms our users' }).click();
    await expectText(p.locator('#internal #draft-text strong'), /will revise/);
    await expectText(p.locator('#internal #notes'), /Legal cleared the wording/);
    await shot(p, '07b-head-approval');
    await p.getByRole('button', { name: 'Approve and send' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Approve and send' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Approved and sent/);
    await expectText(p.locator('.badge.state'), /Replied/);
    await expectText(p.locator('#reply-approved'), /Hedda Head/);
    clean(p);
  });

  t.step('drafter reads the reply and downloads the receipt', async () => {
    const p = ctx.alice;
    await p.reload();
    await expectText(p.locator('#reply-text strong'), /will revise/);
    await expectText(p.locator('#reply-approved'), /approved and signed by the channel's head/i);
    await expectText(p.locator('#timeline, .timeline'), /replied/);
    // the officers' notes and drafts are theirs alone
    expect(await p.locator('#internal').count() === 0, 'no officers\' section for the drafter');
    expect(!/Legal cleared/.test(await p.locator('main').innerText()), 'no internal note shown to the drafter');
    await expectText(p.locator('#audit'), /olga/);
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: 'Download the filing receipt' }).click()]);
    expect(dl.suggestedFilename() === `dissent-receipt-${ctx.memo}.json`, `file name ${dl.suggestedFilename()}`);
    const receipt = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
    expect(receipt.format === 'dissent-receipt/v1' && receipt.digest === ctx.digest, 'receipt for this memo');
    await shot(p, '08-drafter-reply');
    clean(p);
  });

  t.step('principal reads the memo distributed to them', async () => {
    const p = ctx.pat = await t.person('pat');
    await signIn(p, 'pat');
    await expectText(p.locator('h1'), /For my reading/);
    await p.getByRole('link', { name: 'Policy X harms our users' }).click();
    await expectText(p.locator('#memo-text'), /hides costs/);
    await p.getByLabel('Your comment').fill('Read, thank you.');
    await p.getByRole('button', { name: 'Post comment' }).click();
    await expectText(p.locator('#comments'), /Read, thank you\./);
    await shot(p, '09-principal-reading');
    clean(p);
  });

  t.step('auditor sees the statistics change', async () => {
    const p = ctx.auditor;
    await p.reload();
    await expectText(p.locator('#stat-filed'), /^1$/);
    await expectText(p.locator('figure'), /Filings per month/);
    expect(/\d{4}-\d\d: 1/.test(await p.locator('svg.chart desc').first().textContent()), 'month bar described');
    await expectText(p.locator('#checkpoint'), /\n\d+\n/);
    await expectText(p.locator('#records-figures'), /^0\s*memos exported for production/);
    await expectText(p.locator('main'), /dissent log verify http/);
    await shot(p, '10-auditor-dashboard');
    clean(p);
  });

  t.step('admin manages an account and cannot open the memo', async () => {
    const p = ctx.adam = await t.person('adam');
    await signIn(p, 'adam');
    await expectText(p.locator('h1'), /Accounts and roles/);
    await p.locator('form[aria-label="Create an account"]').getByLabel('Username').fill('dave');
    await p.locator('form[aria-label="Create an account"]').getByLabel('Display name').fill('Dave New');
    await p.getByRole('button', { name: 'Create account' }).click();
    await expectText(p.locator('body'), /Account dave created/);
    await p.locator('pre[aria-label="Enrolment code"]').waitFor();
    await p.getByRole('button', { name: 'Edit dave' }).click();
    await p.locator('#edit-area').getByLabel('principal').check();
    await p.getByRole('button', { name: 'Save account' }).click();
    await expectText(p.locator('main .page-msg'), /Saved dave/);
    await expectText(p.locator('tr', { hasText: 'Dave New' }), /staff, principal/);
    await shot(p, '11-admin-accounts');
    p.allow.push(/status of 403/, /HTTP 403 GET .*\/api\/v1\/memos\//);
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('h1'), /Not available to you/);
    await expectText(p.locator('main .error-msg'), /Your role does not allow this/);
    expect(!(await p.locator('main').innerText()).includes('hides costs'), 'no memo content for the admin');
    clean(p);
  });

  t.step('two-factor sign-in by choice: enrolment with a QR code, then a code at sign-in', async () => {
    const p = await t.person('carol-2fa');
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
    const t0 = Math.floor(Date.now() / 1000 / 30) * 30;
    const near = [-2, -1, 0, 1, 2, 3].map((k) => Totp.at(secret, t0 + 30 * k));
    const wrong = ['000000', '123456', '999999'].find((c) => !near.includes(c));
    allowHttp(p, 422, 'POST', '/api/v1/me/totp/confirm');
    await p.locator('#totp-confirm-code').fill(wrong);
    await p.getByRole('button', { name: 'Turn on' }).click();
    await expectText(p.locator('body'), /wrong or was already used/);
    srv.totp.set('carol', secret);
    await p.locator('#totp-confirm-code').fill(await srv.totp.code('carol'));
    await p.getByRole('button', { name: 'Turn on' }).click();
    await expectText(p.locator('#totp-recovery-codes'), /^([a-z2-7]{4}(-[a-z2-7]{4}){3}\n?){10}$/);
    await p.getByLabel('I have written down my recovery codes').check();
    await p.getByRole('button', { name: 'Continue' }).click();
    await expectText(p.locator('#totp-state'), /On\. 10 unused recovery codes/);
    clean(p);
    // signing in again asks for a code after the password
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('Username').fill('carol');
    await p.getByLabel('Password', { exact: true }).fill(PW);
    allowHttp(p, 401, 'POST', '/api/v1/session');
    await p.getByRole('button', { name: 'Sign in' }).click();
    const codeBox = p.getByLabel('Code from your authenticator app');
    await codeBox.waitFor();
    await expectText(p.locator('body'), /code from your authenticator app/i);
    await shot(p, '14-totp-sign-in');
    await codeBox.fill(await srv.totp.code('carol'));
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('button', { name: 'Sign out' }).waitFor();
    clean(p);
  });

  t.step('readable at 375 px: no horizontal scrolling, visible focus', async () => {
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

}

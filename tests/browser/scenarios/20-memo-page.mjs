// The memo page, the editor and the officer's actions (issue 13, items for memos.js and
// officer.js), under the default settings: errors in plain words next to what failed with the
// focus there, confirmation dialogs that spell out the consequence (cancel and Escape keep
// everything, the focus goes back to the button), the status header and its next step, the
// timeline as sentences, a declined invitation that offers no signing, deadlines that stop on a
// decline or withdrawal, "who read it" grouped by person and day, and an editor that cannot lose
// text (live preview, the unsaved-changes question, a session that ends while typing).
import { expect, expectText, shot, clean, signIn, settled, createUsers, allowHttp, apiLogin, PW } from '../lib.mjs';

// The officer here sends the reply and extends its deadline themselves: the default has the
// channel's head approve replies and grant extensions, which 10-workflow walks through.
export const ini = '[channel]\nreply_approval = false\n';

// Nothing on screen may look like a code, a field name, a byte count or a route.
const RAW = /\(field:|bytes|\/api\/|_[a-z]+_|[a-z]+_[a-z]+/;
async function plain(locator) {
  const t = await locator.first().innerText();
  expect(!RAW.test(t), `plain words only: ${JSON.stringify(t)}`);
  return t;
}
const focused = (p) => p.evaluate(() => {
  const a = document.activeElement;
  return { id: a.id, field: a.getAttribute('data-field'), cls: a.className, text: (a.textContent || '').trim(), tag: a.tagName };
});
const dialog = (p) => p.getByRole('dialog');
// Types @text into the draft and moves away in one task of the page: the autosave (a second after
// the last keystroke) cannot start in between, however slow the machine, so the guard must ask.
const typeAndLeave = (p, text) => p.evaluate((s) => {
  const b = document.getElementById('draft-body');
  b.value = s;
  b.dispatchEvent(new Event('input', { bubbles: true }));
  location.hash = '#/memos';
}, text);

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['alice', ['staff'], 'Alice Drafter'], ['bob', ['staff'], 'Bob Cosigner'], ['carol', ['staff'], 'Carol Cosigner'],
    ['olga', ['officer'], 'Olga Officer'], ['pat', ['principal'], 'Pat Principal']]);

  // A memo made through the API: created, finalized, signed by the drafter, filed when @file.
  async function apiMemo(title, { file = true } = {}) {
    const a = ctx.aliceApi || (ctx.aliceApi = await apiLogin(srv, 'alice'));
    const m = await (await a('POST', '/api/v1/memos', { title, body: `The text of ${title}.` })).json();
    for (const [path, want] of [['finalize', 200], ['signatures', 201]].concat(file ? [['file', 200]] : [])) {
      const r = await a('POST', `/api/v1/memos/${m.id}/${path}`);
      expect(r.status === want, `${path}: ${r.status} ${await r.text()}`);
    }
    return m.id;
  }

  t.step('new memo: a missing title is said next to the title, with the focus there', async () => {
    const p = ctx.alice = await t.person('alice');
    await signIn(p, 'alice');
    await p.goto('/#/new');
    await p.getByRole('button', { name: 'Create draft' }).click();
    const err = p.locator('form[aria-label="New memo"] .error-msg');
    await expectText(err, /Give the memo a title/);
    await plain(err);
    expect((await focused(p)).field === 'title', 'focus on the title');
    await p.getByLabel('Title', { exact: true }).fill('Travel policy hides costs');
    await p.getByLabel('Text (CommonMark)').fill('Start.');
    await p.getByRole('button', { name: 'Create draft' }).click();
    await expectText(p.locator('h1'), /Edit draft/);
    ctx.memo = p.url().match(/#\/memo\/([0-9a-f]+)\/edit/)[1];
    await expectText(p.locator('form[aria-label="Draft"] .done-msg'), /Draft created/);
    clean(p);
  });

  t.step('editor: live preview beside the text, and a clear choice about signer names', async () => {
    const p = ctx.alice;
    await p.getByLabel('Text (CommonMark)').fill('## Costs\n\nThe policy **hides** costs.\n');
    await expectText(p.locator('#preview strong'), /hides/); // no button pressed: it follows the typing
    await expectText(p.locator('#preview h2'), /Costs/);
    const box = await p.locator('#draft-body').boundingBox();
    const pv = await p.locator('#preview').boundingBox();
    expect(pv.x > box.x + box.width - 1, `preview beside the text on a wide screen (${JSON.stringify(box)} / ${JSON.stringify(pv)})`);
    await expectText(p.locator('#draft-names-hint'), /Off \(the default\): principals .* only how many signed/);
    await p.getByLabel('Show the signers\' names to the principals who receive the memo').check();
    await expectText(p.locator('#draft-names-hint'), /On: principals .* see who signed/);
    await p.getByLabel('Show the signers\' names to the principals who receive the memo').uncheck();
    await expectText(p.locator('#save-status'), /Saved at .*version/);
    await shot(p, '20-editor-live-preview');
    clean(p);
  });

  t.step('editor: moving away with unsaved text asks first; Stay and Escape keep it', async () => {
    const p = ctx.alice;
    const body = p.locator('#draft-body');
    await typeAndLeave(p, '## Costs\n\nThe policy **hides** costs.\n\nUnsaved line.\n');
    await expectText(dialog(p), /Leave without saving\?[\s\S]*not saved yet/);
    await shot(p, '20-editor-leave-dialog');
    await dialog(p).getByRole('button', { name: 'Stay on this page' }).click();
    await expectText(p.locator('h1'), /Edit draft/);
    expect((await body.inputValue()).includes('Unsaved line.'), 'text kept after Stay');
    // the guard puts the editor's address back once Stay is chosen (a hashchange of its own)
    await p.waitForURL(/\/edit$/, { timeout: 5000 }).catch(() => {});
    expect(/\/edit$/.test(p.url()), `address stays on the editor: ${p.url()}`);
    await expectText(p.locator('#save-status'), /Saved at/);
    const savedBefore = await p.locator('#save-status').textContent();
    await typeAndLeave(p, '## Costs\n\nThe policy **hides** costs.\n\nSecond unsaved line.\n');
    await dialog(p).waitFor();
    await p.keyboard.press('Escape');
    await dialog(p).waitFor({ state: 'detached' });
    await expectText(p.locator('h1'), /Edit draft/);
    await p.waitForURL(/\/edit$/, { timeout: 5000 }); // the guard put the editor's address back
    expect((await body.inputValue()).includes('Second unsaved line.'), 'text kept after Escape');
    // the second text saved: a new version (the old "Saved at" was still shown before it)
    await p.waitForFunction((old) => {
      const t = (document.getElementById('save-status') || {}).textContent || '';
      return /Saved at/.test(t) && t !== old;
    }, savedBefore, { timeout: 15000 });
    // saved: moving away asks nothing
    await p.evaluate(() => { location.hash = '#/memos'; });
    await expectText(p.locator('h1'), /My memos/);
    expect(await dialog(p).count() === 0, 'no question once saved');
    await p.goto(`/#/memo/${ctx.memo}/edit`);
    await expectText(p.locator('#draft-body'), /Second unsaved line/).catch(async () => {
      expect((await p.locator('#draft-body').inputValue()).includes('Second unsaved line.'), 'saved text is back');
    });
    clean(p);
  });

  t.step('editor: when the session ends the text stays, with a way to sign in again and save', async () => {
    const p = ctx.alice;
    await p.locator('#draft-title').waitFor();
    await p.context().clearCookies();
    p.allow.push(/status of 401/, /HTTP 401 (PATCH|POST|GET) /);
    await p.locator('#draft-body').fill('Text typed after the session ended.\n');
    await expectText(p.locator('#save-error'), /session has ended.*text is still here/i);
    await plain(p.locator('#save-error'));
    expect(await p.locator('#save-status').getByRole('button', { name: 'Sign in again' }).count() +
      await p.locator('#save-status').getByRole('link', { name: /Sign in again/ }).count() === 1, 'a way to sign in again');
    await expectText(p.locator('h1'), /Edit draft/);
    expect((await p.locator('#draft-body').inputValue()) === 'Text typed after the session ended.\n', 'text kept');
    expect(await p.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })).then((s) => !s.includes('session ended')), 'never stored in the browser');
    await shot(p, '20-editor-session-ended');
    p.allow.push(/status of 401/, /HTTP 401 (PATCH|POST|GET) /); // leaving the field tries once more
    // signing in again in the app's dialog (the page stays), the same text is saved
    const again = p.locator('#save-status').getByRole('button', { name: 'Sign in again' });
    if (await again.count()) {
      await again.click();
      const dlg = p.locator('dialog#reauth[open]');
      await dlg.getByLabel('Password', { exact: true }).fill(PW);
      await dlg.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('dialog#reauth').waitFor({ state: 'detached' });
    } else {
      const r = await fetch(`${srv.url}/api/v1/session`, { method: 'POST', headers: { 'X-Requested-With': 'dissent', 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: PW }) });
      const [name, value] = r.headers.get('set-cookie').split(';')[0].split('=');
      await p.context().addCookies([{ name, value, url: srv.url }]);
      await p.locator('#save-status').getByRole('button', { name: 'Try saving again' }).click();
    }
    await expectText(p.locator('#save-status'), /Saved at/);
    await expectText(p.locator('h1'), /Edit draft/);
    const a = ctx.aliceApi = await apiLogin(srv, 'alice');
    const m = await (await a('GET', `/api/v1/memos/${ctx.memo}`)).json();
    expect(m.body === 'Text typed after the session ended.\n', `saved on the server: ${JSON.stringify(m.body)}`);
    clean(p);
  });

  t.step('finalize asks first: Cancel and Escape keep the draft and give the focus back', async () => {
    const p = ctx.alice;
    await p.locator('#draft-body').fill('## Costs\n\nThe travel policy **hides** costs.\n');
    await expectText(p.locator('#save-status'), /Saved at/);
    const fin = p.getByRole('button', { name: 'Finalize', exact: true });
    await fin.click();
    await expectText(dialog(p), /Finalize the text\?[\s\S]*reopen the memo, which voids every signature/);
    await dialog(p).getByRole('button', { name: 'Cancel' }).click();
    await dialog(p).waitFor({ state: 'detached' });
    expect((await focused(p)).text === 'Finalize', 'focus back on Finalize');
    await fin.click();
    await dialog(p).waitFor();
    await p.keyboard.press('Escape');
    await dialog(p).waitFor({ state: 'detached' });
    await expectText(p.locator('h1'), /Edit draft/);
    expect((await focused(p)).text === 'Finalize', 'focus back on Finalize after Escape');
    await fin.click();
    await dialog(p).getByRole('button', { name: 'Finalize the text' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Finalized/);
    expect((await focused(p)).cls.includes('done-msg'), 'focus on the message by the action bar');
    await expectText(p.locator('.badge.state'), /Open for signature/);
    clean(p);
  });

  t.step('filing before signing: the reason by the action bar, in plain words, focus on it', async () => {
    const p = ctx.alice;
    await expectText(p.locator('#next-step'), /you sign the memo/);
    allowHttp(p, 409, 'POST', '/file');
    await p.getByRole('button', { name: 'File with the channel' }).click();
    await expectText(dialog(p), /File this memo with the channel\?[\s\S]*can no longer change/);
    await dialog(p).getByRole('button', { name: 'File the memo' }).click();
    const err = p.locator('#memo-actions .error-msg');
    await expectText(err, /Sign the memo first/);
    await plain(err);
    expect((await focused(p)).cls.includes('error-msg'), 'focus on the error');
    expect(await p.evaluate(() => ((document.getElementById('flash') || {}).textContent || '') + [...document.querySelectorAll('.page-msg')].map((e) => e.textContent).join('')) === '', 'nothing in the banner at the top');
    await expectText(p.locator('.badge.state'), /Open for signature/);
    clean(p);
  });

  t.step('an unknown invitee is named next to the usernames field', async () => {
    const p = ctx.alice;
    await p.getByRole('button', { name: 'Sign this memo' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Signed/);
    await p.getByRole('button', { name: 'Invite co-signers', exact: true }).click();
    expect((await focused(p)).field === 'usernames', 'the form opened with the focus in it');
    allowHttp(p, 422, 'POST', '/invitations');
    await p.getByLabel('Usernames').fill('bob, zed');
    await p.getByRole('button', { name: 'Send the invitations' }).click();
    const err = p.locator('form[aria-label="Invite co-signers"] .error-msg');
    await expectText(err, /"zed"/);
    await plain(err);
    expect((await focused(p)).field === 'usernames', 'focus on the usernames field');
    expect(await p.getByLabel('Usernames').getAttribute('aria-invalid') === 'true', 'the field is marked invalid');
    await shot(p, '20-invite-error');
    await p.getByLabel('Usernames').fill('bob, carol');
    await p.getByRole('button', { name: 'Send the invitations' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Invitations sent/);
    expect((await focused(p)).cls.includes('done-msg'), 'focus on the success message');
    await expectText(p.locator('main'), /Carol Cosigner \(carol\): not signed yet/);
    clean(p);
  });

  t.step('reopen says that it voids every signature and asks for the reason; Cancel keeps them', async () => {
    const p = ctx.alice;
    const btn = p.getByRole('button', { name: 'Reopen for editing' });
    await btn.click();
    await expectText(dialog(p), /voids every signature collected so far \(1\)/);
    await dialog(p).getByLabel('Reason (shown to the co-signers)').waitFor();
    await shot(p, '20-reopen-dialog');
    await dialog(p).getByRole('button', { name: 'Cancel' }).click();
    await dialog(p).waitFor({ state: 'detached' });
    expect((await focused(p)).text === 'Reopen for editing', 'focus back on the button');
    await expectText(p.locator('.badge.state'), /Open for signature/);
    await expectText(p.locator('.panel'), /Your signature: signed/);
    clean(p);
  });

  t.step('a co-signer who declines leaves the memo: no longer offered, no longer shared', async () => {
    const p = ctx.carol = await t.person('carol');
    await signIn(p, 'carol');
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('#next-step'), /read the frozen text, then sign or decline/);
    const decline = p.getByRole('button', { name: 'Decline the invitation' });
    await decline.click();
    await expectText(dialog(p), /not be able to sign or read this memo afterwards/);
    await p.keyboard.press('Escape');
    await dialog(p).waitFor({ state: 'detached' });
    expect(await p.getByRole('button', { name: 'Sign this memo' }).count() === 1, 'still offered after Escape');
    await decline.click();
    await dialog(p).getByRole('button', { name: 'Decline the invitation' }).click();
    // the memo is no longer hers: she is back on her list, which no longer shows it
    await expectText(p.locator('h1'), /My memos/);
    await expectText(p.locator('main .page-msg'), /declined the invitation. The memo is no longer shared with you/);
    expect(await p.locator(`a[href="#/memo/${ctx.memo}"]`).count() === 0, 'the memo is not listed');
    await shot(p, '20-declined-invitation');
    p.allow.push(/status of 404/, /HTTP 404 GET .*\/api\/v1\/memos\//);
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('main'), /does not exist, or it is not shared with you/);
    expect(await p.getByRole('button', { name: 'Sign this memo' }).count() === 0, 'no Sign after declining');
    // the drafter sees that she declined
    const a = ctx.alice;
    await a.goto(`/#/memo/${ctx.memo}`);
    await a.reload();
    await expectText(a.locator('.timeline'), /Carol Cosigner declined the invitation/);
    clean(p);
  });

  t.step('a page left open after declining elsewhere: signing fails in words', async () => {
    const id = ctx.memo5 = await apiMemo('Open memo for carol', { file: false });
    expect((await ctx.aliceApi('POST', `/api/v1/memos/${id}/invitations`, { usernames: ['carol'] })).status === 200, 'carol invited');
    const p = ctx.carol;
    await p.goto(`/#/memo/${id}`);
    const sign = p.getByRole('button', { name: 'Sign this memo' });
    await sign.waitFor();
    const c = await apiLogin(srv, 'carol');
    expect((await c('DELETE', `/api/v1/memos/${id}/invitations/me`)).status === 204, 'declined in another window');
    p.allow.push(/status of (403|404|409)/, /HTTP (403|404|409) POST .*\/signatures/);
    p.allow.push(/HTTP 404 GET .*\/api\/v1\/memos\//);
    await sign.click();
    // the memo is gone for her: the page says so in words, in place of the stale copy
    await expectText(p.locator('h1'), /This memo could not be shown/);
    const err = p.locator('main .error-msg');
    await expectText(err, /does not exist, or it is not shared with you/);
    await plain(err);
    expect(await p.getByRole('button', { name: 'Sign this memo' }).count() === 0, 'no stale Sign button');
    clean(p);
    // the drafter reopens it: the reason is asked in the dialog and read as a sentence
    const a = ctx.alice;
    await a.goto(`/#/memo/${id}`);
    // the page was on another memo, which offers the same button: wait for this one (a click
    // before it rendered reopened the other memo, and the next step failed one run in four)
    await expectText(a.locator('h1'), /Open memo for carol/);
    await a.getByRole('button', { name: 'Reopen for editing' }).click();
    await dialog(a).getByLabel('Reason (shown to the co-signers)').fill('Carol asked for a change.');
    await dialog(a).getByRole('button', { name: 'Reopen and void the signatures' }).click();
    await expectText(a.locator('#memo-actions .done-msg'), /Reopened as a draft/);
    await expectText(a.locator('.badge.state'), /^Draft$/);
    await expectText(a.locator('.timeline'), /Alice Drafter reopened the memo for editing, which voided every signature: Carol asked for a change\./);
    expect(await a.getByRole('link', { name: 'Edit the draft' }).count() === 1, 'the draft can be edited again');
    clean(a);
  });

  t.step('the drafter files after confirming; the header says who acts next and by when', async () => {
    const b = await apiLogin(srv, 'bob');
    const signed = await b('POST', `/api/v1/memos/${ctx.memo}/signatures`);
    expect(signed.status === 201, `bob signs: ${signed.status} ${await signed.clone().text()}`);
    const p = ctx.alice;
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('main'), /Carol Cosigner \(carol\): declined/);
    const file = p.getByRole('button', { name: 'File with the channel' });
    await file.click();
    await expectText(dialog(p), /with 2 signatures/);
    await dialog(p).getByRole('button', { name: 'Cancel' }).click();
    expect((await focused(p)).text === 'File with the channel', 'focus back on the button');
    await file.click();
    await dialog(p).getByRole('button', { name: 'File the memo' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Filed/);
    expect((await focused(p)).cls.includes('done-msg'), 'focus on the message');
    await expectText(p.locator('#next-step'), /Waiting for the channel's officers to acknowledge by \d{4}-\d\d-\d\d/);
    await expectText(p.locator('ol.steps'), /Filed with the channel \d{4}-\d\d-\d\d\s*\(done\)[\s\S]*Acknowledged by the officers\s*\(next\)/);
    await expectText(p.locator('.timeline'), /Alice Drafter filed the memo with the channel/);
    await plain(p.locator('.timeline'));
    await expectText(p.locator('#names-note'), /see only the number of signers/);
    await shot(p, '20-memo-filed-drafter');
    clean(p);
  });

  t.step('officer: acknowledge, an out-of-range extension, then a valid one, as sentences', async () => {
    const p = ctx.olga = await t.person('olga');
    await signIn(p, 'olga');
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('#next-step'), /Waiting for you and the other officers to acknowledge by/);
    await p.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Acknowledged/);
    await expectText(p.locator('.timeline'), /Olga Officer acknowledged the memo/);
    await expectText(p.locator('dl.meta'), /may be extended to \d{4}-\d\d-\d\d at most/);
    await p.getByRole('button', { name: 'Extend the reply deadline' }).click();
    const form = p.locator('form[aria-label="Extend the reply deadline"]');
    const hint = await form.locator('.hint').first().innerText();
    const [, due, max] = hint.match(/after (\d{4}-\d\d-\d\d) .* no later than (\d{4}-\d\d-\d\d)/);
    await form.getByLabel('New reply due date').fill('2099-01-01');
    await form.getByLabel('Reason (the drafter sees it)').fill('Waiting for the budget office.');
    await form.getByRole('button', { name: 'Extend the deadline' }).click();
    await expectText(form.locator('.error-msg'), new RegExp(`after ${due} .*no later than ${max}`));
    await plain(form.locator('.error-msg'));
    expect((await focused(p)).field === 'until', 'focus on the date');
    await shot(p, '20-extend-error');
    const d = new Date(`${due}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 7);
    const until = d.toISOString().slice(0, 10) <= max ? d.toISOString().slice(0, 10) : max;
    await form.getByLabel('New reply due date').fill(until);
    await form.getByRole('button', { name: 'Extend the deadline' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), new RegExp(`now ${until}`));
    await expectText(p.locator('.timeline'), new RegExp(`The reply deadline was extended to ${until}: Waiting for the budget office\\.`));
    ctx.until = until;
    // an interim answer: in the timeline, and the reply is still due
    await p.getByRole('button', { name: 'Interim answer' }).click();
    const interim = p.getByRole('form', { name: 'Interim answer' });
    await interim.getByRole('button', { name: 'Send the interim answer' }).click();
    await expectText(interim.locator('.error-msg'), /Write the interim answer first/);
    await interim.getByLabel(/Interim answer/).fill('We are consulting the bureau.');
    await interim.getByRole('button', { name: 'Send the interim answer' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Interim answer sent/);
    await expectText(p.locator('.timeline'), /Olga Officer sent an interim answer: We are consulting the bureau\./);
    await expectText(p.locator('dl.meta'), new RegExp(`due ${until}`));
    clean(p);
  });

  t.step('officer: an empty reply is refused by its field; the reply has a live preview and asks first', async () => {
    const p = ctx.olga;
    await p.getByRole('button', { name: 'Reply', exact: true }).click();
    const form = p.locator('form[aria-label="Reply for the channel"]');
    await form.getByRole('button', { name: 'Send the reply' }).click();
    await expectText(form.locator('.error-msg'), /Write the reply first/);
    expect((await focused(p)).field === 'body', 'focus on the reply');
    await form.getByLabel('The channel\'s reply (CommonMark)').fill('We **will** publish the costs.');
    await expectText(p.locator('#reply-preview strong'), /will/);
    await shot(p, '20-reply-preview');
    await form.getByRole('button', { name: 'Send the reply' }).click();
    await expectText(dialog(p), /cannot be changed or taken back/);
    await dialog(p).getByRole('button', { name: 'Cancel' }).click();
    await expectText(p.locator('.badge.state'), /Acknowledged/);
    expect((await form.getByLabel('The channel\'s reply (CommonMark)').inputValue()).includes('publish'), 'reply text kept after Cancel');
    await form.getByRole('button', { name: 'Send the reply' }).click();
    await dialog(p).getByRole('button', { name: 'Send the reply' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Reply sent/);
    await expectText(p.locator('.badge.state'), /Replied/);
    expect(!/may be extended/.test(await p.locator('dl.meta').innerText()), 'no "may be extended" after the reply');
    await expectText(p.locator('.timeline'), /Olga Officer replied for the channel/);
    clean(p);
  });

  t.step('after the reply it is the drafter\'s turn: the officer cannot close; a question sends it back', async () => {
    const p = ctx.olga;
    await p.getByRole('button', { name: 'Distribute to principals' }).click();
    await p.getByLabel('Principals\' usernames').fill('pat');
    await p.getByRole('button', { name: 'Send to these principals' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Distributed/);
    await expectText(p.locator('#comments .hint'), /drafter, the invited co-signers, the channel's officers and the principals/);
    expect(await p.getByRole('button', { name: 'Close', exact: true }).count() === 0, 'no Close while the drafter may answer');
    await expectText(p.locator('.status-header'), /the drafter accepts the reply or asks for clarification, until \d{4}-\d\d-\d\d/);
    const a = ctx.alice;
    await a.goto(`/#/memo/${ctx.memo}`);
    await a.reload();
    await settled(a);
    await expectText(a.locator('.status-header'), /you accept the reply or ask for clarification, until/);
    await a.getByRole('button', { name: 'Ask for clarification' }).click();
    const form = a.locator('form[aria-label="Ask for clarification"]');
    await form.getByRole('button', { name: 'Send the question' }).click();
    await expectText(form.locator('.error-msg'), /it is empty/);
    await form.getByLabel(/What needs clarifying/).fill('Does this cover the regional offices?');
    await form.getByRole('button', { name: 'Send the question' }).click();
    await expectText(a.locator('#memo-actions .done-msg'), /question was sent/);
    await expectText(a.locator('.badge.state'), /Acknowledged/);
    await expectText(a.locator('.timeline'), /Alice [^\n]*asked for clarification: Does this cover the regional offices\?/);
    await expectText(a.locator('.timeline'), /The reply before the clarification: /);
    await shot(a, '20-memo-clarification');
    clean(a);
  });

  t.step('the officer answers again; the drafter accepts; a closed memo takes no comments', async () => {
    const p = ctx.olga;
    await p.reload();
    await settled(p);
    await p.getByRole('button', { name: 'Reply', exact: true }).click();
    const form = p.locator('form[aria-label="Reply for the channel"]');
    await form.getByLabel('The channel\'s reply (CommonMark)').fill('Yes: every regional office.');
    await form.getByRole('button', { name: 'Send the reply' }).click();
    await dialog(p).getByRole('button', { name: 'Send the reply' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Reply sent/);
    clean(p);
    const a = ctx.alice;
    await a.reload();
    await settled(a);
    const accept = a.getByRole('button', { name: 'Accept the reply' });
    await accept.click();
    await expectText(dialog(a), /Accept the reply\?/);
    await a.keyboard.press('Escape');
    await expectText(a.locator('.badge.state'), /Replied/);
    await accept.click();
    await dialog(a).getByRole('button', { name: 'Accept the reply' }).click();
    await expectText(a.locator('#memo-actions .done-msg'), /accepted the reply/);
    await expectText(a.locator('#comments-closed'), /No new comments: the memo is closed/);
    expect(await a.getByLabel('Your comment').count() === 0, 'no comment form on a closed memo');
    await expectText(a.locator('ol.steps'), /Closed \d{4}-\d\d-\d\d\s*\(done\)/);
    await shot(a, '20-memo-closed-drafter');
    // new facts: an addendum, a new draft linked to this memo, opens in the editor
    await a.getByRole('button', { name: 'Write an addendum' }).click();
    const add = a.locator('form[aria-label="Write an addendum"]');
    await add.getByLabel('The new facts').fill('The costs **doubled** in October.');
    await add.getByRole('button', { name: 'Start the addendum' }).click();
    await a.waitForURL(/#\/memo\/[0-9a-f]+\/edit$/);
    await expectText(a.locator('main'), /The addendum is a draft/);
    expect(!a.url().includes(ctx.memo), 'a new memo');
    ctx.addendum = a.url().match(/#\/memo\/([0-9a-f]+)\/edit/)[1];
    expect((await a.getByLabel('Text (CommonMark)').inputValue()).includes('doubled'), 'the new facts are the draft\'s text');
    // a draft is the drafter's alone: the original links to it only once it is filed
    await a.goto(`/#/memo/${ctx.memo}`);
    await settled(a);
    await expectText(a.locator('.badge.state'), /Closed/);
    expect(await a.locator('#addenda').count() === 0, 'no link to an unfiled addendum');
    clean(a);
  });

  t.step('principal: names hidden is said plainly; an empty comment is refused by its field', async () => {
    const id = ctx.memo2 = await apiMemo('Second memo');
    const o = await apiLogin(srv, 'olga');
    expect((await o('POST', `/api/v1/memos/${id}/acknowledge`)).status === 200, 'acknowledged');
    expect((await o('POST', `/api/v1/memos/${id}/distribution`, { usernames: ['pat'] })).status === 200, 'distributed');
    const p = ctx.pat = await t.person('pat');
    await signIn(p, 'pat');
    await p.goto(`/#/memo/${id}`);
    await expectText(p.locator('main'), /1 signer; the drafter chose not to show their names to principals/);
    await expectText(p.locator('.timeline'), /An officer acknowledged the memo/);
    await expectText(p.locator('#comments .hint'), /principals it is distributed to/);
    await p.getByRole('button', { name: 'Post comment' }).click();
    await expectText(p.locator('form[aria-label="Add a comment"] .error-msg'), /it is empty/);
    expect((await focused(p)).field === 'body', 'focus on the comment');
    await p.getByLabel('Your comment').fill('Noted.');
    await p.getByRole('button', { name: 'Post comment' }).click();
    await expectText(p.locator('form[aria-label="Add a comment"] .done-msg'), /Comment posted/);
    await expectText(p.locator('#comments'), /Noted\./);
    await shot(p, '20-principal-memo');
    clean(p);
  });

  t.step('declined and withdrawn memos: deadlines no longer apply, no comments, no "may be extended"', async () => {
    const p = ctx.olga;
    const id3 = await apiMemo('Out of scope memo');
    await p.goto(`/#/memo/${id3}`);
    await p.getByRole('button', { name: 'Decline as out of scope' }).click();
    const form = p.getByRole('form', { name: 'Decline the memo as out of scope' });
    // an empty reason, then no referral, then "elsewhere" without a note: each refused next to
    // its field, with the focus there, before any question
    await form.getByRole('button', { name: 'Decline the memo' }).click();
    await expectText(form.locator('.error-msg'), /Give a reason/);
    expect(await p.evaluate(() => document.activeElement.id) === 'decline-reason-in', 'focus on the reason');
    await form.getByLabel('Reason (the drafter sees it)').fill('Personnel matter, not policy.');
    await form.getByRole('button', { name: 'Decline the memo' }).click();
    await expectText(form.locator('.error-msg'), /Say where the memo belongs/);
    await form.getByLabel('Refer the drafter to').selectOption('other');
    await form.getByRole('button', { name: 'Decline the memo' }).click();
    await expectText(form.locator('.error-msg'), /Say where the drafter should go/);
    expect(await dialog(p).count() === 0, 'no question before the form is complete');
    await expectText(p.locator('.badge.state'), /^Filed$/);
    await form.getByLabel('Refer the drafter to').selectOption('inspector-general');
    await form.getByLabel(/Note for the drafter/).fill('Hotline 1-800-000-0000');
    await shot(p, '20-decline-form');
    await form.getByRole('button', { name: 'Decline the memo' }).click();
    await expectText(dialog(p), /Declining ends the memo's handling/);
    await dialog(p).getByRole('button', { name: 'Decline the memo' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Declined/);
    await expectText(p.locator('#decline-reason'), /Personnel matter/);
    await expectText(p.locator('#decline-referral'), /Referred to: The Office of Inspector General \(Hotline 1-800-000-0000\)/);
    const meta = await p.locator('dl.meta').innerText();
    expect(/Reply[\s\S]*no longer applies \(declined\)/.test(meta), `reply stopped: ${meta}`);
    expect(!/may be extended/.test(meta), 'no extension on a declined memo');
    expect(await p.getByLabel('Your comment').count() === 0, 'no comment form on a declined memo');
    await expectText(p.locator('.timeline'), /Olga Officer declined the memo as out of scope/);
    await shot(p, '20-memo-declined');
    const a = ctx.alice;
    const id4 = await apiMemo('Withdrawn memo');
    await a.goto(`/#/memo/${id4}`);
    const w = a.getByRole('button', { name: 'Withdraw the memo' });
    await w.click();
    await expectText(dialog(a), /This is final/);
    await dialog(a).getByRole('button', { name: 'Cancel' }).click();
    await expectText(a.locator('.badge.state'), /^Filed$/);
    await w.click();
    await dialog(a).getByRole('button', { name: 'Withdraw the memo' }).click();
    await expectText(a.locator('#memo-actions .done-msg'), /withdrawn/);
    const meta2 = await a.locator('dl.meta').innerText();
    expect(/Acknowledgement[\s\S]*no longer applies \(withdrawn\)[\s\S]*Reply[\s\S]*no longer applies \(withdrawn\)/.test(meta2), `both stopped: ${meta2}`);
    expect(!/on time/.test(meta2), `nothing "on time": ${meta2}`);
    expect(await a.getByLabel('Your comment').count() === 0, 'no comment form on a withdrawn memo');
    await expectText(a.locator('.timeline'), /Alice Drafter withdrew the memo/);
    clean(a);
    clean(p);
  });

  t.step('who read it: every page of records, grouped by person and day, each group opens', async () => {
    const a = ctx.aliceApi;
    for (let i = 0; i < 230; i++) await a('GET', `/api/v1/memos/${ctx.memo}/comments`); // more than one page of 200
    let all = [];
    let after = null;
    for (;;) {
      const r = await (await a('GET', `/api/v1/memos/${ctx.memo}/audit?limit=200${after ? `&after=${after}` : ''}`)).json();
      all = all.concat(r.records);
      if (!r.next) break;
      after = r.next;
    }
    expect(all.length > 230, `records: ${all.length}`);
    const p = ctx.alice;
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('#audit'), /^\d+ records from \d+ people/);
    const shown = Number((await p.locator('#audit').innerText()).match(/^(\d+) records/)[1]);
    expect(shown >= all.length && shown <= all.length + 4, `all ${all.length} records counted (and this visit's): ${shown}`);
    const groups = p.locator('#audit ul.readers > li');
    const people = new Set(all.map((r) => r.by));
    expect(await groups.count() >= people.size, 'one group per person and day at least');
    const mine = groups.filter({ hasText: 'Alice Drafter (alice)' }).first();
    await expectText(mine.locator('summary'), /Alice Drafter \(alice\) on \d{4}-\d\d-\d\d: \d+ records, (from \d\d:\d\d .* to|at) \d\d:\d\d/);
    expect(!(await mine.locator('details ul').isVisible()), 'closed by default');
    await mine.locator('summary').click();
    await expectText(mine.locator('details ul'), /read the comments/);
    await expectText(groups.filter({ hasText: 'Olga Officer (olga)' }).first().locator('summary'), /Olga Officer \(olga\)/);
    await plain(p.locator('#audit'));
    await shot(p, '20-who-read-it');
    clean(p);
  });

  t.step('phone width: the memo page and the editor fit 375 px, preview under the text', async () => {
    const p = await t.person('alice-phone', { width: 375, height: 800 });
    await signIn(p, 'alice');
    await p.goto(`/#/memo/${ctx.memo}`);
    await expectText(p.locator('#next-step'), /Closed on/);
    await shot(p, '20-memo-375px');
    const a = ctx.aliceApi;
    const m = await (await a('POST', '/api/v1/memos', { title: 'Phone draft', body: 'Typed on a phone.' })).json();
    await p.goto(`/#/memo/${m.id}/edit`);
    await expectText(p.locator('#preview'), /Typed on a phone/);
    const box = await p.locator('#draft-body').boundingBox();
    const pv = await p.locator('#preview').boundingBox();
    expect(pv.y >= box.y + box.height - 1, 'preview stacked under the text on a phone');
    await shot(p, '20-editor-375px');
    clean(p);
  });
}

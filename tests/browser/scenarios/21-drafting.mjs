// Drafting that cannot lose text, continued (20-memo-page has the live preview, the in-app
// question and the session's end): closing the tab with unsaved text gets the browser's
// warning, a saved draft closes without one, a field the server refuses is named next to it
// with the focus there, and leaving the field saves at once. A draft is deleted for good after a
// question that says so, on a phone: gone for its drafter and for the colleague invited to it.
import { expect, expectText, shot, clean, signIn, createUsers, allowHttp, apiLogin } from '../lib.mjs';

const RAW = /\(field:|bytes|\/api\/|_[a-z]+_|[a-z]+_[a-z]+/;

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['ivo', ['staff'], 'Ivo Invitee']]);

  async function draft(p, title) {
    const a = ctx.api || (ctx.api = await apiLogin(srv, 'dora'));
    const m = await (await a('POST', '/api/v1/memos', { title, body: 'Saved text.' })).json();
    await p.goto(`/#/memo/${m.id}/edit`);
    await expectText(p.locator('#preview'), /Saved text/);
    return m.id;
  }

  t.step('closing the tab with unsaved text asks first; a saved draft closes without asking', async () => {
    const p = await t.person('dora');
    await signIn(p, 'dora');
    await draft(p, 'Unsaved when closing');
    await p.locator('#draft-body').fill('Saved text.\n\nNot saved yet.');
    const asked = new Promise((resolve) => {
      p.once('dialog', async (d) => { resolve(d.type()); await d.dismiss(); }); // dismiss: stay
    });
    await p.close({ runBeforeUnload: true });
    expect(await Promise.race([asked, new Promise((r) => setTimeout(() => r('none'), 3000))]) === 'beforeunload', 'the browser asked before closing');
    expect(!p.isClosed(), 'the page stayed open');
    expect((await p.locator('#draft-body').inputValue()).includes('Not saved yet.'), 'text still there');
    await expectText(p.locator('#save-status'), /Saved at/);
    let again = false;
    p.once('dialog', async (d) => { again = true; await d.accept(); });
    await p.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(!again, 'no question once saved');
  });

  t.step('a title the server refuses is named next to the title, with the focus there', async () => {
    const p = ctx.p = await t.person('dora-2');
    await signIn(p, 'dora');
    await draft(p, 'Title to be refused');
    allowHttp(p, 422, 'PATCH', '/api/v1/memos/');
    await p.locator('#draft-title').fill('');
    await p.getByRole('button', { name: 'Save now' }).click();
    const err = p.locator('form[aria-label="Draft"] .error-msg[role="alert"]');
    await expectText(err, /title/i);
    const text = await err.innerText();
    expect(!RAW.test(text), `plain words: ${text}`);
    expect(await p.evaluate(() => document.activeElement.id) === 'draft-title', 'focus on the title');
    expect(await p.locator('#draft-title').getAttribute('aria-invalid') === 'true', 'the title is marked');
    await expectText(p.locator('#save-status'), /Not saved/);
    await shot(p, '21-editor-title-error');
    await p.locator('#draft-title').fill('A better title');
    await p.getByRole('button', { name: 'Save now' }).click();
    await expectText(p.locator('#save-status'), /Saved at/);
    expect(await err.count() === 0, 'the error is gone once saved');
    clean(p);
  });

  t.step('leaving a field saves at once, without waiting for the typing pause', async () => {
    const p = ctx.p;
    let patched = 0;
    p.on('request', (r) => { if (r.method() === 'PATCH') patched += 1; });
    await p.locator('#draft-body').fill('Saved when the field is left.');
    await p.keyboard.press('Tab'); // blur: saves now
    await p.waitForTimeout(300);   // well under the autosave's pause
    expect(patched >= 1, 'saved on blur');
    await expectText(p.locator('#save-status'), /Saved at/);
    clean(p);
  });

  t.step('deleting a draft asks first, then it is gone for the drafter and the invitee (phone)', async () => {
    const p = await t.person('dora-phone', { width: 390, height: 844 });
    await signIn(p, 'dora');
    const a = ctx.api || (ctx.api = await apiLogin(srv, 'dora'));
    const m = await (await a('POST', '/api/v1/memos', { title: 'To be deleted', body: 'Gone soon.' })).json();
    const r = await a('POST', `/api/v1/memos/${m.id}/invitations`, { usernames: ['ivo'] });
    expect(r.status === 200, `invite: ${r.status}`);
    await p.goto(`/#/memo/${m.id}`);
    const del = p.getByRole('button', { name: 'Delete the draft' });
    await del.click();
    const dlg = p.getByRole('dialog');
    await expectText(dlg, /nobody can read it again[\s\S]*colleague you invited loses it/);
    await shot(p, '21-delete-question-phone');
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await dlg.waitFor({ state: 'detached' });
    expect(await p.evaluate(() => document.activeElement.id) === 'delete-memo', 'the focus is back on the button');
    expect((await (await a('GET', `/api/v1/memos/${m.id}`)).status) === 200, 'kept after cancel');
    await del.click();
    await dlg.getByRole('button', { name: 'Delete it for good' }).click();
    await expectText(p.locator('h1'), /My memos/);
    await expectText(p.locator('main'), /Deleted\. Nobody can read it any more/);
    expect(!(await p.locator('main').innerText()).includes('To be deleted'), 'not listed any more');
    expect((await (await a('GET', `/api/v1/memos/${m.id}`)).status) === 404, 'gone for the drafter');
    const ivo = await apiLogin(srv, 'ivo');
    expect((await (await ivo('GET', `/api/v1/memos/${m.id}`)).status) === 404, 'gone for the invitee');
    const scroll = await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    expect(scroll, 'no sideways scrolling on a phone');
    clean(p);
  });
}

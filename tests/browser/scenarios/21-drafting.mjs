// Drafting that cannot lose text, continued (20-memo-page has the live preview, the in-app
// question and the session's end): closing the tab with unsaved text gets the browser's
// warning, a saved draft closes without one, a field the server refuses is named next to it
// with the focus there, and leaving the field saves at once.
import { expect, expectText, shot, clean, signIn, createUsers, allowHttp, apiLogin } from '../lib.mjs';

const RAW = /\(field:|bytes|\/api\/|_[a-z]+_|[a-z]+_[a-z]+/;

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter']]);

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
}

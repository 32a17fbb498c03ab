// Channels (issue 23; docs/channels.md), as an administrator manages them on the administration
// page, on a phone: the deployment's own channel 1, a new channel added by its short name, a
// setting refused with the server's reason, then set; the page in Arabic as well. Then an
// officer's account is given to the new channel alone, a drafter files a memo to it from the
// new memo form, and only that channel's officer finds it in the inbox. Each channel has its own
// key: an officer of two channels sees where they stand with each.
import { expect, expectText, shot, signIn, settled, tr, allowHttp, clean, adminApi, createUsers, apiLogin, serverCli } from '../lib.mjs';

export default async function (t) {
  const { srv } = t;
  await adminApi(srv); // the default settings: an administrator signs in with a second factor
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['olga', ['officer'], 'Olga Officer'],
    ['xena', ['officer'], 'Xena Officer']]);

  t.step('an administrator adds a channel and sets its time zone', async () => {
    const p = await t.person('admin-channels', { width: 375, height: 800 });
    await signIn(p, 'admin', { password: srv.password });
    await p.goto('/#/admin');
    await settled(p);
    const section = p.locator('#channels');
    await expectText(section.locator('h2'), /^Channels$/);
    await expectText(section.locator('tbody'), /1\s*main\s*—\s*the deployment's/);
    const add = p.locator('#channel-add');
    await add.getByLabel('Short name').fill('agency-x');
    await add.getByLabel('Name', { exact: true }).fill('Agency X');
    await add.getByRole('button', { name: 'Add the channel' }).click();
    await expectText(section.locator('.done-msg'), /^Channel agency-x added, number 2\.$/);
    await expectText(section.locator('tbody'), /2\s*agency-x\s*Agency X/);
    // a short name taken, then a bad one: said next to the form
    allowHttp(p, 409, 'POST', '/api/v1/channels');
    await p.locator('#channel-add').getByLabel('Short name').fill('agency-x');
    await p.locator('#channel-add').getByRole('button', { name: 'Add the channel' }).click();
    await expectText(p.locator('#channel-add .error-msg'), /exists already/);
    clean(p);
    // a time zone that does not exist is refused with the server's reason, then a real one
    await section.getByRole('button', { name: 'Edit channel agency-x' }).click();
    const edit = p.locator('#channel-edit');
    await edit.getByLabel('timezone', { exact: true }).fill('Mars/Base');
    allowHttp(p, 422, 'PATCH', '/api/v1/channels/agency-x');
    await edit.getByRole('button', { name: 'Save the channel' }).click();
    await expectText(edit.locator('.error-msg'), /^A setting was refused: .*Mars\/Base/);
    await shot(p, '54-channel-refused-phone');
    clean(p);
    await edit.getByLabel('timezone', { exact: true }).fill('Europe/Paris');
    await edit.getByRole('button', { name: 'Save the channel' }).click();
    await expectText(section.locator('.done-msg'), /^Channel agency-x saved\.$/);
    await expectText(section.locator('tbody'), /timezone = Europe\/Paris/);
    await shot(p, '54-channels-phone');
    const r = await p.evaluate(async () => (await fetch('/api/v1/channels', { headers: { 'X-Requested-With': 'dissent' } })).json());
    expect(JSON.stringify(r.channels[1].settings) === '{"timezone":"Europe/Paris"}', `stored: ${JSON.stringify(r.channels[1])}`);
  });

  t.step('the channels in Arabic', async () => {
    const p = await t.person('admin-channels-ar', { width: 375, height: 800, locale: 'ar' });
    await signIn(p, 'admin', { password: srv.password, lang: 'ar' });
    await p.goto('/#/admin');
    await settled(p);
    await expectText(p.locator('#channels h2'), new RegExp(`^${tr('ar', 'admin.channels.title')}$`));
    await shot(p, '54-channels-arabic-phone');
  });

  t.step('an officer of the new channel alone; a memo filed to it reaches her, not the others', async () => {
    const p = await t.person('admin-channels-2');
    await signIn(p, 'admin', { password: srv.password });
    await p.goto('/#/admin');
    await settled(p);
    await p.getByRole('button', { name: 'Edit xena' }).click();
    const edit = p.locator('#edit-area form');
    await edit.getByLabel('main', { exact: true }).uncheck();
    await edit.getByLabel('Agency X', { exact: true }).check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await settled(p);
    const admin = await apiLogin(srv, 'admin', srv.password);
    const x = (await (await admin('GET', '/api/v1/users?limit=200')).json()).users.find((u) => u.username === 'xena');
    expect(JSON.stringify(x.channels) === '[2]', `xena's channels: ${JSON.stringify(x.channels)}`);
    // a key per channel: olga's of main opens nothing of Agency X, and cannot be given to xena;
    // Agency X's own key is made for xena on the server (she enrolled before it had one)
    const olga = await apiLogin(srv, 'olga');
    const g = await olga('POST', '/api/v1/channel/grants', { username: 'xena' });
    expect(g.status === 422, `grant of main's key to xena: ${g.status}`);
    const out = serverCli(srv, ['channel', 'init', 'xena']);
    expect(/channel 2: made the channel key and granted it to xena/.test(out), out);
    // dora files to Agency X from the new memo form
    const d = await t.person('dora-channels', { width: 375, height: 800 });
    await signIn(d, 'dora');
    await d.getByRole('link', { name: 'New memo', exact: true }).click();
    await d.getByLabel('Channel').selectOption({ label: 'Agency X' });
    await d.getByLabel('Title', { exact: true }).fill('Objection filed to Agency X');
    await d.getByLabel('Text (CommonMark)').fill('Agency X must hear this.');
    await shot(d, '54-new-memo-channel-phone');
    await d.getByRole('button', { name: 'Create draft' }).click();
    await d.locator('#draft-body').waitFor();
    const id = d.url().match(/#\/memo\/([0-9a-f]+)\/edit/)[1];
    // the draft's channel can still change: the editor offers it, Agency X chosen
    expect(await d.getByLabel('Channel').inputValue() === 'agency-x', 'the draft is Agency X\'s');
    await shot(d, '54-draft-channel-phone');
    const dora = await apiLogin(srv, 'dora');
    for (const step of ['finalize', 'signatures', 'file']) {
      const r = await dora('POST', `/api/v1/memos/${id}/${step}`);
      expect(r.status < 300, `${step}: ${r.status}`);
    }
    const m = await (await dora('GET', `/api/v1/memos/${id}`)).json();
    expect(m.channel === 2, `filed to channel ${m.channel}`);
    // xena finds it in the inbox; olga, of channel 1, does not
    const xp = await t.person('xena-inbox');
    await signIn(xp, 'xena');
    await xp.goto('/#/inbox');
    await settled(xp);
    await expectText(xp.locator('main'), /Objection filed to Agency X/);
    await xp.goto(`/#/memo/${id}`);
    await settled(xp);
    await expectText(xp.locator('#memo-channel'), /^Channel: Agency X$/);
    await shot(xp, '54-memo-channel');
    await xp.goto('/#/inbox');
    await settled(xp);
    await expectText(xp.locator('#h-grant + p'), /^You hold the channel key\.$/);
    const op = await t.person('olga-inbox');
    await signIn(op, 'olga');
    await op.goto('/#/inbox');
    await settled(op);
    expect(!(await op.locator('main').innerText()).includes('Objection filed to Agency X'), 'not in the other channel\'s inbox');
    allowHttp(op, 404, 'GET', `/api/v1/memos/${id}`);
    await op.goto(`/#/memo/${id}`);
    await settled(op);
    await expectText(op.locator('h1'), /^Page not found$|not found/i);
    clean(op);
    // vera, an officer of both channels, holds neither key yet: each says so
    await createUsers(srv, [['vera', ['officer'], 'Vera Officer']]);
    const v = await admin('PATCH', '/api/v1/users/vera', { channels: ['main', 'agency-x'] });
    expect(v.status === 200, `vera's channels: ${v.status}`);
    const vp = await t.person('vera-access', { width: 375, height: 800 });
    await signIn(vp, 'vera');
    await vp.goto('/#/inbox');
    await settled(vp);
    const items = vp.locator('section[aria-labelledby="h-grant"] li');
    await expectText(items.nth(0), /^main The channel key exists; you have not been granted it\.$/);
    await expectText(items.nth(1), /^Agency X The channel key exists; you have not been granted it\.$/);
    await shot(vp, '54-channel-keys-phone');
  });

  t.step('the statistics of every channel and of one, on a phone', async () => {
    await createUsers(srv, [['aude', ['auditor'], 'Aude Auditor']]);
    const p = await t.person('aude-stats', { width: 375, height: 800 });
    await signIn(p, 'aude');
    await p.goto('/#/stats');
    await settled(p);
    const nav = p.getByRole('navigation', { name: 'Channels' });
    await expectText(nav.locator('[aria-current="page"]'), /^All channels$/);
    await nav.getByRole('link', { name: 'Agency X' }).click();
    await p.waitForURL(/#\/stats\?channel=agency-x$/);
    await settled(p);
    await expectText(nav.locator('[aria-current="page"]'), /^Agency X$/);
    await shot(p, '54-stats-channel-phone');
  });
}

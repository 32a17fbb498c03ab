// Channels (issue 23; docs/channels.md), as an administrator manages them on the administration
// page, on a phone: the deployment's own channel 1, a new channel added by its short name, a
// setting refused with the server's reason, then set; the page in Arabic as well.
import { expect, expectText, shot, signIn, settled, tr, allowHttp, clean, adminApi } from '../lib.mjs';

export default async function (t) {
  const { srv } = t;
  await adminApi(srv); // the default settings: an administrator signs in with a second factor

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
}

// The records officer, under the default settings (two-factor sign-in, as the state-dept preset
// asks of the role), on a phone-width screen: places a legal hold on a memo with a reason, sees
// the retention schedule's dry run (ids, states, days: no title, no name), and lifts the hold
// with a reason, in the dialog.
import { expect, expectText, shot, checkScreen, signIn, settled, createUsers, apiLogin, allowHttp } from '../lib.mjs';

export const ini = '[records]\nretain_closed = 30\nretain_drafts = 90\n';

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['rhea', ['records'], 'Rhea Records']]);
  const dora = await apiLogin(srv, 'dora');
  const m = await (await dora('POST', '/api/v1/memos', { title: 'A secret title', body: 'Secret text.' })).json();
  ctx.memo = m.id;

  t.step('the records officer places a hold on a memo, with a reason', async () => {
    const p = ctx.p = await t.person('rhea', { width: 375, height: 800 });
    await signIn(p, 'rhea');
    await expectText(p.locator('h1'), /^Records$/);
    await expectText(p.locator('main'), /drafts and memos never filed 90 days/);
    await expectText(p.locator('#holds-h + *'), /No hold has been placed/);
    const form = p.locator('form[aria-label="Place a legal hold"]');
    allowHttp(p, 422, 'POST', '/api/v1/records/holds');
    await form.getByLabel('Memo id').fill(ctx.memo);
    await form.getByRole('button', { name: 'Place the hold' }).click();
    await expectText(form.locator('.error-msg'), /Give a reason/);
    await form.getByLabel('Reason').fill('Smith v. Department: discovery request 7');
    await form.getByRole('button', { name: 'Place the hold' }).click();
    await expectText(p.locator('main'), /Hold 1 placed: it keeps 1 memo now/);
    await expectText(p.locator('section[aria-labelledby="holds-h"]'), /Smith v\. Department[\s\S]*holding/);
    await expectText(p.locator('section[aria-labelledby="sched-h"]'), new RegExp(`${ctx.memo}[\\s\\S]*held`));
    const text = await p.locator('main').innerText();
    expect(!/secret title|Secret text|Dora/i.test(text), 'no title, text or name reaches the records officer');
    await shot(p, '48-records-held-phone');
  });

  t.step('the hold is lifted with a reason; the memo is back on the schedule', async () => {
    const p = ctx.p;
    await settled(p);
    await p.getByRole('button', { name: 'Lift hold 1' }).click();
    const dlg = p.getByRole('dialog');
    await dlg.getByLabel('Why it is lifted').fill('Case closed');
    await checkScreen(p, 'records, lifting a hold');
    await dlg.getByRole('button', { name: 'Lift the hold' }).click();
    await expectText(p.locator('main'), /Hold 1 lifted: 1 memo is back on the retention schedule/);
    await expectText(p.locator('section[aria-labelledby="holds-h"]'), /lifted by rhea[\s\S]*Case closed/);
    await shot(p, '48-records-lifted-phone');
  });
}

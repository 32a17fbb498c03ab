// Issue 14: an officer who drafted a memo is recused from it. Their inbox marks it, and its page
// says so and offers no officer action, on a desktop and on a phone.
import { expect, expectText, shot, clean, signIn, createUsers, apiLogin } from '../lib.mjs';

export default async function (t) {
  const { srv, ctx } = t;
  // anna signs in first (in createUsers): she creates, and holds, the channel key
  await createUsers(srv, [['anna', ['officer'], 'Anna Officer'], ['sol', ['staff', 'officer'], 'Sol Staff-Officer']]);
  const anna = await apiLogin(srv, 'anna');
  const g = await anna('POST', '/api/v1/channel/grants', { username: 'sol' });
  expect(g.status === 201, `grant: ${g.status}`);
  const sol = await apiLogin(srv, 'sol');
  const m = await (await sol('POST', '/api/v1/memos', { title: 'My own dissent', body: 'Text.' })).json();
  for (const step of ['finalize', 'signatures', 'file']) {
    const r = await sol('POST', `/api/v1/memos/${m.id}/${step}`);
    expect(r.status < 300, `${step}: ${r.status} ${await r.text()}`);
  }
  ctx.memo = m.id;

  for (const [name, width] of [['desktop', 1280], ['phone', 375]]) {
    t.step(`sol's inbox marks the memo he drafted as recused, and its page offers no officer action (${name})`, async () => {
      const p = await t.person(`sol-${name}`, { width, height: 800 });
      await signIn(p, 'sol');
      await p.goto('/#/inbox');
      await expectText(p.locator('h1'), /Officer inbox/);
      const row = p.locator('tr', { hasText: 'My own dissent' }).first();
      await expectText(row, /recused/);
      // listed, but not his to act on: counted nowhere
      await expectText(p.locator('main'), /1 of them a memo you are recused from/);
      await expectText(p.locator('main'), /Nothing waits on you: the memos waiting are ones you are recused from/);
      expect(await p.locator('a[data-nav="#/inbox"] .count:not([hidden])').count() === 0, 'no count on the inbox link');
      await shot(p, `42-recused-inbox-${name}`);
      await p.goto(`/#/memo/${ctx.memo}`);
      await expectText(p.locator('#recused-note'), /recused from it: another officer acknowledges and answers it/);
      expect(await p.getByRole('button', { name: /Acknowledge/ }).count() === 0, 'no Acknowledge for the drafter');
      await shot(p, `42-recused-memo-${name}`);
      clean(p);
    });
  }
}

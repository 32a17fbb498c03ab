// The calendar run at runtime, under the default settings but for the clock (a Monday, so the
// days are known): the administrator closes a day and the filed memo's deadlines move; a weekend
// is refused in plain words; the closure is taken back; the clock is stopped and started again.
// An officer reads the calendar on a phone-width screen.
import { expect, expectText, shot, checkScreen, signIn, settled, createUsers, apiLogin, adminApi, allowHttp } from '../lib.mjs';

// Monday 22 September 2036, 15:00 (the scenarios' zone is UTC): ahead of the real clock, as the
// session watch expects (a server clock behind the browser's ends the session at once)
const START = Date.UTC(2036, 8, 22, 15, 0, 0) / 1000;
export const ini = `[debug]\nclock_start = ${START}\n`;

export default async function (t) {
  const { srv, ctx } = t;
  // the server's clock runs from START: two-factor codes are made for its time
  srv.totp.offset = START - Date.now() / 1000;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['olga', ['officer'], 'Olga Officer']]);
  await adminApi(srv);
  const dora = await apiLogin(srv, 'dora');
  const m = await (await dora('POST', '/api/v1/memos', { title: 'Before the storm', body: 'Text.' })).json();
  for (const step of ['finalize', 'signatures', 'file']) {
    const r = await dora('POST', `/api/v1/memos/${m.id}/${step}`);
    expect(r.status < 300, `${step}: ${r.status} ${await r.text()}`);
  }
  ctx.memo = m.id;
  const ackDue = async () => (await (await dora('GET', `/api/v1/memos/${m.id}`)).json()).deadlines.acknowledge.due;
  expect(await ackDue() === '2036-09-24', 'acknowledgement due on Wednesday');

  t.step('the administrator closes a day: the memo\'s deadline moves, and the page says so', async () => {
    const p = ctx.admin = await t.person('admin');
    await signIn(p, 'admin', { password: srv.password });
    await p.getByRole('link', { name: 'Calendar' }).click();
    await expectText(p.locator('h1'), /^Calendar$/);
    await expectText(p.locator('main'), /Today is 2036-09-22 \(UTC\)/);
    await expectText(p.locator('main'), /No day has been closed/);
    const form = p.locator('form[aria-label="Close a day"]');
    await form.getByLabel('Day').fill('2036-09-24');
    await form.getByLabel('Reason').fill('Storm: offices shut');
    await form.getByRole('button', { name: 'Close the day' }).click();
    await expectText(p.locator('main'), /2036-09-24 is closed: the deadlines of 1 memo moved/);
    await expectText(p.locator('section[aria-labelledby="closures-h"] tbody'), /2036-09-24[\s\S]*Storm: offices shut/);
    expect(await ackDue() === '2036-09-25', `moved to Thursday, not ${await ackDue()}`);
    await checkScreen(p, 'calendar, admin');
    await shot(p, '44-calendar-closed');
  });

  t.step('a weekend cannot be closed: the form says why, in plain words', async () => {
    const p = ctx.admin;
    const form = p.locator('form[aria-label="Close a day"]');
    await form.getByLabel('Day').fill('2036-09-27');
    await form.getByLabel('Reason').fill('Saturday');
    allowHttp(p, 409, 'POST', '/api/v1/calendar/closures');
    await form.getByRole('button', { name: 'Close the day' }).click();
    await expectText(form.locator('.error-msg'), /not a working day already/);
  });

  t.step('the closure is taken back: the deadline comes back', async () => {
    const p = ctx.admin;
    await p.getByRole('button', { name: 'Open again: 2036-09-24' }).click();
    await expectText(p.locator('main'), /2036-09-24 is a working day again: the deadlines of 1 memo moved/);
    await expectText(p.locator('section[aria-labelledby="closures-h"] tbody'), /open again/);
    expect(await ackDue() === '2036-09-24', 'back to Wednesday');
  });

  t.step('the clock is stopped from today: the drafter sees the deadline paused', async () => {
    const p = ctx.admin;
    await settled(p);
    const form = p.locator('form[aria-label="Stop the clock"]');
    expect(await form.getByLabel('From').inputValue() === '2036-09-22', 'from today by default');
    await form.getByLabel('Reason').fill('Lapse in appropriations');
    await form.getByRole('button', { name: 'Stop the clock' }).click();
    await expectText(p.locator('#clock-stopped'), /stopped from 2036-09-22: Lapse in appropriations/);
    await shot(p, '44-calendar-stopped');
    const d = ctx.dora = await t.person('dora');
    await signIn(d, 'dora');
    await d.goto(`/#/memo/${ctx.memo}`);
    await expectText(d.locator('main'), /paused while the clock is stopped/);
    await shot(d, '44-calendar-paused-memo');
  });

  t.step('the clock is started again: the paused deadline keeps the days it had left', async () => {
    const p = ctx.admin;
    const end = p.locator('form[aria-label="End the clock stop"]');
    await end.getByLabel('Last stopped day').fill('2036-09-23');
    await end.getByRole('button', { name: 'End the clock stop' }).click();
    await expectText(p.locator('main'), /The clock stop ended on 2036-09-23: the deadlines of 1 memo moved/);
    expect(!(await p.locator('#clock-stopped').count()), 'no running stop any more');
    // Monday and Tuesday were stopped: the two working days left run from Wednesday
    expect(await ackDue() === '2036-09-25', `moved to Thursday, not ${await ackDue()}`);
  });

  t.step('an officer reads the calendar on a phone-width screen', async () => {
    const p = await t.person('olga', { width: 390, height: 844 });
    await signIn(p, 'olga');
    await p.goto('/#/calendar');
    await expectText(p.locator('section[aria-labelledby="stops-h"]'), /2036-09-22[\s\S]*2036-09-23[\s\S]*Lapse in appropriations/);
    expect(!(await p.locator('form[aria-label="Close a day"]').count()), 'an officer changes nothing');
    await checkScreen(p, 'calendar, officer, phone');
    await shot(p, '44-calendar-phone');
  });
}

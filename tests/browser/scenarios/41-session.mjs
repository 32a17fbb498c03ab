// The session's end, with a short idle timeout (this story is about that setting): a warning
// with "Stay signed in" before the end, a sign-in dialog at the end that keeps the page and the
// text typed in it, and after a reload, the sign-in page leads back to the page the user was on.
import { expect, expectText, shot, clean, signIn, createUsers, apiLogin, allowHttp, PW } from '../lib.mjs';

export const ini = '[session]\nidle_timeout = 12\n';

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['alice', ['staff'], 'Alice Drafter']]);

  t.step('a warning before the session ends; "Stay signed in" keeps it', async () => {
    const p = ctx.alice = await t.person('alice');
    await signIn(p, 'alice');
    await p.goto('/#/account');
    await expectText(p.locator('h1'), /Your account/);
    const warn = p.locator('.session-warning');
    await warn.waitFor({ state: 'visible', timeout: 15000 });
    await expectText(warn, /Your session ends in \d+ seconds/);
    await shot(p, '41-session-warning');
    const stay = Date.now();
    await warn.getByRole('button', { name: 'Stay signed in' }).click();
    await warn.waitFor({ state: 'hidden' });
    // past the end the session had before the click, it is still alive
    await p.waitForTimeout(Math.max(0, 6000 - (Date.now() - stay)));
    const st = await p.evaluate(async () => (await fetch('/api/v1/me', { headers: { Accept: 'application/json' } })).status);
    expect(st === 200, `still signed in: ${st}`);
    clean(p);
  });

  t.step('the session ends while a new memo is typed: sign in again in a dialog, nothing is lost', async () => {
    const p = ctx.alice;
    // a fresh load: the check above used the session behind the page's back
    await p.goto('/#/new');
    // (drawn first: a reload during the form's own requests would abort them)
    await p.getByLabel('Title', { exact: true }).waitFor();
    await p.reload();
    await p.getByLabel('Title', { exact: true }).fill('Typed before the end');
    await p.getByLabel(/^Text/).first().fill('Every word of this stays.');
    const dlg = p.locator('dialog#reauth[open]');
    await dlg.waitFor({ timeout: 25000 });
    await expectText(dlg, /Your session has ended/);
    // the session is really over on the server
    const st = await p.evaluate(async () => (await fetch('/api/v1/me', { headers: { Accept: 'application/json' } })).status);
    allowHttp(p, 401, 'GET', '/api/v1/me');
    expect(st === 401, `the server ended the session: ${st}`);
    expect(await p.getByLabel('Title', { exact: true }).inputValue() === 'Typed before the end', 'the title is still there');
    await shot(p, '41-session-reauth-dialog');
    await dlg.getByLabel('Password', { exact: true }).fill(PW);
    await dlg.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('dialog#reauth').waitFor({ state: 'detached' });
    expect(await p.getByLabel(/^Text/).first().inputValue() === 'Every word of this stays.', 'the text is still there');
    await p.getByRole('button', { name: 'Create draft' }).click();
    await expectText(p.locator('h1'), /Edit draft/);
    const api = await apiLogin(srv, 'alice');
    const list = await (await api('GET', '/api/v1/memos?role=drafter')).json();
    expect(list.memos.some((m) => m.title === 'Typed before the end'), 'the draft was saved with its title');
    clean(p);
  });

  t.step('after a reload with an ended session, signing in leads back to the same page', async () => {
    const p = ctx.alice;
    const here = new URL(p.url()).hash;
    expect(/^#\/memo\/[0-9a-f]+\/edit$/.test(here), `on the editor: ${here}`);
    await p.locator('dialog#reauth[open]').waitFor({ timeout: 25000 });
    allowHttp(p, 401, 'GET', '/api/v1/me');
    await p.reload();
    await expectText(p.locator('h1'), /Sign in/);
    await expectText(p.locator('main .page-msg'), /Sign in again to go back to the page you were on/);
    await p.getByLabel('Username').fill('alice');
    await p.getByLabel('Password', { exact: true }).fill(PW);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expectText(p.locator('h1'), /Edit draft/);
    expect(new URL(p.url()).hash === here, `back on ${here}: ${p.url()}`);
    clean(p);
  });
}

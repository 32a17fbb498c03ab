// Anyone, signed in or not, on a phone-width screen: the public page of what the transparency
// log proves (GET /public). The figures, the charts as accessible SVG, the checkpoint and the
// commands to check it all; axe-core finds nothing, nothing overflows the screen.
import fs from 'node:fs';
import { expect, expectText, shot, checkScreen, createUsers, apiLogin } from '../lib.mjs';

// a checkpoint every second (a minute by default), so that the page covers the filings soon
export const ini = '[tlog]\ncheckpoint_interval = 1\n';

// A server message's translation (messages/CODE.json).
const serverMessage = (code, english) => JSON.parse(fs.readFileSync(new URL(`../../../messages/${code}.json`, import.meta.url), 'utf8'))[english];

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['olaf', ['officer'], 'Olaf Officer']]);
  const dora = await apiLogin(srv, 'dora');
  const olaf = await apiLogin(srv, 'olaf');
  for (const title of ['First memo', 'Second memo']) {
    const m = await (await dora('POST', '/api/v1/memos', { title, body: 'Secret text.' })).json();
    for (const step of ['finalize', 'signatures', 'file']) {
      const r = await dora('POST', `/api/v1/memos/${m.id}/${step}`);
      expect(r.ok, `${step}: ${r.status}`);
    }
    ctx.last = m.id;
  }
  const r = await olaf('POST', `/api/v1/memos/${ctx.last}/acknowledge`);
  expect(r.ok, `acknowledge: ${r.status}`);

  t.step('anyone reads the channel in figures, on a phone', async () => {
    // the next checkpoint covers both filings (one every second here); the page is cached for
    // a minute, so it is visited once the statistics show them
    for (let i = 0; i < 50; i++) {
      const st = await (await fetch(`${srv.url}/api/v1/stats`)).json();
      if (st.signers_per_memo.count === 2 && st.on_time.acknowledged.on_time === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const p = await t.person(null, { width: 375, height: 800 });
    await p.goto('/public');
    await expectText(p.locator('h1'), /^The dissent channel in figures$/);
    await expectText(p.locator('main'), /2 memos filed in all/);
    const chart = p.locator('svg[role="img"]').first();
    expect(await chart.getAttribute('aria-labelledby'), 'the chart is named by its title and description');
    await expectText(p.locator('section[aria-labelledby="deadlines"]'), /Acknowledged\s*1/);
    await expectText(p.locator('pre.note'), /dissent\.invalid\/log|\n\d+\n/);
    await expectText(p.locator('pre.cmd'), /dissent log verify .*\/log --vkey /);
    const figures = JSON.parse(await p.locator('#dissent-figures').textContent());
    expect(figures.signers_per_memo.count === 2, 'the embedded figures are the page\'s');
    const text = await p.locator('main').innerText();
    expect(!/First memo|Secret text|Dora|dora/.test(text), 'no title, text or name on the public page');
    await checkScreen(p, 'public figures');
    await shot(p, '49-public-phone');
  });

  t.step('the page in Arabic, right to left, from its list of languages; in French from the browser', async () => {
    const p = await t.person(null, { width: 375, height: 800 });
    await p.goto('/public');
    await p.getByRole('link', { name: 'العربية' }).click();
    await p.waitForURL(/\?lang=ar$/);
    expect(await p.evaluate(() => document.documentElement.dir) === 'rtl', 'right to left');
    await expectText(p.locator('h1'), new RegExp(`^${serverMessage('ar', 'The dissent channel in figures')}$`));
    // the month chart's bars grow from the right: the bar's right edge is the axis
    const [bar, axis] = await p.evaluate(() => {
      const svg = document.querySelector('svg[role="img"]');
      const r = svg.querySelector('rect').getBoundingClientRect();
      const l = svg.querySelector('line').getBoundingClientRect();
      return [r.right, l.left];
    });
    expect(Math.abs(bar - axis) < 2, `bar ends at the axis: bar ${bar}, axis ${axis}`);
    await shot(p, '49-public-arabic-phone');
    const f = await t.person(null, { width: 375, height: 800, locale: 'fr-FR' });
    await f.goto('/public');
    await expectText(f.locator('h1'), new RegExp(`^${serverMessage('fr', 'The dissent channel in figures')}$`));
    await shot(f, '49-public-french-phone');
  });
}

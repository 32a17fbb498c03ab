// Phones, under the default settings: at 375 px every list is a list of cards (each value
// labelled with its column's header), nothing scrolls sideways even with a 300-character title
// of unbroken words, the admin's Edit buttons and the officer's deadlines stay in view, and the
// auditor's charts keep their text at 12 px or more.
import { expect, expectText, shot, signIn, createUsers, apiLogin } from '../lib.mjs';
import { fileMemos } from './30-work-queue.mjs';

const PHONE = { width: 375, height: 800 };
const LONG = `Reconsider ${'Antidisestablishmentarianism'.repeat(6)} and the ${'x'.repeat(60)} policy`.padEnd(300, ' z').slice(0, 300);

// Every table of @scope is drawn as cards: headers hidden, each cell labelled and in view.
async function expectCards(p, scope) {
  const r = await p.evaluate((sel) => {
    const root = document.querySelector(sel);
    const tables = [...root.querySelectorAll('table')];
    const out = { tables: tables.length, problems: [] };
    for (const t of tables) {
      if (!t.classList.contains('cards')) out.problems.push('a table without the card layout');
      const head = t.querySelector('thead').getBoundingClientRect();
      if (head.height > 1) out.problems.push(`header row shown (${head.height} px)`);
      for (const td of t.querySelectorAll('td')) {
        const b = td.getBoundingClientRect();
        if (b.right > document.documentElement.clientWidth + 1 || b.left < 0) out.problems.push(`cell out of view: ${td.textContent.slice(0, 40)}`);
        const label = td.getAttribute('data-label');
        if (label === null) continue;
        const before = getComputedStyle(td, '::before').content;
        if (before !== JSON.stringify(label)) out.problems.push(`cell not labelled "${label}": ${before}`);
      }
    }
    return out;
  }, scope);
  expect(r.tables > 0, `${scope}: a table`);
  expect(!r.problems.length, `${scope}: ${r.problems.slice(0, 5).join('; ')}`);
}

export default async function (t) {
  const { srv, ctx } = t;
  const extra = Array.from({ length: 28 }, (_, i) => [`user${String(i + 1).padStart(2, '0')}`, ['staff'], `User ${i + 1}`]);
  await createUsers(srv, [['sam', ['staff'], 'Sam Staff'], ['olga', ['officer'], 'Olga Officer'], ['pat', ['principal'], 'Pat Principal'],
    ['audrey', ['auditor'], 'Audrey Auditor'], ['adam', ['admin'], 'Adam Admin'], ...extra]);
  const filed = await fileMemos(srv, 'sam', [LONG, 'A second memo', 'A third memo']);
  await fileMemos(srv, 'sam', ['A draft with a rather long title that wraps on a phone'], { finalize: false });
  ctx.long = filed.ids[0];
  const olga = await apiLogin(srv, 'olga');
  for (const id of filed.ids.slice(0, 2)) {
    expect((await olga('POST', `/api/v1/memos/${id}/acknowledge`)).status === 200, 'acknowledge');
    expect((await olga('POST', `/api/v1/memos/${id}/distribution`, { usernames: ['pat'] })).status === 200, 'distribute');
  }
  expect(LONG.length === 300, `a 300-character title: ${LONG.length}`);

  t.step('drafter at 375 px: my memos as cards, and the memo with a 300-character title', async () => {
    const p = await t.person('sam', PHONE);
    await signIn(p, 'sam');
    await expectText(p.locator('h1'), /My memos/);
    await expectText(p.locator('#mine .pager-status'), /Showing 1–4 of 4 memos/);
    await expectCards(p, '#mine');
    await shot(p, '31-phone-my-memos');
    await p.goto(`/#/memo/${ctx.long}`);
    await expectText(p.locator('h1'), /Reconsider Antidis/);
    await shot(p, '31-phone-memo-long-title');
  });

  t.step('officer at 375 px: the inbox as cards, with the deadlines in view', async () => {
    const p = await t.person('olga', PHONE);
    await signIn(p, 'olga');
    await expectText(p.locator('h1'), /Officer inbox/);
    await expectCards(p, '#queue');
    await expectCards(p, '#all');
    const due = p.locator('#queue td[data-label="Due"]').first();
    await expectText(due, /\d{4}-\d\d-\d\d/);
    const b = await due.boundingBox();
    expect(b && b.x >= 0 && b.x + b.width <= 375, `the due date is in view: ${JSON.stringify(b)}`);
    await expectText(p.locator('#all td[data-label="Reply"]').first(), /due \d{4}-\d\d-\d\d/);
    await expectText(p.locator('#needs-action'), /1 memo to acknowledge/);
    await shot(p, '31-phone-inbox');
  });

  t.step('principal at 375 px: the reading list as cards', async () => {
    const p = await t.person('pat', PHONE);
    await signIn(p, 'pat');
    await expectText(p.locator('h1'), /For my reading/);
    await expectCards(p, '#reading');
    await expectText(p.locator('#needs-action'), /2 memos distributed to you/);
    await shot(p, '31-phone-reading');
  });

  t.step('admin at 375 px: accounts as cards in pages, filters, Edit buttons in view', async () => {
    const p = await t.person('adam', PHONE);
    await signIn(p, 'adam');
    await expectText(p.locator('h1'), /Accounts and roles/);
    await expectText(p.locator('#accounts .pager-status'), /Showing 1–25 of 34 accounts/);
    await expectCards(p, '#accounts');
    const boxes = await p.locator('#accounts button', { hasText: 'Edit' }).evaluateAll((bs) => bs.map((b) => { const r = b.getBoundingClientRect(); return [r.left, r.right, r.height]; }));
    expect(boxes.length === 25 && boxes.every(([l, r, hgt]) => l >= 0 && r <= 375 && hgt > 20), `25 Edit buttons in view: ${JSON.stringify(boxes.slice(0, 3))}`);
    await shot(p, '31-phone-accounts');
    await p.locator('#accounts .pager button', { hasText: 'Next' }).click();
    await expectText(p.locator('#accounts .pager-status'), /Showing 26–34 of 34 accounts/);
    await p.locator('#accounts').getByLabel('Search', { exact: true }).fill('user2');
    await expectText(p.locator('#accounts .pager-status'), /Showing 1–9 of 9 accounts/);
    await p.locator('#accounts').getByLabel('Search', { exact: true }).fill('');
    await p.locator('#accounts').getByLabel('Role', { exact: true }).selectOption('officer');
    await expectText(p.locator('#accounts .pager-status'), /Showing 1 of 1 account$/);
    await expectText(p.locator('#accounts tbody'), /olga/);
    await p.getByRole('button', { name: 'Edit olga' }).click();
    await p.locator('#edit-area form').waitFor();
    await shot(p, '31-phone-account-edit');
  });

  t.step('auditor at 375 px: the charts\' text is 12 px or more as shown', async () => {
    const p = await t.person('audrey', PHONE);
    await signIn(p, 'audrey');
    await expectText(p.locator('h1'), /Channel statistics/);
    await expectText(p.locator('#stat-filed'), /^3$/);
    const sizes = await p.evaluate(() => [...document.querySelectorAll('svg.chart text')].map((el) => {
      const svg = el.ownerSVGElement;
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      return { text: el.textContent, px: parseFloat(getComputedStyle(el).fontSize) * scale, h: el.getBoundingClientRect().height, right: el.getBoundingClientRect().right };
    }));
    expect(sizes.length >= 9, `chart labels: ${sizes.length}`);
    const small = sizes.filter((x) => x.px < 12 || x.h < 12 || x.right > 375);
    expect(!small.length, `text under 12 px or out of view: ${JSON.stringify(small.slice(0, 4))}`);
    await shot(p, '31-phone-stats');
  });
}

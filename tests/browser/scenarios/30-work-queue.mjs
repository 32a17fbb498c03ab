// Work queues, under the default settings: 60 memos filed through the API, 20 of them ten
// weeks before the other 40 (the server is started again with its clock moved forward, the
// [debug] clock_start every deadline test uses), so that the channel has overdue
// acknowledgements, overdue replies and acknowledgements due soon. In the browser: the officer's
// work queue and the list of every filed memo page through all 60 (no row lost or repeated),
// filters narrow them and live in the address, the queue runs by due date and oldest first,
// the "Needs your action" panels and the navigation's counts agree with the API, and the
// auditor's page shows every month and the overdue deadlines beside the share on time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, expectText, shot, clean, signIn, createUsers, apiLogin, settled, Totp, BIN } from '../lib.mjs';

// ---- set-up helpers (31-phones.mjs uses them too) ----

// Draft, finalize, sign and file @titles as @user (staff, signed in through the API); returns
// the memos' ids in order. With {file: false} they stay open; with {finalize: false} drafts.
export async function fileMemos(srv, user, titles, { finalize = true, file = true, body = 'Why this policy is wrong.' } = {}) {
  const call = await apiLogin(srv, user);
  const ids = [];
  for (const title of titles) {
    const r = await call('POST', '/api/v1/memos', { title, body });
    if (r.status !== 201) throw new Error(`create ${title}: ${r.status} ${await r.text()}`);
    const m = await r.json();
    const steps = finalize ? (file ? ['finalize', 'signatures', 'file'] : ['finalize']) : [];
    for (const step of steps) {
      const s = await call('POST', `/api/v1/memos/${m.id}/${step}`);
      if (s.status >= 300) throw new Error(`${step} ${title}: ${s.status} ${await s.text()}`);
    }
    ids.push(m.id);
  }
  return { ids, call };
}

// Every item of a cursor-paged API list, through @call.
export async function apiAll(call, p, key) {
  let out = [];
  let after = null;
  for (;;) {
    const r = await call('GET', `${p}${p.includes('?') ? '&' : '?'}limit=200${after ? `&after=${after}` : ''}`);
    expect(r.status === 200, `GET ${p}: ${r.status}`);
    const j = await r.json();
    out = out.concat(j[key]);
    if (!j.next) return out;
    after = j.next;
  }
}

// Stop the scenario's server and start it again on the same data with its clock @days ahead
// of the real one (forward only: nothing already written is dated in its future).
export async function restartAhead(srv, days) {
  srv.proc.kill('SIGTERM');
  await new Promise((r) => (srv.proc.exitCode !== null ? r() : srv.proc.once('exit', r)));
  const cfg = path.join(srv.dir, 'dissent.ini');
  const offset = days * 86400;
  const text = fs.readFileSync(cfg, 'utf8').replace(/\n\[debug\][^[]*/, '');
  fs.writeFileSync(cfg, `${text}\n[debug]\nclock_start = ${Math.floor(Date.now() / 1000) + offset}\n`);
  const proc = spawn(BIN, ['serve', '--config', cfg, '--data', path.join(srv.dir, 'var'), '--listen', '127.0.0.1:0', '--workers', '2'],
    { stdio: ['ignore', 'pipe', fs.openSync(path.join(srv.dir, 'stderr.log'), 'a')] });
  srv.url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start again: ${out}`)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (c) => reject(new Error(`server exited ${c}: ${out}`)));
  });
  srv.proc = proc;
  srv.admin = null;
  srv.totp = new Totp(offset, srv.totp.secrets);
}

// The rows' titles of a list section (#id), page after page through its Next button.
export async function collectPages(p, id) {
  const titles = [];
  const statuses = [];
  for (let i = 0; i < 50; i++) {
    await p.locator(`#${id} .list-body`).first().waitFor();
    const rows = p.locator(`#${id} tbody tr`);
    titles.push(...(await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('a.title').textContent))));
    statuses.push(await p.locator(`#${id} .pager-status`).innerText());
    const next = p.locator(`#${id} .pager button`, { hasText: 'Next' });
    if (!(await next.isVisible()) || await next.isDisabled()) break;
    const before = statuses[statuses.length - 1];
    await next.click();
    await p.waitForFunction(([sel, s]) => { const e = document.querySelector(sel); return e && e.textContent && e.textContent !== s; }, [`#${id} .pager-status`, before]);
  }
  return { titles, statuses };
}

const num = (n) => String(n).padStart(2, '0');
const EARLY = Array.from({ length: 20 }, (_, i) => `Early memo ${num(i + 1)}`);
const LATE = Array.from({ length: 40 }, (_, i) => `Later memo ${num(i + 1)}`);

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['sara', ['staff'], 'Sara Staff'], ['stan', ['staff'], 'Stan Staff'], ['sue', ['staff'], 'Sue Staff'],
    ['olga', ['officer'], 'Olga Officer'], ['pat', ['principal'], 'Pat Principal'], ['audrey', ['auditor'], 'Audrey Auditor']]);

  t.step('set-up: 20 memos filed, 5 of them acknowledged on time and distributed; ten weeks pass; 40 more filed', async () => {
    const early = await fileMemos(srv, 'sara', EARLY);
    const olga = await apiLogin(srv, 'olga');
    for (const id of early.ids.slice(0, 5)) {
      expect((await olga('POST', `/api/v1/memos/${id}/acknowledge`)).status === 200, 'acknowledge');
      expect((await olga('POST', `/api/v1/memos/${id}/distribution`, { usernames: ['pat'] })).status === 200, 'distribute');
    }
    await restartAhead(srv, 70);
    const later = await fileMemos(srv, 'stan', LATE);
    // stan also has two drafts and a memo open for signature, to which sue is invited
    await fileMemos(srv, 'stan', ['Stan draft one', 'Stan draft two'], { finalize: false });
    const open = await fileMemos(srv, 'stan', ['Stan open memo'], { file: false });
    expect((await open.call('POST', `/api/v1/memos/${open.ids[0]}/signatures`)).status === 201, 'stan signs');
    expect((await open.call('POST', `/api/v1/memos/${open.ids[0]}/invitations`, { usernames: ['sue'] })).status === 200, 'invite sue');
    ctx.api = await apiLogin(srv, 'olga');
    const d = await (await ctx.api('GET', '/api/v1/deadlines')).json();
    ctx.deadlines = d;
    expect(d.overdue.length === 20 && d.due.length === 40, `20 overdue, 40 due: ${d.overdue.length} / ${d.due.length}`);
    ctx.filed = (await apiAll(ctx.api, '/api/v1/memos?role=officer', 'memos'));
    expect(ctx.filed.length === 60 && later.ids.length === 40, `60 filed: ${ctx.filed.length}`);
  });

  t.step('officer: "Needs your action" and the navigation count agree with the API', async () => {
    const p = ctx.olga = await t.person('olga');
    await signIn(p, 'olga');
    await expectText(p.locator('h1'), /Officer inbox/);
    const all = [...ctx.deadlines.overdue.map((m) => ({ ...m, over: true })), ...ctx.deadlines.due];
    const ack = all.filter((m) => m.next_action === 'acknowledge');
    const rep = all.filter((m) => m.next_action === 'reply');
    expect(ack.length === 55 && rep.length === 5, `55 to acknowledge, 5 replies: ${ack.length} ${rep.length}`);
    const panel = p.locator('#needs-action');
    await expectText(panel, new RegExp(`${ack.length} memos to acknowledge ${ack.filter((m) => m.over).length} overdue`));
    await expectText(panel, new RegExp(`${rep.length} replies due ${rep.filter((m) => m.over).length} overdue`));
    await expectText(panel, new RegExp(`${ctx.deadlines.overdue.length} memos overdue`));
    await expectText(p.locator('#nav a[data-nav="#/inbox"] .count'), /^60\b/);
    expect(!/\bnull\b|undefined/.test(await p.locator('main').innerText()), 'no stray null or undefined on the inbox');
    await shot(p, '30-officer-inbox');
  });

  t.step('officer: the work queue pages through all 60, by due date and oldest first', async () => {
    const p = ctx.olga;
    const { titles, statuses } = await collectPages(p, 'queue');
    expect(titles.length === 60, `60 rows across the pages: ${titles.length}`);
    expect(new Set(titles).size === 60, 'no row twice');
    expect(statuses[1] === 'Showing 26–50 of 60 memos', `page 2: ${statuses[1]}`);
    expect(statuses.length === 3, `three pages: ${statuses}`);
    // the API's waiting memos by due date, then the oldest first (created first; titles count up)
    const all = [...ctx.deadlines.overdue, ...ctx.deadlines.due];
    const want = all.slice().sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : (a.created_at - b.created_at) || (a.title < b.title ? -1 : 1))).map((m) => m.title);
    expect(JSON.stringify(titles) === JSON.stringify(want), `queue order:\n${titles.join(', ')}\nwant:\n${want.join(', ')}`);
    expect(titles[0] === 'Early memo 06' && titles[15] === 'Early memo 01' && titles[20] === 'Later memo 01', `oldest first: ${titles.slice(0, 21)}`);
    expect(/qpage=3/.test(await p.evaluate(() => location.hash)), 'the page is in the address');
    await shot(p, '30-queue-page-3');
  });

  t.step('officer: the queue\'s filters narrow it', async () => {
    const p = ctx.olga;
    await p.goto('/#/inbox');
    await expectText(p.locator('#queue .pager-status'), /Showing 1–25 of 60/);
    await p.locator('#queue').getByLabel('Next step', { exact: true }).selectOption('reply');
    await expectText(p.locator('#queue .pager-status'), /Showing 1–5 of 5 memos/);
    expect(await p.locator('#queue tbody tr').count() === 5, 'five replies');
    await p.locator('#queue').getByLabel('Deadline', { exact: true }).selectOption('overdue');
    await expectText(p.locator('#queue .pager-status'), /Showing 1–5 of 5 memos/);
    await p.locator('#queue').getByLabel('Next step', { exact: true }).selectOption('acknowledge');
    await expectText(p.locator('#queue .pager-status'), /Showing 1–15 of 15 memos/);
    await p.locator('#queue').getByLabel('Deadline', { exact: true }).selectOption('soon');
    await expectText(p.locator('#queue .pager-status'), /Showing 1–25 of 40 memos/);
    expect(/next=acknowledge/.test(await p.evaluate(() => location.hash)) && /due=soon/.test(await p.evaluate(() => location.hash)), 'filters in the address');
    await shot(p, '30-queue-filtered');
    // the panel's links lead to the filtered queue (the link of the inbox drawn anew: the one of
    // the filtered page still shown meanwhile would race the drawing, on a loaded machine)
    await p.goto('/#/inbox');
    await expectText(p.locator('#queue .pager-status'), /Showing 1–25 of 60/);
    await settled(p);
    await p.locator('#needs-action li', { hasText: 'replies due' }).getByRole('link', { name: 'Show' }).click();
    await expectText(p.locator('#queue .pager-status'), /Showing 1–5 of 5 memos/);
    clean(p);
  });

  t.step('officer: every filed memo, page by page, and narrowed by state and deadline', async () => {
    const p = ctx.olga;
    // from another page: the inbox left with filters in its address is drawn again on a hash
    // change while its old lists are still shown, and on a loaded machine the first Next could
    // hit a list being replaced
    await p.goto(`/#/memo/${ctx.filed[0].id}`);
    await expectText(p.locator('h1'), new RegExp(ctx.filed[0].title));
    await p.goto('/#/inbox');
    await expectText(p.locator('#all .pager-status'), /Showing 1–25 memos/);
    const { titles, statuses } = await collectPages(p, 'all');
    expect(titles.length === 60 && new Set(titles).size === 60, `60 distinct rows: ${titles.length} / ${new Set(titles).size}`);
    expect(JSON.stringify(titles) === JSON.stringify(ctx.filed.map((m) => m.title)), 'in the API\'s order');
    expect(statuses.join(' | ') === 'Showing 1–25 memos | Showing 26–50 memos | Showing 51–60 of 60 memos', statuses.join(' | '));
    await p.locator('#all').getByLabel('State', { exact: true }).selectOption('acknowledged');
    await expectText(p.locator('#all .pager-status'), /Showing 1–5 of 5 memos/);
    expect(/state=acknowledged/.test(await p.evaluate(() => location.hash)), 'state in the address');
    await p.locator('#all').getByLabel('State', { exact: true }).selectOption('');
    await p.locator('#all').getByLabel('Deadline', { exact: true }).selectOption('overdue');
    await expectText(p.locator('#all .pager-status'), /Showing 1–20 of 20 memos/);
    await p.locator('#all').getByLabel('Deadline', { exact: true }).selectOption('soon');
    await expectText(p.locator('#all .pager-status'), /Showing 1–25 memos/);
    await p.locator('#all .pager button', { hasText: 'Next' }).click();
    await expectText(p.locator('#all .pager-status'), /Showing 26–40 of 40 memos/);
    // a reload shows the same page with the same filters
    await p.reload();
    await expectText(p.locator('#all .pager-status'), /Showing 26–40 of 40 memos/);
    expect(await p.locator('#all').getByLabel('Deadline', { exact: true }).inputValue() === 'soon', 'the filter survives a reload');
    await shot(p, '30-all-filtered');
    // the search box: titles searched on the server, in any case, kept in the address
    await p.locator('#all').getByLabel('Deadline', { exact: true }).selectOption('');
    const want = ctx.filed.map((m) => m.title).filter((x) => x.toLowerCase().includes('early memo 1'));
    expect(want.length >= 2 && want.length < 20, `a search that narrows: ${want.length}`);
    await p.locator('#all').getByLabel('Search titles', { exact: true }).fill('EARLY MEMO 1');
    await expectText(p.locator('#all .pager-status'), new RegExp(`Showing 1–${want.length} of ${want.length} memos`));
    const found = (await collectPages(p, 'all')).titles;
    expect(JSON.stringify(found) === JSON.stringify(want), `search: ${found.join(', ')}`);
    expect(/q=EARLY/.test(await p.evaluate(() => location.hash)), 'the search in the address');
    await p.locator('#all').getByLabel('Search titles', { exact: true }).fill('no such words');
    await expectText(p.locator('#all .empty'), /No memo matches these filters/);
    await p.locator('#all').getByLabel('Search titles', { exact: true }).fill('');
    await expectText(p.locator('#all .pager-status'), /Showing 1–25 memos/);
  });

  t.step('drafter: "Needs your action", counts, and a list of 43 memos in pages', async () => {
    const stan = await apiLogin(srv, 'stan');
    const drafts = await apiAll(stan, '/api/v1/memos?role=drafter&state=draft', 'memos');
    const open = await apiAll(stan, '/api/v1/memos?role=drafter&state=open', 'memos');
    const p = await t.person('stan');
    await signIn(p, 'stan');
    await expectText(p.locator('h1'), /My memos/);
    const panel = p.locator('#needs-action');
    await expectText(panel, new RegExp(`${open.length} memo open for signature`));
    await expectText(panel, new RegExp(`${drafts.length} drafts to finish`));
    await expectText(p.locator('#nav a[data-nav="#/memos"] .count'), new RegExp(`^${open.length + drafts.length}\\b`));
    const { titles } = await collectPages(p, 'mine');
    expect(titles.length === 43 && new Set(titles).size === 43, `43 memos: ${titles.length}`);
    await expectText(p.locator('#invitations'), /No invitations/);
    await shot(p, '30-drafter');
    const s = await t.person('sue');
    await signIn(s, 'sue');
    await expectText(s.locator('#needs-action'), /1 invitation waiting for your signature/);
    await expectText(s.locator('#mine'), /You have not written a memo yet/);
    await expectText(s.locator('#nav a[data-nav="#/memos"] .count'), /^1\b/);
    await shot(s, '30-invited');
  });

  t.step('principal: what waits for them, newest first', async () => {
    const p = await t.person('pat');
    await signIn(p, 'pat');
    await expectText(p.locator('h1'), /For my reading/);
    await expectText(p.locator('#needs-action'), /5 memos distributed to you are awaiting the channel's reply/);
    await expectText(p.locator('#nav a[data-nav="#/reading"] .count'), /^5\b/);
    expect(await p.locator('#reading tbody tr').count() === 5, 'five rows');
    await shot(p, '30-principal');
  });

  t.step('auditor: every month from the first filing, and the overdue deadlines beside the share', async () => {
    const p = await t.person('audrey');
    await signIn(p, 'audrey');
    await expectText(p.locator('h1'), /Channel statistics/);
    const audrey = await apiLogin(srv, 'audrey');
    const st = await (await audrey('GET', '/api/v1/stats')).json();
    const keys = Object.keys(st.filings_per_month).sort();
    const [y0, m0] = keys[0].split('-').map(Number);
    const [y1, m1] = st.today.slice(0, 7).split('-').map(Number);
    const months = (y1 - y0) * 12 + (m1 - m0) + 1;
    expect(months >= 3, `ten weeks span three months: ${keys} to ${st.today}`);
    const desc = await p.locator('svg.chart desc').first().textContent();
    expect((desc.match(/\d{4}-\d\d: \d+/g) || []).length === months, `${months} months listed: ${desc}`);
    expect(/: 0\b/.test(desc), `an empty month is shown: ${desc}`);
    const onTime = p.locator('#on-time');
    const ackOverdue = st.on_time.acknowledged.overdue ?? st.overdue;
    await expectText(onTime, new RegExp(`${ackOverdue} overdue`));
    expect(!/100%/.test(await onTime.innerText()), `no 100% while deadlines are overdue: ${await onTime.innerText()}`);
    await expectText(p.locator('#stat-overdue'), new RegExp(`^${st.overdue}$`));
    await shot(p, '30-auditor');
  });

  t.step('officer: assigns a memo to herself on a phone, and finds it under "Assigned to me"', async () => {
    const p = await t.person('olga-phone', { width: 390, height: 844 });
    await signIn(p, 'olga');
    const id = ctx.filed[0].id;
    await p.goto(`/#/memo/${id}`);
    await expectText(p.locator('#assigned-to'), /Nobody yet/);
    await p.getByRole('button', { name: 'Assign', exact: true }).click();
    const form = p.getByRole('form', { name: 'Assign the memo' });
    expect(await form.getByLabel('Officer\'s username').inputValue() === 'olga', 'herself by default');
    await form.getByRole('button', { name: 'Assign' }).click();
    await expectText(p.locator('#memo-actions .done-msg'), /Assigned to olga/);
    await expectText(p.locator('#assigned-to'), /Olga Officer \(olga\)/);
    await expectText(p.locator('.timeline'), /Olga Officer assigned the memo to Olga Officer/);
    // a second assignment is a reassignment: it asks why
    await p.getByRole('button', { name: 'Reassign' }).click();
    const again = p.getByRole('form', { name: 'Assign the memo' });
    await again.getByLabel('Officer\'s username').fill('olga');
    await again.getByRole('button', { name: 'Reassign' }).click();
    await expectText(again.locator('.error-msg'), /Say why/);
    await shot(p, '30-assign-phone');
    await p.goto('/#/inbox');
    await p.locator('#all').getByLabel('Handled by', { exact: true }).selectOption('me');
    await expectText(p.locator('#all .pager-status'), /Showing 1 of 1 memo/);
    expect(await p.locator('#all a.title').first().textContent() === ctx.filed[0].title, 'the assigned memo');
    await p.locator('#all').getByLabel('Handled by', { exact: true }).selectOption('none');
    await expectText(p.locator('#all .pager-status'), /Showing 1–25 memos/);
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    clean(p);
  });
}

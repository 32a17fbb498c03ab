// A memo's attached files, on a phone-width screen: the drafter adds two files to a draft (each
// sent in parts: the server's body limit is set low here so that they take several), one upload
// is cut off by the network and resumed, one file is removed, the text is finalized, and a
// co-signer downloads a file from the memo page and gets its exact bytes, then the record copy;
// the page prints without the interface around the memo.
import crypto from 'node:crypto';
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { expect, expectText, shot, checkScreen, signIn, settled, createUsers, apiLogin } from '../lib.mjs';

// 128 KiB parts: two 64 KiB chunks each (docs/api.md, "Attachments")
export const ini = '[server]\nmax_body = 131072\n';

const annex = crypto.randomBytes(300 * 1024 + 17);
const data = Buffer.from('id,value\n1,42\n2,43\n');
const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

export default async function (t) {
  const { srv, ctx } = t;
  await createUsers(srv, [['dora', ['staff'], 'Dora Drafter'], ['colm', ['staff'], 'Colm Cosigner']]);
  const dora = await apiLogin(srv, 'dora');
  const m = await (await dora('POST', '/api/v1/memos', { title: 'The cable annexes', body: 'See the files.' })).json();
  ctx.memo = m.id;
  const files = async () => (await (await dora('GET', `/api/v1/memos/${m.id}`)).json()).attachments;

  t.step('the drafter adds a file on a phone; it is sent in parts and listed', async () => {
    const p = ctx.dora = await t.person('dora', { width: 375, height: 800 });
    await signIn(p, 'dora');
    await p.goto(`/#/memo/${m.id}/edit`);
    await settled(p);
    await expectText(p.locator('#draft-files'), /No files attached/);
    await p.locator('#file-input').setInputFiles({ name: 'Annex A \u2014 cables.pdf', mimeType: 'application/pdf', buffer: annex });
    await expectText(p.locator('#files-status'), /Annex A — cables\.pdf is attached/);
    await expectText(p.locator('#draft-files'), /Annex A — cables\.pdf — 300\.0 KiB, application\/pdf/);
    await expectText(p.locator('#save-status'), /Version 2, saved/);
    const a = (await files())[0];
    expect(a.complete && a.sha256 === sha(annex) && a.part_size === 131072, JSON.stringify(a));
    await shot(p, '47-files-draft-phone');
  });

  t.step('an upload the network cuts off says so, and resumes from where the server stands', async () => {
    const p = ctx.dora;
    let cut = 0;
    // the second part never arrives: the connection fails as a train enters a tunnel
    await p.route(/\/attachments\/[0-9a-f]+\?offset=131072$/, (route) => { cut += 1; return route.abort('connectionreset'); });
    p.allow.push(/request failed: PUT .*offset=131072/, /net::ERR_CONNECTION_RESET/, /Failed to load resource/);
    await p.locator('#file-input').setInputFiles({ name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.concat([data, crypto.randomBytes(200 * 1024)]) });
    await expectText(p.locator('#files-status'), /data\.csv stopped before it was sent whole/);
    expect(cut === 1, `one part cut off, not ${cut}`);
    await expectText(p.locator('#draft-files'), /data\.csv[\s\S]*incomplete: 128\.0 KiB of/);
    await checkScreen(p, 'files, an upload cut off');
    await p.unroute(/\/attachments\/[0-9a-f]+\?offset=131072$/);
    await p.getByRole('button', { name: 'Resume data.csv' }).click();
    await expectText(p.locator('#files-status'), /data\.csv is attached/);
    const got = await files();
    expect(got.length === 2 && got.every((x) => x.complete), JSON.stringify(got));
  });

  t.step('a classification marking is said as it is typed, and finalizing refuses it', async () => {
    const p = ctx.dora;
    await p.locator('#draft-body').fill('See the files. (S) The cable says more.');
    await expectText(p.locator('#marking-warning'), /the text carries "\(S\)"\. This channel is not for classified information/);
    await checkScreen(p, 'files, a marking warned');
    await expectText(p.locator('#save-status'), /Saved at/);
    p.allow.push(/status of 422/, /HTTP 422 POST .*finalize/);
    await p.getByRole('button', { name: 'Finalize' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Finalize the text' }).click();
    await expectText(p.locator('form .error-msg'), /classification marking/);
    await shot(p, '47-files-marking-refused');
  });

  t.step('a file is removed, and the text is finalized with the other', async () => {
    const p = ctx.dora;
    await p.getByRole('button', { name: 'Remove data.csv' }).click();
    await expectText(p.locator('#files-status'), /data\.csv was removed/);
    // the editor knows the memo's new version: typing still saves
    await p.locator('#draft-body').fill('See the files, annex A above all.');
    await expectText(p.locator('#save-status'), /Saved at/);
    await p.getByRole('button', { name: 'Finalize' }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Finalize the text' }).click();
    await expectText(p.locator('main'), /Finalized: the text is frozen/);
    await expectText(p.locator('main'), /Dora Drafter attached a file: Annex A — cables\.pdf/);
    await expectText(p.locator('#files'), /Attached files \(1\)[\s\S]*Annex A — cables\.pdf[\s\S]*SHA-256 [0-9a-f]{64}/);
    await shot(p, '47-files-frozen-phone');
    const mine = await (await dora('GET', `/api/v1/memos/${m.id}`)).json();
    expect(mine.body === 'See the files, annex A above all.' && mine.attachments.length === 1, 'saved and one file');
  });

  t.step('a co-signer downloads the file from the memo page and gets its exact bytes', async () => {
    const inv = await dora('POST', `/api/v1/memos/${m.id}/invitations`, { usernames: ['colm'] });
    expect(inv.status === 200, `invite: ${inv.status}`);
    const p = await t.person('colm');
    await signIn(p, 'colm');
    await p.goto(`/#/memo/${m.id}`);
    await expectText(p.locator('#files'), /Annex A — cables\.pdf/);
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'Annex A — cables.pdf' }).click()]);
    expect(dl.suggestedFilename() === 'Annex A \u2014 cables.pdf', `named ${dl.suggestedFilename()}`);
    const got = fs.readFileSync(await dl.path());
    expect(got.equals(annex), `the download has ${got.length} bytes, not the ${annex.length} sent`);
    await checkScreen(p, 'files, a co-signer');
    // the record copy, and the page as it prints
    const [pdf] = await Promise.all([p.waitForEvent('download'), p.getByRole('link', { name: 'Record copy (PDF)' }).click()]);
    expect(pdf.suggestedFilename() === `dissent-memo-${m.id}.pdf`, `named ${pdf.suggestedFilename()}`);
    expect(fs.readFileSync(await pdf.path()).subarray(0, 5).toString() === '%PDF-', 'a PDF');
    await p.emulateMedia({ media: 'print' });
    expect(!(await p.locator('#record-copy').isVisible()) && !(await p.locator('header.top').isVisible()), 'the print view shows the memo alone');
    await expectText(p.locator('#files'), /Annex A — cables\.pdf/);
    await shot(p, '47-files-print-view');
    await p.emulateMedia({ media: 'screen' });
  });
}

// Browser tests for the web interface: the real binary under its default settings, Debian's
// Chromium driven by playwright-core. Each file in scenarios/ is one story with a fresh server of
// its own (lib.mjs: startServer); its steps are TAP tests, run in order, and a failed step skips
// the rest of its scenario only.
//
//   node tests/browser/run.mjs [--tap FILE] [--screenshots DIR] [--only NAME-SUBSTRING]
// Env: DISSENT_BIN (default build/dissent), CHROMIUM (default /usr/bin/chromium).
// A scenario module exports `default async function (t)` that registers steps with
// t.step(name, fn); t.srv is its server, t.browser the shared browser, t.ctx a scratch object.
// It may export `ini`, lines appended to the server's config (only where the story is about a
// setting: the default must be what users meet), or an async function that makes them (and may
// start what the server is to reach, such as an OpenID provider), and `teardown`, an async
// function run after its steps, whatever became of them (to stop what `ini` started).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, startServer, stopServer, launch, setShotDir, shotFile, person } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const TAP = opt('--tap', null);
const ONLY = opt('--only', null);
setShotDir(opt('--screenshots', path.join(ROOT, 'build', 'browser-screenshots')));

const tap = [];
let n = 0;
let failed = 0;
function report(ok, name, err) {
  n += 1;
  const line = `${ok ? 'ok' : 'not ok'} ${n} - ${name}`;
  tap.push(line);
  console.log(line);
  if (!ok) {
    failed += 1;
    const msg = String(err && err.stack ? err.stack : err).split('\n').slice(0, 10).map((l) => `  # ${l}`).join('\n');
    tap.push(msg);
    console.log(msg);
  }
}

async function runScenario(file, browser) {
  const mod = await import(path.join(path.dirname(new URL(import.meta.url).pathname), 'scenarios', file));
  const label = file.replace(/\.mjs$/, '');
  let srv;
  try {
    srv = await startServer(typeof mod.ini === 'function' ? await mod.ini() : mod.ini || '');
  } catch (e) {
    report(false, `${label}: server started`, e);
    return;
  }
  const steps = [];
  const t = { srv, browser, ctx: {}, pages: [], step: (name, fn) => steps.push([name, fn]) };
  t.person = async (name, opts) => { const p = await person(browser, srv, name, opts); t.pages.push(p); return p; };
  let broken = null;
  try {
    await mod.default(t);
  } catch (e) {
    broken = 'scenario set-up';
    report(false, `${label}: set-up`, e);
  }
  for (const [name, fn] of steps) {
    if (broken) { report(false, `${label}: ${name}`, `skipped: an earlier step failed (${broken})`); continue; }
    try {
      await fn();
      report(true, `${label}: ${name}`);
    } catch (e) {
      broken = name;
      report(false, `${label}: ${name}`, e);
      for (const p of t.pages) await p.screenshot({ path: shotFile(`failed-${label}-${p.who}`), fullPage: true }).catch(() => {});
    }
  }
  for (const p of t.pages) await p.context().close().catch(() => {});
  if (typeof mod.teardown === 'function') await mod.teardown().catch((e) => report(false, `${label}: tear-down`, e));
  const log = await stopServer(srv);
  report(!/AddressSanitizer|runtime error:/.test(log), `${label}: server log has no sanitizer report`, log.slice(-2000));
}

async function main() {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'scenarios');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.mjs') && (!ONLY || f.includes(ONLY))).sort();
  const browser = await launch(chromium);
  try {
    for (const f of files) await runScenario(f, browser);
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (e) {
  report(false, 'browser tests ran', e);
}
tap.unshift(`1..${n}`);
if (TAP) {
  fs.mkdirSync(path.dirname(TAP), { recursive: true });
  fs.writeFileSync(TAP, `${tap.join('\n')}\n`);
}
console.log(`${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

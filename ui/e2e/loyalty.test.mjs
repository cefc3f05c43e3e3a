// End to end: a loyalty programme in the real app on the demo shop. The
// editor's live checks, the simulation with its charts, a launch past the
// margin floor with a reason, the members table, a member's ledger, a
// reward redeemed into a code and the push; the CLI sees each step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { closeApp, startOnDemo } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const port = 4444 + 2 * ((process.pid + 151) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-loyalty-'));
const db = join(dataDir, 'demo.sqlite');
let driver;
let session;

function run(...args) {
  return execFileSync(cli, ['--db', db, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Picks `value` in a select as the owner would (the change event). */
async function choose(css, value) {
  await session.cmd('POST', '/execute/sync', {
    script: 'const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event("change", { bubbles: true }));',
    args: [css, value],
  });
}

async function shot(name, css) {
  if (!process.env.E2E_SCREENSHOT) return;
  if (css) await session.cmd('POST', '/execute/sync', { script: `document.querySelector(arguments[0]).scrollIntoView()`, args: [css] });
  writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, `-loyalty-${name}.png`), await session.screenshot());
}

before(async () => {
  ({ driver, session } = await startOnDemo({ run, app, dataDir, port }));
});

after(async () => {
  await closeApp(session, driver, '-loyalty');
  rmSync(dataDir, { recursive: true, force: true });
});

test('design, simulate, launch, redeem and push a loyalty programme on the demo shop', { timeout: 600_000 }, async () => {
  await session.waitFor('[data-testid="nav-loyalty"]', 120_000);
  await session.click('[data-testid="nav-loyalty"]');
  // The starter programme is checked as it stands: the £5 reward can take
  // low-margin items below the floor.
  await session.waitForText('[data-testid="programme-check"]', /below the margin floor/, 60_000);
  // A wrong value is named before anything is saved.
  await session.type('[data-testid="p-rate"]', 'lots');
  await session.waitForText('[data-testid="programme-check"]', /points_per_unit/, 30_000);
  assert.equal(await session.property('[data-testid="launch"]', 'disabled'), true);
  await session.type('[data-testid="p-rate"]', '1');
  await session.waitForText('[data-testid="programme-check"]', /below the margin floor/, 30_000);
  await session.click('[data-testid="simulate"]');
  const cost = await session.waitForText('[data-testid="sim-cost"]', /costs £[\d,]+\.\d\d/, 120_000);
  assert.match(cost, /of £[\d,]+\.\d\d merchandise revenue/);
  await shot('simulation', '[data-testid="simulation"]');
  // Launching needs a reason past the floor; with one it goes live.
  await session.click('[data-testid="launch"]');
  await session.waitForText('[data-testid="loyalty-error"]', /give a reason/, 60_000);
  await session.type('[data-testid="override-reason"]', 'a thank-you worth a few low-margin items');
  await session.click('[data-testid="override-launch"]');
  await session.waitFor('[data-testid="member-row"]', 120_000);
  const list = JSON.parse(run('--json', 'loyalty', 'list'));
  assert.equal(list[0].status, 'live');
  assert.equal(list[0].floor_override, 'a thank-you worth a few low-margin items');
  // The richest member first; their ledger; a reward redeemed.
  const members = JSON.parse(run('--json', 'loyalty', 'members')).members;
  const top = [...members].sort((a, b) => b.balance - a.balance || (a.customer < b.customer ? -1 : 1))[0];
  assert.match(await session.text('[data-testid="member-row"]'), new RegExp(`^${top.customer}`));
  await session.click('[data-testid="member-row"] td');
  await session.waitForText('[data-testid="member-ledger"]', new RegExp(`${top.customer}: \\w+, [\\d,]+ points to spend`), 60_000);
  await session.click('[data-testid="redeem"]');
  const notice = await session.waitForText('[data-testid="member-notice"]', /Code [A-Z0-9-]+ for/, 60_000);
  const code = /Code ([A-Z0-9-]+)/.exec(notice)[1];
  const after = JSON.parse(run('--json', 'loyalty', 'member', top.customer)).member;
  assert.equal(after.redeemed, 500);
  assert.equal(after.balance, top.balance - 500);
  const journal = run('journal', 'list');
  assert.match(journal, new RegExp(code));
  await shot('member', '[data-testid="member-ledger"]');
  // The table pages in the core: the range, the next page, a tier, a
  // search, each as the CLI's list has it.
  const all = JSON.parse(run('--json', 'loyalty', 'members')).members;
  const n = (x) => x.toLocaleString('en-GB');
  await session.waitForText('[data-testid="members-range"]', new RegExp(`^1–200 of ${n(all.length)}$`), 60_000);
  const byBalance = [...all].sort((a, b) => b.balance - a.balance || (a.customer < b.customer ? -1 : 1));
  await session.click('[data-testid="members-next"]');
  await session.waitForText('[data-testid="members-range"]', new RegExp(`^201–400 of ${n(all.length)}$`), 30_000);
  assert.match(await session.text('[data-testid="member-row"]'), new RegExp(`^${byBalance[200].customer}`));
  const topTier = list[0].programme.tier.at(-1).name;
  await choose('[data-testid="member-tier"]', topTier);
  const inTop = all.filter((m) => m.tier === topTier).length;
  await session.waitForText('[data-testid="members-range"]', new RegExp(`^1–${n(Math.min(200, inTop))} of ${n(inTop)}$`), 30_000);
  await choose('[data-testid="member-tier"]', '');
  const part = all[all.length >> 1].customer.slice(1, 4);
  await session.type('[data-testid="member-search"]', part);
  const found = all.filter((m) => m.customer.includes(part)).length;
  await session.waitForText('[data-testid="members-range"]', new RegExp(`^1–${n(Math.min(200, found))} of ${n(found)}$`), 30_000);
  await shot('members', '[data-testid="members"]');
  await session.type('[data-testid="member-search"]', 'nobody-at-all');
  await session.waitForText('[data-testid="members"]', /No member matches “nobody-at-all”/, 30_000);
  await session.type('[data-testid="member-search"]', '');
  // Points and tiers to the store (the demo's own copy), then nothing twice.
  await session.click('[data-testid="loyalty-push"]');
  await session.waitForText('[data-testid="loyalty-notice"]', /[\d,]+ members: \d+ values sent/, 120_000);
  const again = JSON.parse(run('--json', 'loyalty', 'push'));
  assert.equal(again.confirmed, 0);
  assert.equal(again.unchanged, 3 * again.members);
});

// End to end: a flash sale in the real app on the demo shop. Plan it in the
// editor, see the checks and the model's projection, save, launch, see the
// countdown, end it; the CLI sees each step.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { closeApp, sleep, startOnDemo } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const port = 4444 + 2 * ((process.pid + 137) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-promotions-'));
const db = join(dataDir, 'demo.sqlite');
let driver;
let session;

function run(...args) {
  return execFileSync(cli, ['--db', db, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

before(async () => {
  ({ driver, session } = await startOnDemo({ run, app, dataDir, port }));
});

after(async () => {
  await closeApp(session, driver, '-promotions');
  rmSync(dataDir, { recursive: true, force: true });
});

test('plan, check, launch, count down and end a flash sale on the demo shop', { timeout: 600_000 }, async () => {
  await session.waitFor('[data-testid="nav-promotions"]', 120_000);
  await session.click('[data-testid="nav-promotions"]');
  // The editor opens on the shop's clock, known once the sales are read.
  await session.waitFor('[data-testid="sales-calendar"]', 30_000);
  await session.click('[data-testid="sale-new"]');
  await session.waitFor('[data-testid="sale-name"]', 30_000);
  await session.type('[data-testid="sale-name"]', 'Hearts hour');
  await session.type('[data-testid="sale-target"]', '85123A');
  await session.type('[data-testid="sale-discount"]', '10');
  // The checks and the projection follow the edit.
  await session.waitForText('[data-testid="sale-check-verdict"]', /Ready to launch/, 60_000);
  const projection = await session.waitForText('[data-testid="sale-projection"]', /Break-even needs/, 60_000);
  assert.match(projection, /units \d+ → \d+/);
  assert.match(projection, /the model expects [+−]\d+% \(80 % band [+−]\d+% to [+−]\d+%\)/);
  // Too deep a cut is refused on the floor (cost × 1.2 after setting it).
  run('floor', '--shop', '20');
  await session.type('[data-testid="sale-discount"]', '60');
  await session.waitForText('[data-testid="sale-check-verdict"]', /Would be refused/, 60_000);
  assert.match(await session.text('[data-testid="sale-problem"]'), /below the margin floor/);
  await session.type('[data-testid="sale-discount"]', '10');
  await session.waitForText('[data-testid="sale-check-verdict"]', /Ready to launch/, 60_000);
  await session.click('[data-testid="sale-save"]');
  await session.waitForText('[data-testid="sale-status"]', /draft/, 30_000);
  // The month calendar is drawn in the shop's days.
  assert.match(await session.text('[data-testid="calendar-month"]'), /^[A-Z][a-z]+ \d{4}$/);

  await session.click('[data-testid="sale-launch"]');
  await session.waitForText('[data-testid="sale-status"]', /scheduled/, 60_000);
  const first = await session.waitForText('[data-testid="sale-countdown"]', /starts in \d\d:\d\d:\d\d/, 10_000);
  await sleep(2100);
  const second = await session.text('[data-testid="sale-countdown"]');
  assert.notEqual(first, second, 'the countdown ticks');
  let listed = JSON.parse(run('sale', 'list', '--json')).sales;
  assert.equal(listed[0].status, 'scheduled');
  assert.equal(listed[0].file.name, 'Hearts hour');
  assert.ok(listed[0].launch_batch > 0);

  await session.click('[data-testid="sale-end"]');
  await session.waitForText('[data-testid="sale-status"]', /reverted/, 60_000);
  listed = JSON.parse(run('sale', 'list', '--json')).sales;
  assert.equal(listed[0].status, 'reverted');
  const entries = JSON.parse(run('journal', 'list', '--json'));
  assert.equal(entries[0].playbook, 'revert');
  assert.equal(entries[1].playbook, 'promotions');
});

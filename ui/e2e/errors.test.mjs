// End to end: what the owner types wrong, in the real app on the demo shop.
// A field left empty or holding a word is named by its label; a launch below
// the margin floor offers the written override because its error code says
// so (the code crosses IPC from the core); nothing reads as a programmer's.
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
const port = 4444 + 2 * ((process.pid + 271) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-errors-'));
const db = join(dataDir, 'demo.sqlite');
let driver;
let session;

function run(...args) {
  return execFileSync(cli, ['--db', db, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** A picture of the window when E2E_SCREENSHOT names a file. */
async function picture(suffix) {
  if (!process.env.E2E_SCREENSHOT) return;
  writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, `-${suffix}.png`), await session.screenshot());
}

before(async () => {
  ({ driver, session } = await startOnDemo({ run, app, dataDir, port }));
});

after(async () => {
  await closeApp(session, driver, '-errors');
  rmSync(dataDir, { recursive: true, force: true });
});

test('wrong input is named by its field, and the floor override follows the error code', { timeout: 600_000 }, async () => {
  await session.waitFor('[data-testid="nav-pricing"]', 120_000);

  // What-if with Days left empty: the field's label, not the deserializer.
  await session.click('[data-testid="nav-pricing"]');
  await session.click('[data-testid="tab-whatif"]');
  await session.type('[data-testid="whatif-days"]', '');
  await session.click('[data-testid="compare"]');
  const days = await session.waitForText('[data-testid="whatif-error"]', /Days/, 30_000);
  assert.equal(days, 'Days: give a whole number from 1 to 365.');
  await picture('whatif-days');

  // A sale below the margin floor: refused, and the override is offered.
  run('floor', '--shop', '20');
  await session.click('[data-testid="nav-promotions"]');
  // The editor opens on the shop's clock, known once the sales are read.
  await session.waitFor('[data-testid="sales-calendar"]', 30_000);
  await session.click('[data-testid="sale-new"]');
  await session.waitFor('[data-testid="sale-name"]', 30_000);
  await session.type('[data-testid="sale-name"]', 'Deep cut');
  await session.type('[data-testid="sale-target"]', '85123A');
  await session.type('[data-testid="sale-discount"]', '60');
  await session.waitForText('[data-testid="sale-check-verdict"]', /Would be refused/, 60_000);
  await session.click('[data-testid="sale-save"]');
  await session.waitForText('[data-testid="sale-status"]', /draft/, 30_000);
  await session.click('[data-testid="sale-launch"]');
  const refused = await session.waitForText('[data-testid="promo-error"]', /not launched/, 30_000);
  assert.match(refused, /below the margin floor/);
  await session.waitFor('[data-testid="override-reason"]', 10_000);
  await picture('override');
  await session.type('[data-testid="override-reason"]', 'end of line');
  await session.click('[data-testid="override-launch"]');
  await session.waitForText('[data-testid="sale-status"]', /scheduled|live/, 60_000);
  const listed = JSON.parse(run('--json', 'sale', 'list'));
  assert.equal(listed.sales[0].override_reason, 'end of line');

  // A cart quantity that is a word.
  await session.type('[data-testid="tiers-target"]', 'Kitchen & Dining');
  await session.type('[data-testid="cart-sku"]', '22423');
  await session.type('[data-testid="cart-qty"]', 'six');
  await session.click('[data-testid="tiers-check"]');
  const qty = await session.waitForText('[data-testid="tiers-error"]', /Units/, 30_000);
  assert.equal(qty, 'Units of 22423: give a whole number 1 or more.');
  await picture('tiers-qty');
});

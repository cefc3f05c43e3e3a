// End to end: recommendations in the real app on the demo shop. Built from
// the page, a product's lists with their reasons, a pin and an exclusion
// the CLI then sees, a wrong SKU named, the push to the storefront, a
// customer's picks; bundles found, a wrong percent named, a draft refused
// below the floor, launched on the (local) storefront as a buy X get Y
// discount the CLI and the store see, and ended.
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
const port = 4444 + 2 * ((process.pid + 211) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-recommend-'));
const db = join(dataDir, 'demo.sqlite');
let driver;
let session;

function run(...args) {
  return execFileSync(cli, ['--db', db, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

async function shot(name, css) {
  if (!process.env.E2E_SCREENSHOT) return;
  if (css) await session.cmd('POST', '/execute/sync', { script: `document.querySelector(arguments[0]).scrollIntoView()`, args: [css] });
  writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, `-recommend-${name}.png`), await session.screenshot());
}

before(async () => {
  ({ driver, session } = await startOnDemo({ run, app, dataDir, port }));
});

after(async () => {
  await closeApp(session, driver, '-recommend');
  rmSync(dataDir, { recursive: true, force: true });
});

test('build, read, pin and exclude recommendations on the demo shop', { timeout: 600_000 }, async () => {
  await session.waitFor('[data-testid="nav-recommendations"]', 120_000);
  await session.click('[data-testid="nav-recommendations"]');
  await session.waitForText('[data-testid="rec-build"]', /Not built yet/, 60_000);
  await session.click('[data-testid="rec-build-button"]');
  await session.waitForText('[data-testid="rec-notice"]', /Built the lists of [\d,]+ products from 21,874 orders/, 300_000);
  await session.waitForText('[data-testid="rec-build"]', /21,874 orders/, 30_000);
  await shot('built', '[data-testid="rec-quality"]');

  // A wrong SKU is named.
  await session.type('[data-testid="rec-sku"]', 'NO-SUCH-SKU');
  await session.click('[data-testid="rec-show"]');
  await session.waitForText('[data-testid="rec-list-error"]', /no product has the SKU NO-SUCH-SKU/, 30_000);
  await session.type('[data-testid="rec-sku"]', '85123A');
  await session.click('[data-testid="rec-show"]');
  const items = await session.waitForText('[data-testid="rec-items"]', /bought together in [\d,]+ orders/, 60_000);
  assert.match(items, /£\d+\.\d\d/);
  const cliList = JSON.parse(run('--json', 'recommend', 'related', '85123A'));
  const first = cliList.items[0];
  assert.match(items, new RegExp(first.reason));
  await shot('related', '[data-testid="rec-product"]');

  // Exclude the first; the CLI no longer lists it and the page offers it back.
  await session.click('[data-testid="rec-items"] tbody tr:first-child td.actions button:last-child');
  await session.waitForText('[data-testid="rec-excluded"]', new RegExp(first.sku), 30_000);
  const after = JSON.parse(run('--json', 'recommend', 'related', '85123A'));
  assert.ok(!after.items.some((i) => i.sku === first.sku));
  assert.equal(after.excluded[0].sku, first.sku);
  await session.type('[data-testid="rec-pin-sku"]', '22633');
  await session.click('[data-testid="rec-pin"]');
  await session.waitForText('[data-testid="rec-items"] tbody tr:first-child', /22633.*pinned by you/s, 30_000);
  assert.equal(JSON.parse(run('--json', 'recommend', 'related', '85123A')).items[0].sku, '22633');

  await session.click('[data-testid="rec-tab-upsell"]');
  await session.waitForText('[data-testid="rec-items"]', /× the price/, 30_000);
  await shot('upsell', '[data-testid="rec-product"]');

  // The lists as shown go to the (local) storefront, journaled: the pin is first.
  await session.click('[data-testid="rec-push"]');
  await session.waitForText('[data-testid="rec-notice"]', /[\d,]+ lists sent to the storefront, 0 already there \([\d,]+ products\)\. Journal batch \d+/, 120_000);
  const stored = JSON.parse(execFileSync('sqlite3', ['-json', db, "SELECT value FROM metafields WHERE namespace = 'shopify--discovery--product_recommendation' AND key = 'complementary_products' AND owner = (SELECT p.external_id FROM products p JOIN variants v ON v.product_id = p.id WHERE v.sku = '85123A')"], { encoding: 'utf8' }));
  assert.equal(JSON.parse(stored[0].value)[0], '22633');
  await shot('pushed', '[data-testid="rec-quality"]');

  await session.type('[data-testid="rec-customer"]', '17850');
  await session.click('[data-testid="rec-picks-button"]');
  await session.waitForText('[data-testid="rec-picks"]', /bought \d+ times before/, 60_000);
  await shot('picks', '[data-testid="rec-picks"]');

  // Bundles: the page's first pair is the CLI's.
  await session.click('[data-testid="bundles-find"]');
  await session.waitForText('[data-testid="bundles-figures"]', /21,874 orders searched: [\d,]+ pairs and [\d,]+ triples are in [\d,]+ orders or more/, 120_000);
  const suggested = JSON.parse(run('--json', 'bundle', 'suggest'));
  const pair = suggested.pairs[0];
  const row = '[data-testid="bundles-suggestions"] tbody tr:first-child';
  const shown = await session.text(row);
  assert.ok(shown.includes(pair.items[0].sku) && shown.includes(pair.get_sku), shown);
  assert.match(shown, new RegExp(`bought together in ${pair.orders.toLocaleString('en-GB')} orders`));
  await shot('bundles', '[data-testid="bundles"]');
  await session.type(`${row} [data-testid="bundles-percent"]`, 'ten');
  await session.click(`${row} [data-testid="bundles-draft"]`);
  await session.waitForText('[data-testid="bundles-error"]', new RegExp(`Percent off ${pair.get_sku}: give a whole number from 1 to 99`), 30_000);
  // A floor of 150 % on cost makes 10 % too deep for the demo's costs (half the price).
  run('floor', '--shop', '150');
  await session.type(`${row} [data-testid="bundles-percent"]`, '10');
  await session.click(`${row} [data-testid="bundles-draft"]`);
  await session.waitForText('[data-testid="bundles-check"]', /below the margin floor £/, 30_000);
  await session.click('[data-testid="bundles-launch"]');
  await session.waitForText('[data-testid="bundles-drafts-error"]', /was not launched: .*below the margin floor/, 60_000);
  await shot('bundle-refused', '[data-testid="bundles-list"]');
  run('floor', '--shop', '0');
  await session.click('[data-testid="bundles-launch"]');
  await session.waitForText('[data-testid="bundles-status"]', /Live/, 60_000);
  const live = JSON.parse(run('--json', 'bundle', 'list')).bundles[0];
  assert.equal(live.status, 'live');
  assert.deepEqual([live.file.buy, live.file.get, live.file.percent], [[pair.items[0].sku], pair.get_sku, 10]);
  const kept = JSON.parse(execFileSync('sqlite3', ['-json', db, "SELECT definition FROM discounts"], { encoding: 'utf8' }));
  const d = JSON.parse(kept[0].definition);
  assert.equal(d.value.kind, 'buy_get');
  assert.equal(d.value.basis_points, 1000);
  await shot('bundle-live', '[data-testid="bundles-list"]');
  await session.click('[data-testid="bundles-end"]');
  await session.waitForText('[data-testid="bundles-status"]', /Ended/, 60_000);
  assert.equal(execFileSync('sqlite3', [db, 'SELECT count(*) FROM discounts'], { encoding: 'utf8' }).trim(), '0');
});

// End to end: pricing in the real app under Xvfb on the demo shop. Propose
// prices from the starter rules, compare them and a manual edit with
// today's prices, approve one price, apply it, see it in the shop, revert it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { closeApp, sleep, startOnDemo } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const port = 4444 + 2 * (process.pid % 400) + 1;
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-pricing-'));
const db = join(dataDir, 'demo.sqlite');
let driver;
let session;

function run(...args) {
  return execFileSync(cli, ['--db', db, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

function priceOf(sku) {
  const s = JSON.parse(run('price', 'signals', '--json'));
  return s.items.find((i) => i.sku === sku).price_minor;
}

before(async () => {
  ({ driver, session } = await startOnDemo({ run, app, dataDir, port }));
});

after(async () => {
  await closeApp(session, driver, '-pricing');
  rmSync(dataDir, { recursive: true, force: true });
});

test('propose, compare, approve, apply and revert prices on the demo shop', { timeout: 600_000 }, async () => {
  await session.waitFor('[data-testid="nav-pricing"]', 120_000);
  await session.click('[data-testid="nav-pricing"]');
  // The button is enabled once the rule sets have loaded.
  await session.waitFor('[data-testid="rules-suggest"]:not([disabled])', 120_000);
  await session.click('[data-testid="rules-suggest"]');
  const notice = await session.waitForText('[data-testid="pricing-notice"]', /prices proposed/, 120_000);
  const proposed = Number(notice.match(/^([\d,]+) prices proposed/)[1].replace(/,/g, ''));
  const stored = JSON.parse(run('price', 'proposals', '--json')).proposals[0];
  assert.equal(stored.items, proposed);
  assert.ok(proposed > 100, notice);
  const sku = await session.attribute('[data-testid="proposal-row"]', 'data-sku');
  const newPrice = await session.property('[data-testid="proposal-price"]', 'value');
  const row = await session.text('[data-testid="proposal-row"]');
  assert.match(row, /rule \d \((low stock|overstock|competitor)\)/);
  const before = priceOf(sku);

  // What-if: today's prices, the proposal, and 10 % off Home Decor.
  await session.click('[data-testid="tab-whatif"]');
  await session.waitFor('[data-testid="add-proposal"]', 10_000);
  await sleep(500);
  await session.click('[data-testid="add-proposal"]');
  await session.click('[data-testid="add-manual"]');
  await session.type('[data-testid="edit-which"]', 'Home Decor');
  await session.type('[data-testid="whatif-paths"]', '200');
  await session.click('[data-testid="compare"]');
  await session.waitFor('[data-testid="compare-results"], [data-testid="whatif-error"]', 180_000);
  assert.equal(await session.text('[data-testid="whatif-error"]').catch(() => null), null);
  await session.waitFor('[data-testid="compare-card"]:nth-of-type(3)', 5_000);
  const cards = await session.text('[data-testid="compare-results"]');
  assert.match(cards, /Current prices/);
  assert.match(cards, /vs current/);
  await session.waitFor('[data-testid="fan-band-2"]', 5_000);
  await session.waitFor('[data-testid="delta-row"]', 5_000);
  if (process.env.E2E_SCREENSHOT) writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, '-whatif.png'), await session.screenshot());

  // Signals: each product's elasticity with its error, as the model has it.
  await session.click('[data-testid="tab-signals"]');
  const cell = await session.waitForText('[data-testid="signal-elasticity"]', /^−?\d+\.\d\d ± \d+\.\d\d/, 120_000);
  const estimates = JSON.parse(run('price', 'elasticity', '--json')).items;
  const firstSku = (await session.text('[data-testid="signal-row"] td')).trim();
  const e = estimates.find((x) => x.sku === firstSku);
  const sign = e.elasticity < 0 ? '−' : '';
  assert.ok(cell.startsWith(`${sign}${Math.abs(e.elasticity).toFixed(2)} ± ${e.std_error.toFixed(2)}`), `${cell} against ${JSON.stringify(e)}`);
  if (process.env.E2E_SCREENSHOT) writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, '-signals.png'), await session.screenshot());

  // Approve the first proposed price only, and apply it.
  await session.click('[data-testid="tab-suggestions"]');
  await session.waitFor('[data-testid="approve-item"]', 30_000);
  await session.click('[data-testid="approve-item"]');
  await session.waitForText('[data-testid="apply-proposal"]', /Apply 1 approved/, 30_000);
  await session.click('[data-testid="apply-proposal"]');
  await session.waitForText('[data-testid="pricing-notice"]', /1 new prices applied in journal batch/, 60_000);
  const expected = Math.round(Number(newPrice) * 100);
  assert.equal(priceOf(sku), expected);
  assert.notEqual(expected, before);
  const entries = JSON.parse(run('journal', 'list', '--json'));
  assert.equal(entries[0].playbook, 'pricing');
  assert.equal(entries[0].label, `Price of ${sku}`);

  // Undo: the batch is reverted through the journal.
  await session.click('[data-testid="revert-proposal"]');
  await session.waitForText('[data-testid="pricing-notice"]', /Reverted 1 price to what/, 60_000);
  assert.equal(priceOf(sku), before);
});

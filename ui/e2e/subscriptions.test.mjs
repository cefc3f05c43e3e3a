// End to end: the subscription book in the real app on the demo shop. A
// book imported by the CLI; the month's figures on the page are the CLI's;
// a wrong month named; a renewal skipped and a subscription cancelled on
// the page, seen by the CLI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { closeApp, startOnDemo } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const port = 4444 + 2 * ((process.pid + 307) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-subs-'));
const db = join(dataDir, 'demo.sqlite');
let driver;
let session;

function run(...args) {
  return execFileSync(cli, ['--db', db, ...args], { encoding: 'utf8' });
}

async function shot(name, css) {
  if (!process.env.E2E_SCREENSHOT) return;
  if (css) await session.cmd('POST', '/execute/sync', { script: `document.querySelector(arguments[0]).scrollIntoView()`, args: [css] });
  writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, `-subs-${name}.png`), await session.screenshot());
}

before(async () => {
  ({ driver, session } = await startOnDemo({ run, app, dataDir, port }));
  const book = join(dataDir, 'book.csv');
  writeFileSync(book, [
    'subscription_id,customer,email,plan,status,started_on,cancelled_on,paused_until,interval,interval_count,price,currency,next_renewal_on',
    'S1,17850,,Gold,active,2011-01-15,,,month,1,30.00,GBP,2011-12-15',
    'S2,13047,,Gold,paused,2011-03-01,,2012-01-05,week,2,18.00,GBP,2011-12-13',
    'S3,12583,,Weekly,active,2011-06-01,,,week,1,10.00,GBP,2011-12-12',
    'S4,14911,,Weekly,past_due,2011-02-20,,,month,1,20.00,GBP,2011-11-20',
  ].join('\n') + '\n');
  run('subs', 'import', book);
});

after(async () => {
  await closeApp(session, driver, '-subs');
  rmSync(dataDir, { recursive: true, force: true });
});

test('the subscription book on the demo shop', { timeout: 300_000 }, async () => {
  await session.waitFor('[data-testid="nav-subscriptions"]', 120_000);
  await session.click('[data-testid="nav-subscriptions"]');
  const cliMonth = JSON.parse(run('--json', 'subs', 'metrics', '--month', '2011-12'));
  // 30.00 + 10.00 × 52 / 12 + 20.00 = 93.33; S2 paused; S4 past due still counts.
  assert.equal(cliMonth.mrr, '93.33');
  await session.waitForText('[data-testid="subs-mrr"]', /^£93\.33$/, 60_000);
  // S4's renewal of 20 November failed; its retries (21st, 23rd, 27th) are over: paused today.
  const dun = JSON.parse(run('--json', 'subs', 'dunning')).queue[0];
  assert.deepEqual([dun.failed_on, dun.next_action, dun.next_on], ['2011-11-20', 'pause', '2011-12-09']);
  await session.waitForText('[data-testid="subs-queue"]', /S4.*2011-11-20.*pause on 2011-12-09/s, 30_000);
  await shot('dunning', '[data-testid="subs-dunning"]');
  const boxes = JSON.parse(run('--json', 'subs', 'boxes', '--month', '2011-12'));
  assert.equal(await session.text('[data-testid="subs-boxes-total"]'), String(boxes.total));
  await shot('month', '[data-testid="subs-month"]');

  // Twelve months of MRR and the cohorts, as the CLI gives them.
  const trends = JSON.parse(run('--json', 'subs', 'trends'));
  await session.waitFor('[data-testid="subs-mrr-chart"] circle', 30_000);
  const started = trends.cohorts.filter((c) => c.started > 0);
  await session.waitForText('[data-testid="subs-cohorts"] tbody', new RegExp(started.map((c) => c.month).join('.*'), 's'), 30_000);
  assert.equal(trends.months.length, 12);
  assert.equal(trends.months[11].mrr, cliMonth.mrr);
  await shot('trends', '[data-testid="subs-trends"]');

  await session.type('[data-testid="subs-month-input"]', 'December');
  await session.click('[data-testid="subs-month-show"]');
  await session.waitForText('[data-testid="subs-month-error"]', /Month: write it as 2026-11\./, 30_000);
  await session.type('[data-testid="subs-month-input"]', '2011-12');
  await session.click('[data-testid="subs-month-show"]');

  // Skip S3's next renewal (the demo's today is 9 December: the 12th).
  await session.click('[data-testid="subs-list"] tbody tr:nth-child(3) [data-testid="subs-skip"]');
  await session.waitForText('[data-testid="subs-notice"]', /Subscription S3: the renewal of 2011-12-12 is skipped\./, 30_000);
  const s3 = JSON.parse(run('--json', 'subs', 'list')).subscriptions.find((s) => s.external_id === 'S3');
  assert.deepEqual(s3.skipped, ['2011-12-12']);
  await session.waitForText('[data-testid="subs-boxes-total"]', new RegExp(`^${boxes.total - 1}$`), 30_000);
  // The next renewal due is the one after; S2's is after its pause (5 January).
  await session.waitForText('[data-testid="subs-list"] tbody tr:nth-child(3) [data-testid="subs-next"]', /^2011-12-19/, 30_000);
  assert.match(await session.text('[data-testid="subs-list"] tbody tr:nth-child(2) [data-testid="subs-next"]'), /^2012-01-10/);

  // Cancel S1: a reason is asked for, then kept.
  await session.click('[data-testid="subs-list"] tbody tr:first-child td.actions button:last-child');
  await session.click('[data-testid="subs-cancel"]');
  await session.waitForText('[data-testid="subs-error"]', /Reason: say why it is cancelled\./, 30_000);
  await session.type('[data-testid="subs-reason"]', 'moved abroad');
  await session.click('[data-testid="subs-cancel"]');
  await session.waitForText('[data-testid="subs-notice"]', /Subscription S1 is cancelled\./, 30_000);
  const s1 = JSON.parse(run('--json', 'subs', 'list', '--status', 'cancelled')).subscriptions;
  assert.deepEqual(s1.map((s) => [s.external_id, s.cancelled_on, s.cancel_reason]), [['S1', '2011-12-09', 'moved abroad']]);
  await shot('book', '[data-testid="subs-book"]');
});

test('the set-up, a run of the renewals and the month’s boxes on the demo shop', { timeout: 300_000 }, async () => {
  await session.waitFor('[data-testid="subs-setup-Gold"]', 60_000);
  // A category the shop does not have is named.
  await session.type('[data-testid="subs-setup-Weekly"] [data-testid="setup-items"]', '1');
  await session.type('[data-testid="subs-setup-Weekly"] [data-testid="setup-categories"]', 'Xmas');
  await session.click('[data-testid="subs-setup-save"]');
  await session.waitForText('[data-testid="subs-setup-error"]', /plan "Weekly": no product is in the category "Xmas"/, 30_000);
  // A word for a number is named before anything is sent.
  await session.type('[data-testid="subs-setup-Weekly"] [data-testid="setup-categories"]', 'Christmas');
  await session.type('[data-testid="subs-setup-Weekly"] [data-testid="setup-items"]', 'one');
  await session.click('[data-testid="subs-setup-save"]');
  await session.waitForText('[data-testid="subs-setup-error"]', /Weekly: items per box: give a whole number from 0 to 50\./, 30_000);
  await session.type('[data-testid="subs-setup-Weekly"] [data-testid="setup-items"]', '1');
  await session.type('[data-testid="subs-setup-Weekly"] [data-testid="setup-box"]', '22086');
  await session.click('[data-testid="subs-billing"] option[value="desk"]');
  await session.click('[data-testid="subs-setup-save"]');
  await session.waitForText('[data-testid="subs-setup-notice"]', /Set-up saved\./, 30_000);
  const setup = JSON.parse(run('--json', 'subs', 'setup'));
  assert.equal(setup.billing, 'desk');
  assert.deepEqual(setup.plan.find((p) => p.name === 'Weekly'), {
    name: 'Weekly', rank: 1, items: 1, categories: ['Christmas'], products: [], box_sku: '22086',
    discount_percent: 0, free_shipping: false, early_access_hours: 0, points_multiplier: null,
  });
  // Each subscriber's plan to the (local) storefront, journaled; again: nothing new.
  await session.click('[data-testid="subs-push-plans"]');
  await session.waitForText('[data-testid="subs-setup-notice"]', /^\d+ customers: [1-9]\d* changes sent, \d+ already so\./, 60_000);
  await shot('setup', '[data-testid="subs-setup"]');
  const pushed = JSON.parse(run('--json', 'subs', 'push-plans'));
  assert.equal(pushed.confirmed, 0);
  assert.ok(pushed.unchanged > 0);
  const journal = JSON.parse(run('--json', 'journal', 'list'));
  // S2 (paused, on Gold) keeps its plan; S1 was cancelled above: no tag.
  assert.ok(journal.some((e) => e.label === 'plan tag of 13047' && e.new.value.includes('plan:gold')), JSON.stringify(journal.slice(0, 3)));
  assert.ok(!journal.some((e) => e.label === 'plan tag of 17850' && e.new.value.includes('plan:gold')));

  // S4's renewal of 20 November is due: a local renewal order, once.
  await session.click('[data-testid="subs-renew-run"]');
  await session.waitForText('[data-testid="subs-renew-notice"]', /^1 billed, 0 failed, 0 being processed, 0 not sent\.$/, 60_000);
  await session.waitForText('[data-testid="subs-renewals"]', /2011-11-20.*S4.*Billed: order S4-20111120/s, 30_000);
  await shot('renewals', '[data-testid="subs-renew"]');
  const again = JSON.parse(run('--json', 'subs', 'renew'));
  assert.equal(again.billed, 0);
  assert.equal(JSON.parse(run('--json', 'subs', 'list')).subscriptions.find((s) => s.external_id === 'S4').status, 'active');

  // December's boxes from today (the 9th): as the CLI plans them.
  await session.click('[data-testid="curation-plan"]');
  await session.waitForText('[data-testid="curation-notice"]', /boxes? planned; their items are reserved\./, 60_000);
  const pick = JSON.parse(run('--json', 'subs', 'picking', '--month', '2011-12'));
  assert.ok(pick.boxes.length >= 2, JSON.stringify(pick));
  assert.match(await session.text('[data-testid="curation-summary"]'), new RegExp(`^${pick.boxes.length} boxes planned for 2011-12`));
  const first = pick.boxes[0];
  assert.match(await session.text('[data-testid="curation-boxes"] tbody tr:first-child'), new RegExp(`${first.cycle_on}.*${first.subscription}.*${first.items[0].sku}`, 's'));
  // Never the same item twice for one subscriber.
  for (const sub of new Set(pick.boxes.map((b) => b.subscription))) {
    const items = pick.boxes.filter((b) => b.subscription === sub).flatMap((b) => b.items.map((i) => i.sku));
    assert.equal(new Set(items).size, items.length, sub);
  }
  await shot('boxes', '[data-testid="subs-curation"]');
  // The picking list: a place is asked for, then the CSV is written.
  await session.click('[data-testid="picking-save"]');
  await session.waitForText('[data-testid="curation-error"]', /Save to: choose where the picking list goes\./, 30_000);
  const file = join(dataDir, 'picking.csv');
  await session.type('[data-testid="picking-path"]', file);
  await session.click('[data-testid="picking-save"]');
  await session.waitForText('[data-testid="curation-notice"]', /Picking list saved to/, 30_000);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'renewal_on,subscription_id,customer,email,plan,sku,title');
  assert.equal(lines.length - 1, pick.boxes.reduce((n, b) => n + b.items.length, 0));
  await shot('forecast', '[data-testid="curation-forecast"]');
});

test('what Gold brings: member and shipping codes for its customers, and early access to a sale', { timeout: 300_000 }, async () => {
  const gold = '[data-testid="subs-benefits-Gold"]';
  await session.waitFor(gold, 60_000);
  await session.type(`${gold} [data-testid="setup-discount"]`, 'ten');
  await session.click('[data-testid="subs-setup-save"]');
  await session.waitForText('[data-testid="subs-setup-error"]', /Gold: member discount %: give a whole number from 0 to 90\./, 30_000);
  await session.type(`${gold} [data-testid="setup-discount"]`, '10');
  await session.type(`${gold} [data-testid="setup-multiplier"]`, '0.5');
  await session.click('[data-testid="subs-setup-save"]');
  await session.waitForText('[data-testid="subs-setup-error"]', /Gold: points multiplier: give a number from 1 to 10/, 30_000);
  await session.type(`${gold} [data-testid="setup-multiplier"]`, '2');
  await session.type(`${gold} [data-testid="setup-early"]`, '24');
  await session.click(`${gold} [data-testid="setup-shipping"]`);
  await session.click('[data-testid="subs-setup-save"]');
  await session.waitForText('[data-testid="subs-setup-notice"]', /Set-up saved\./, 30_000);
  const plan = JSON.parse(run('--json', 'subs', 'setup')).plan.find((p) => p.name === 'Gold');
  assert.deepEqual([plan.discount_percent, plan.free_shipping, plan.early_access_hours, plan.points_multiplier], [10, true, 24, '2']);

  // S1 was cancelled: Gold's one customer is S2's (13047).
  await session.click('[data-testid="subs-push-plans"]');
  const member = await session.waitForText('[data-testid="benefit-GOLD-MEMBERS"]', /created, for 1 customer/, 60_000);
  await session.waitForText('[data-testid="benefit-GOLD-SHIPPING"]', /free shipping\): created, for 1 customer\./, 30_000);
  await shot('benefits', '[data-testid="subs-benefits"]');
  const journal = JSON.parse(run('--json', 'journal', 'list'));
  const code = journal.find((e) => e.label === 'member discount of plan Gold');
  assert.deepEqual(code.new.value.customers, ['13047']);
  assert.equal(code.new.value.code, 'GOLD-MEMBERS');
  // The items left out are the ones the page counts.
  const left = /(\d+) items? left out/.exec(member);
  const kept = code.new.value.items.kind === 'all' ? null : code.new.value.items.variants.length;
  if (left) assert.ok(kept !== null && kept > 0, member);
  const again = JSON.parse(run('--json', 'subs', 'push-plans'));
  assert.deepEqual(again.benefits.map((b) => b.status), ['unchanged', 'unchanged']);

  // A sale on the Sales page: its check names Gold's early access.
  await session.click('[data-testid="nav-promotions"]');
  await session.waitFor('[data-testid="sale-new"]', 30_000);
  await session.click('[data-testid="sale-new"]');
  await session.waitFor('[data-testid="sale-name"]', 30_000);
  await session.type('[data-testid="sale-name"]', 'Members first');
  await session.type('[data-testid="sale-target"]', '85123A');
  await session.type('[data-testid="sale-discount"]', '10');
  await session.waitForText('[data-testid="sale-check"]', /Gold's 1 customer can buy at the sale's price with a code of their own/, 60_000);
  await shot('sale-check', '[data-testid="sale-check"]');
  await session.click('[data-testid="sale-save"]');
  await session.waitForText('[data-testid="sale-status"]', /draft/, 30_000);
  const sale = JSON.parse(run('--json', 'sale', 'list')).sales.find((x) => x.file.name === 'Members first');
  await session.click('[data-testid="sale-launch"]');
  await session.waitForText('[data-testid="sale-status"]', /scheduled/, 60_000);
  await session.waitForText('[data-testid="promo-notice"]', new RegExp(`Early access for plan customers: GOLD-EARLY-${sale.id} from`), 30_000);
  await session.waitForText('[data-testid="sale-early"]', new RegExp(`^Early access: GOLD-EARLY-${sale.id} from`), 30_000);
  await shot('early-access', '[data-testid="sales-table"]');
  const early = JSON.parse(run('--json', 'journal', 'list')).find((e) => e.label === `Early access code GOLD-EARLY-${sale.id} (sale ${sale.id})`);
  assert.ok(early, 'the early access code is journaled with the sale');
  assert.deepEqual(early.new.value.customers, ['13047']);
  assert.equal(early.new.value.ends_at, sale.starts_at);
  await session.click('[data-testid="sale-end"]');
  await session.waitForText('[data-testid="sale-status"]', /reverted|ended/, 60_000);
});

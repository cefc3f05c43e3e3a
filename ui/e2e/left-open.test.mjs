// End to end: the app is left open on a shop connected to the loopback
// Shopify fake, and a price-mode sale starts and ends by itself while nobody
// clicks anything. The storefront's price goes to the sale price at the
// start and back at the end; the side bar counts the notifications, the
// notification centre lists them and the Promotions page shows the sale
// ended. The loop turns every second here (MERCHANT_DESK_SETTLE_SECONDS)
// instead of every minute, so the test takes seconds, not minutes.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { Session, closeApp, sleep, startDriver } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const fakeBin = join(target, 'debug', 'shopify-fake');
const port = 4444 + 2 * ((process.pid + 300) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-open-'));
const db = join(dataDir, 'shop.sqlite');
let fake;
let fakeChild;
let driver;
let session;
let env;

const run = (args) => execFileSync(cli, ['--db', db, ...args], { env, encoding: 'utf8' });

/** The storefront's price of a variant, asked of the fake itself. */
async function upstreamPrice(variantGid) {
  const r = await fetch(`${fake.url}/admin/api/2026-10/graphql.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': fake.token },
    body: JSON.stringify({
      operationName: 'ReadNodes',
      query: 'query ReadNodes($ids: [ID!]!) { nodes(ids: $ids) { id ... on ProductVariant { price } } }',
      variables: { ids: [variantGid] },
    }),
  });
  const json = await r.json();
  return json.data.nodes[0].price;
}

/** A time `seconds` from now in the shop's zone (Europe/London), as a sale file writes it. */
function londonIn(seconds) {
  const t = new Date(Date.now() + seconds * 1000);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(t).map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

before(async () => {
  assert.ok(existsSync(fakeBin), `${fakeBin} is missing: build it with cargo build -p shopify-fake`);
  fakeChild = spawn(fakeBin, ['--invoices', '80'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((ok, fail) => {
    fakeChild.once('exit', (code) => fail(new Error(`shopify-fake exited (${code})`)));
    createInterface({ input: fakeChild.stdout }).once('line', ok);
  });
  const [url, token] = line.trim().split(' ');
  fake = { url, token };
  // The token comes from a variable, as on a machine without a keyring.
  env = { ...process.env, MD_E2E_TOKEN: token, MERCHANT_DESK_DATA_DIR: dataDir, MERCHANT_DESK_SETTLE_SECONDS: '1' };
  run(['connect', 'shopify', '--shop', url, '--token-env', 'MD_E2E_TOKEN']);
  run(['sync']);
});

after(async () => {
  await closeApp(session, driver, '-left-open');
  if (fakeChild?.exitCode === null) fakeChild.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('a sale starts and ends by itself while the app is left open', { timeout: 300_000 }, async () => {
  const [sku, variantGid, price] = execFileSync(
    'sqlite3',
    [db, "SELECT sku, external_id, price_minor FROM variants WHERE price_minor >= 200 AND sku NOT LIKE '%C%' ORDER BY sku LIMIT 1"],
    { encoding: 'utf8' },
  ).trim().split('|');
  const before = (Number(price) / 100).toFixed(2);
  assert.equal(await upstreamPrice(variantGid), before);
  // Starts 25 s from now (the window opens meanwhile) and lasts 15 s.
  const file = join(dataDir, 'sale.toml');
  writeFileSync(
    file,
    `name = "Left open"\ntargets = { skus = ["${sku}"] }\ndiscount = { percent = 10 }\n` +
      `starts_at = "${londonIn(25)}"\nends_at = "${londonIn(40)}"\nmode = "price"\n`,
  );
  const id = run(['sale', 'create', file]).trim();
  run(['sale', 'launch', id, '--override-floor', 'end-to-end test of the clock']);

  driver = await startDriver({ port, logFile: join(dataDir, 'tauri-driver.log'), env });
  session = await Session.create(port, app);
  await session.waitForText('[data-testid="shop-name-label"]', /Online Retail \(fake Shopify\)/, 60_000);
  await session.waitForText('[data-testid="background-sync"]', /Last sync .*\n?.*Next/, 30_000);
  // Nobody clicks (the dashboard stays on screen, which settles nothing
  // itself): the start comes.
  await session.waitForText('[data-testid="notices-unread"]', /^1$/, 60_000);
  const salePrice = (Math.round(Number(price) * 0.9) / 100).toFixed(2);
  assert.equal(await upstreamPrice(variantGid), salePrice);
  if (process.env.E2E_SCREENSHOT) writeFileSync(process.env.E2E_SCREENSHOT.replace(/(\.png)?$/, '-sale-live.png'), await session.screenshot());

  // And the end.
  await session.waitForText('[data-testid="notices-unread"]', /^2$/, 60_000);
  assert.equal(await upstreamPrice(variantGid), before);
  await session.click('[data-testid="nav-promotions"]');
  await session.waitForText('[data-testid="sales-table"]', /Left open.*ended/s, 30_000);
  await session.click('[data-testid="notices-button"]');
  const listed = await session.waitForText('[data-testid="notices"]', /ended/, 30_000);
  assert.match(listed, /Sale “Left open” started/);
  assert.match(listed, /Sale “Left open” ended/);
  await sleep(300);
});

// End to end: the real app under Xvfb, driven through tauri-driver and
// WebKitWebDriver. Opens the demo shop from the welcome screen and checks that
// the dashboard shows the same figures as `merchant-desk report summary`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Session, closeApp, sleep, startDriver } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const port = 4444 + 2 * (process.pid % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-'));
let driver;
let session;

before(async () => {
  driver = await startDriver({
    port,
    logFile: join(dataDir, 'tauri-driver.log'),
    env: { ...process.env, MERCHANT_DESK_DATA_DIR: dataDir },
  });
  session = await Session.create(port, app);
});

after(async () => {
  await closeApp(session, driver, '');
  rmSync(dataDir, { recursive: true, force: true });
});

const KPIS = ['orders', 'customers', 'repeat_customers', 'units', 'gross_sales', 'refunds', 'net_sales', 'aov'];

/** What the owner sees, as the CLI prints it: "£10,271,433.06" → "10271433.06". */
async function dashboardFigures() {
  const out = {};
  for (const k of KPIS) {
    out[k] = (await session.text(`[data-testid="kpi-${k}-value"]`)).replace(/[£,\s]/g, '');
  }
  return out;
}

function cliFigures(from, to) {
  const json = execFileSync(cli, ['--db', join(dataDir, 'demo.sqlite'), 'report', 'summary', '--from', from, '--to', to, '--json'], {
    encoding: 'utf8',
  });
  const s = JSON.parse(json);
  assert.equal(s.currency, 'GBP');
  return Object.fromEntries(KPIS.map((k) => [k, String(s[k])]));
}

test('the demo shop dashboard shows the figures of report summary', { timeout: 600_000 }, async () => {
  await session.waitFor('[data-testid="open-demo"]', 60_000);
  await session.click('[data-testid="open-demo"]');
  // Building the demo imports 541,909 lines; the progress bar shows meanwhile.
  await session.waitFor('[data-testid="kpi-orders-value"]', 480_000);
  assert.match(await session.text('[data-testid="demo-note"]'), /demo assumptions/);

  // The default range: the 30 days ending on the demo's today.
  const last30 = await dashboardFigures();
  assert.deepEqual(last30, cliFigures('2011-11-10', '2011-12-09'));
  assert.notEqual(last30.orders, '0');

  // The whole data set.
  await session.click('[data-testid="range-all"]');
  const deadline = Date.now() + 60_000;
  let all = await dashboardFigures();
  while (all.orders === last30.orders && Date.now() < deadline) {
    await sleep(250);
    all = await dashboardFigures();
  }
  assert.deepEqual(all, cliFigures('2010-12-01', '2011-12-09'));
  assert.equal(all.aov, '519.47');

  // The demo has no subscription book, and says how to bring one; the
  // sections to come say so.
  await session.click('[data-testid="nav-subscriptions"]');
  assert.match(await session.waitForText('[data-testid="subs-empty"]', /No subscriptions yet/, 30_000), /Import your subscription app’s export/);
  await session.click('[data-testid="nav-customers"]');
  assert.match(await session.text('[data-testid="empty-state"]'), /Not built yet/);
});

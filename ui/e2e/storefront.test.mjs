// End to end: the real app connects to the loopback Shopify fake (seeded
// with the whole Online Retail file), keeps the token in a real Secret
// Service keyring, syncs with the progress bar, shows the synced shop's
// dashboard, pushes a price from the journal page and reverts it.
//
// The test brings its own session bus and an unlocked gnome-keyring holding
// a throw-away keyring in a temporary folder, so it never touches the
// keyring of whoever runs it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { Session, closeApp, startDriver } from './webdriver.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(target, 'debug', 'merchant-desk-app');
const cli = join(target, 'debug', 'merchant-desk');
const fakeBin = join(target, 'debug', 'shopify-fake');
const port = 4444 + 2 * ((process.pid + 200) % 400);
const dataDir = mkdtempSync(join(tmpdir(), 'merchant-desk-e2e-sync-'));
const children = [];
let env;
let driver;
let session;
let fake;

/** Starts a child, remembers it for teardown, resolves with its first stdout line. */
function startChild(command, args, options) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], ...options });
  children.push(child);
  return new Promise((resolveLine, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolveLine(line.trim()));
  });
}

before(async () => {
  assert.ok(existsSync(fakeBin), `${fakeBin} is missing: build it with cargo build -p shopify-fake`);
  const [url, token] = (await startChild(fakeBin, [])).split(' ');
  fake = { url, token };

  // A private session bus, and gnome-keyring on it with an unlocked keyring.
  const bus = await startChild('dbus-daemon', ['--session', '--nofork', '--print-address=1']);
  const xdgData = join(dataDir, 'xdg-data');
  mkdirSync(xdgData);
  env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus, XDG_DATA_HOME: xdgData, MERCHANT_DESK_DATA_DIR: dataDir };
  const keyring = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  children.push(keyring);
  keyring.stdin.end('e2e-keyring-password\n');
  // The daemon owns org.freedesktop.secrets once it is ready.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const names = execFileSync(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.ListNames'],
      { env, encoding: 'utf8' },
    );
    if (names.includes('org.freedesktop.secrets')) break;
    assert.ok(Date.now() < deadline, 'gnome-keyring did not start');
    await new Promise((r) => setTimeout(r, 200));
  }

  driver = await startDriver({ port, logFile: join(dataDir, 'tauri-driver.log'), env });
  session = await Session.create(port, app);
});

after(async () => {
  await closeApp(session, driver, '-sync');
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function cliJson(args) {
  return JSON.parse(execFileSync(cli, ['--db', join(dataDir, 'shop.sqlite'), ...args], { env, encoding: 'utf8' }));
}

test('connect, sync with progress, see the dashboard, push and revert', { timeout: 900_000 }, async () => {
  await session.waitFor('[data-testid="connect-shop"]', 60_000);
  await session.type('[data-testid="connect-shop"]', fake.url);
  await session.type('[data-testid="connect-secret"]', 'shpat_not_the_token');
  await session.click('[data-testid="connect-test"]');
  const refused = await session.waitForText('[data-testid="connect-error"]', /refused/, 30_000);
  assert.ok(!refused.includes('shpat_not_the_token'), refused);

  await session.type('[data-testid="connect-secret"]', fake.token);
  await session.click('[data-testid="connect-test"]');
  await session.waitForText('[data-testid="connect-tested"]', /Online Retail \(fake Shopify\): prices in GBP, time zone Europe\/London/, 30_000);

  // Connecting keeps the token in the keyring and starts the first sync.
  await session.click('[data-testid="connect-save"]');
  const stage = await session.waitForText('[data-testid="progress"]', /Pulling all (products|customers|orders)/, 60_000);
  assert.match(stage, /records written|Pulling/);
  const report = await session.waitForText('[data-testid="sync-report"]', /Full sync done/, 600_000);
  const orders = Number(/([\d,]+) orders, [\d,]+ discounts? written/.exec(report)[1].replace(/,/g, ''));
  assert.ok(orders > 20_000, report);
  await session.waitForText('[data-testid="last-sync"]', /Last sync: completed/, 30_000);

  // The token is in the keyring, not in the database.
  const db = join(dataDir, 'shop.sqlite');
  const bytes = Buffer.concat([db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f)));
  assert.ok(bytes.length > 0);
  assert.ok(!bytes.includes(fake.token), 'the token is in the database file');
  const connection = execFileSync('sqlite3', [db, 'SELECT auth, coalesce(secret_env, \'keyring\') FROM storefront_connection'], {
    encoding: 'utf8',
  });
  assert.equal(connection.trim(), 'token|keyring');

  // The synced shop's dashboard shows what the CLI reports from the same file.
  await session.click('[data-testid="nav-dashboard"]');
  await session.waitForText('[data-testid="shop-name-label"]', /Online Retail \(fake Shopify\)/, 30_000);
  await session.waitFor('[data-testid="range-all"]', 30_000);
  await session.click('[data-testid="range-all"]');
  // Every synced order is dated within the Online Retail year.
  const summary = cliJson(['report', 'summary', '--from', '2010-12-01', '--to', '2011-12-31', '--json']);
  assert.equal(summary.currency, 'GBP');
  assert.ok(summary.orders > 19_000, JSON.stringify(summary));
  await session.waitForText('[data-testid="kpi-orders-value"]', new RegExp(`^${summary.orders.toLocaleString('en-GB')}$`), 60_000);
  for (const k of ['gross_sales', 'net_sales', 'units', 'customers']) {
    const shown = (await session.text(`[data-testid="kpi-${k}-value"]`)).replace(/[£,\s]/g, '');
    assert.equal(shown, String(summary[k]), k);
  }

  // Push a price from the journal page; the store confirms it; revert it.
  await session.click('[data-testid="nav-journal"]');
  await session.waitFor('[data-testid="push-sku"]', 30_000);
  await session.type('[data-testid="push-sku"]', '85123A');
  await session.type('[data-testid="push-price"]', '3.33');
  await session.type('[data-testid="push-reason"]', 'end-to-end test');
  await session.click('[data-testid="push-submit"]');
  await session.waitForText('[data-testid="journal-notice"]', /Price of 85123A is now £3\.33/, 60_000);
  await session.waitForText('[data-testid="journal-status-1"]', /^confirmed$/, 30_000);
  await session.click('[data-testid="revert-1"]');
  await session.waitForText('[data-testid="journal-status-1"]', /^reverted$/, 60_000);
  await session.waitForText('[data-testid="journal-row-2"]', /revert of entry 1/, 30_000);
  const journal = cliJson(['journal', 'list', '--json']);
  assert.equal(journal[0].status, 'confirmed');
  assert.equal(journal[0].revert_of, 1);
  assert.deepEqual(journal[0].new, journal[1].prior);

  // Disconnecting forgets the connection.
  await session.click('[data-testid="nav-settings"]');
  await session.waitFor('[data-testid="disconnect"]', 30_000);
  await session.click('[data-testid="disconnect"]');
  await session.waitFor('[data-testid="disconnect-confirm"]', 30_000);
  await session.click('[data-testid="disconnect-confirm"]');
  await session.waitFor('[data-testid="connect-form"]', 30_000);
  const left = execFileSync('sqlite3', [db, 'SELECT count(*) FROM storefront_connection'], { encoding: 'utf8' });
  assert.equal(left.trim(), '0');

  // The app's log tells the story, and never the token.
  const logs = join(dataDir, 'logs');
  const log = readdirSync(logs).map((f) => readFileSync(join(logs, f), 'utf8')).join('');
  for (const said of ['store connected', 'sync completed', 'push confirmed', 'store disconnected']) assert.ok(log.includes(said), said);
  assert.ok(!log.includes(fake.token), 'the token is in the log');
});

// An in-memory backend for unit tests and for working on the UI without the
// shell. It holds a small shop whose figures the tests check by hand.
import type { AppStatus } from './bindings/AppStatus';
import type { ConnectionInfo } from './bindings/ConnectionInfo';
import type { ConnectRequest } from './bindings/ConnectRequest';
import type { Entry } from './bindings/Entry';
import type { PushRequest } from './bindings/PushRequest';
import type { RevertScope } from './bindings/RevertScope';
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncRun } from './bindings/SyncRun';
import type { Value } from './bindings/Value';
import type { Dashboard } from './bindings/Dashboard';
import type { DashboardRequest } from './bindings/DashboardRequest';
import type { ImportReport } from './bindings/ImportReport';
import type { Shop } from './bindings/Shop';
import { type Backend, BackendError } from './transport';

export const demoShop: Shop = {
  name: 'Demo: UK gift shop',
  platform: 'demo',
  currency: 'GBP',
  time_zone: 'Europe/London',
  demo: true,
  fixed_today: '2011-12-09',
};

export function sampleDashboard(request: DashboardRequest, shop: Shop = demoShop): Dashboard {
  const range = request.range ?? { from: '2011-12-07', to: '2011-12-09' };
  return {
    shop,
    summary: {
      range,
      currency: shop.currency,
      orders: 4,
      customers: 3,
      repeat_customers: 1,
      units: 20,
      gross_sales: 123456,
      refunds: 1000,
      net_sales: 122456,
      aov: 30864,
    },
    previous: {
      range: { from: '2011-12-04', to: '2011-12-06' },
      currency: shop.currency,
      orders: 2,
      customers: 2,
      repeat_customers: 0,
      units: 10,
      gross_sales: 100000,
      refunds: 0,
      net_sales: 100000,
      aov: 50000,
    },
    granularity: request.granularity,
    series: [
      { start: '2011-12-07', orders: 1, units: 5, gross_sales: 23456 },
      { start: '2011-12-08', orders: 0, units: 0, gross_sales: 0 },
      { start: '2011-12-09', orders: 3, units: 15, gross_sales: 100000 },
    ],
    top_products: [
      { variant_id: 1, sku: '85123A', title: 'WHITE HANGING HEART T-LIGHT HOLDER', category: 'Lighting', units: 12, revenue: 3060, orders: 2 },
      { variant_id: 2, sku: '22423', title: 'REGENCY CAKESTAND 3 TIER', category: 'Kitchen & Dining', units: 2, revenue: 120396, orders: 1 },
      { variant_id: 3, sku: '47566', title: 'PARTY BUNTING', category: 'Toys & Kids', units: 6, revenue: 0, orders: 1 },
    ],
    data_span: { from: '2010-12-01', to: '2011-12-09' },
  };
}

/** The mock storefront's token; any other is refused. */
export const MOCK_TOKEN = 'shpat_mock_token';

export class MockBackend implements Backend {
  shop: Shop | null;
  calls: string[] = [];
  failNextWith: BackendError | null = null;
  connection: ConnectionInfo | null = null;
  lastSync: SyncRun | null = null;
  entries: Entry[] = [];
  /** The storefront's prices by SKU, in minor units; tests edit them to act as an upstream change. */
  prices: Record<string, number> = { '85123A': 295, '22423': 1275 };
  /** While set, a sync waits for it after its first progress report. */
  syncGate: Promise<void> | null = null;
  private cancelled = false;

  constructor(shop: Shop | null = null) {
    this.shop = shop;
  }

  private statusNow(): AppStatus {
    return {
      shop: this.shop,
      workspace: this.shop?.demo ? 'demo' : 'shop',
      db_path: ':memory:',
      today: this.shop ? (this.shop.fixed_today ?? '2024-01-01') : null,
      own_shop_exists: !!this.shop && !this.shop.demo,
      open_demo_now: false,
    };
  }

  private check(call: string) {
    this.calls.push(call);
    if (this.failNextWith) {
      const e = this.failNextWith;
      this.failNextWith = null;
      throw e;
    }
  }

  async status() {
    this.check('status');
    return this.statusNow();
  }
  async openDemo(onProgress: Parameters<Backend['openDemo']>[0]) {
    this.check('openDemo');
    onProgress({ stage: 'Importing online-retail.csv.gz', done: 50, total: 100, rows: 1000 });
    this.shop = demoShop;
    return this.statusNow();
  }
  async openOwnShop() {
    this.check('openOwnShop');
    return this.statusNow();
  }
  async saveShop(shop: Shop) {
    this.check('saveShop');
    this.shop = { ...shop, demo: false, fixed_today: null };
    return this.statusNow();
  }
  async importFile(kind: ImportReport['kind'], path: string) {
    this.check('importFile');
    return {
      run_id: 1,
      kind,
      file: path.split('/').pop() ?? path,
      rows_read: 3,
      rows_imported: 2,
      rows_skipped: 1,
      rows_flagged: 0,
      orders: 1,
      refunds: 0,
      variants: 2,
      customers: 1,
      price_changes: 0,
      issues: [{ action: 'skipped', reason: 'quantity is zero or negative', count: 1, lines: [4] }],
    };
  }
  async cancelJob() {
    this.check('cancelJob');
    this.cancelled = true;
  }
  async dashboard(request: DashboardRequest) {
    this.check('dashboard');
    if (!this.shop) throw new BackendError({ code: 'no_shop', message: 'no shop is set up yet' });
    return sampleDashboard(request, this.shop);
  }
  async storefront() {
    this.check('storefront');
    return { connection: this.connection, last_sync: this.lastSync, pending: 0 };
  }
  private shopInfo(request: ConnectRequest) {
    if (!request.secret.trim()) throw new BackendError({ code: 'invalid_argument', message: 'paste the Admin API access token' });
    if (request.secret.trim() !== MOCK_TOKEN) {
      throw new BackendError({ code: 'auth', message: 'the store refused the credentials (HTTP 401)' });
    }
    return { name: 'Mock Gift Shop', currency: 'GBP', time_zone: 'Europe/London' };
  }
  async testConnection(request: ConnectRequest) {
    this.check('testConnection');
    return this.shopInfo(request);
  }
  async connectStore(request: ConnectRequest) {
    this.check('connectStore');
    const info = this.shopInfo(request);
    this.connection = {
      platform: request.platform,
      shop_url: `https://${request.shop}`,
      auth: request.auth,
      client_id: request.client_id,
      secret_env: null,
      api_version: '2026-10',
      connected_at: '2024-01-01T09:00:00Z',
    };
    this.shop = { name: info.name, platform: 'shopify', currency: info.currency, time_zone: info.time_zone, demo: false, fixed_today: null };
    return this.statusNow();
  }
  async disconnectStore() {
    this.check('disconnectStore');
    this.connection = null;
    return this.storefront();
  }
  async syncNow(full: boolean, onProgress: (p: SyncProgress) => void) {
    this.check('syncNow');
    if (!this.connection) throw new BackendError({ code: 'not_connected', message: 'this shop is not connected to a storefront' });
    this.cancelled = false;
    const id = (this.lastSync?.id ?? 0) + 1;
    const run = (status: string, message: string | null): SyncRun => ({
      id, started_at: '2024-01-01T10:00:00Z', finished_at: '2024-01-01T10:01:00Z', full, status, message, products: 3, customers: 2, orders: 5,
    });
    onProgress({ stage: 'Pulling all products', entity: 'products', done: 3, total: 3, written: 3 });
    if (this.syncGate) await this.syncGate;
    if (this.cancelled) {
      this.lastSync = run('cancelled', 'cancelled');
      throw new BackendError({ code: 'cancelled', message: 'cancelled' });
    }
    onProgress({ stage: 'Pulling all customers', entity: 'customers', done: 2, total: 2, written: 5 });
    onProgress({ stage: 'Pulling all orders', entity: 'orders', done: 5, total: 5, written: 10 });
    this.lastSync = run('completed', null);
    return { run: id, full, products: 3, customers: 2, orders: 5, seconds: 1.5 };
  }
  async journal(limit: number) {
    this.check('journal');
    return [...this.entries].reverse().slice(0, limit);
  }
  private record(target: Entry['target'], label: string, prior: Value, next: Value, playbook: string, reason: string, revertOf: number | null): Entry {
    const entry: Entry = {
      id: this.entries.length + 1,
      batch: this.entries.length + 1,
      storefront: this.connection?.platform ?? 'local',
      playbook,
      reason,
      target,
      label,
      prior,
      new: next,
      status: 'confirmed',
      error: null,
      revert_of: revertOf,
      created_at: '2024-01-01T11:00:00Z',
      confirmed_at: '2024-01-01T11:00:01Z',
    };
    this.entries.push(entry);
    return entry;
  }
  private static price(minor: number): Value {
    return { kind: 'price', value: { price_minor: minor, compare_at_minor: null } };
  }
  async pushChange(request: PushRequest) {
    this.check('pushChange');
    const c = request.change;
    if (c.kind !== 'price') throw new BackendError({ code: 'invalid_argument', message: 'the mock store takes prices only' });
    if (!(c.sku in this.prices)) throw new BackendError({ code: 'invalid_argument', message: `no product with SKU ${c.sku} in this shop` });
    const minor = Math.round(Number(c.price) * 100);
    if (!Number.isFinite(minor)) throw new BackendError({ code: 'invalid_argument', message: `"${c.price}" is not an amount` });
    const prior = this.prices[c.sku];
    this.prices[c.sku] = minor;
    const target = { kind: 'variant_price' as const, product: `P-${c.sku}`, variant: `V-${c.sku}` };
    return [this.record(target, `Price of ${c.sku}`, MockBackend.price(prior), MockBackend.price(minor), 'manual', request.reason || 'set by hand', null)];
  }
  async revertChange(scope: RevertScope, force: boolean) {
    this.check('revertChange');
    const entry = this.entries.find((e) => e.id === scope.id);
    if (!entry || entry.status !== 'confirmed' || entry.new.kind !== 'price' || entry.prior.kind !== 'price') {
      throw new BackendError({ code: 'invalid_argument', message: 'only a confirmed change can be reverted' });
    }
    const sku = entry.label.replace('Price of ', '');
    if (this.prices[sku] !== entry.new.value.price_minor && !force) {
      throw new BackendError({
        code: 'conflict',
        message: `changed in the store since: ${entry.label} (entry ${entry.id}) is now price ${this.prices[sku] / 100} GBP. Revert anyway to overwrite it.`,
      });
    }
    this.prices[sku] = entry.prior.value.price_minor;
    entry.status = 'reverted';
    return [this.record(entry.target, entry.label, entry.new, entry.prior, 'revert', `revert of entry ${entry.id}`, entry.id)];
  }
  async pickFile() {
    this.check('pickFile');
    return '/tmp/orders.csv';
  }
  async painted() {
    this.check('painted');
  }
}

// An in-memory backend for unit tests and for working on the UI without the
// shell. It holds a small shop whose figures the tests check by hand.
import type { AppStatus } from './bindings/AppStatus';
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

export class MockBackend implements Backend {
  shop: Shop | null;
  calls: string[] = [];
  failNextWith: BackendError | null = null;

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
  }
  async dashboard(request: DashboardRequest) {
    this.check('dashboard');
    if (!this.shop) throw new BackendError({ code: 'no_shop', message: 'no shop is set up yet' });
    return sampleDashboard(request, this.shop);
  }
  async pickFile() {
    this.check('pickFile');
    return '/tmp/orders.csv';
  }
  async painted() {
    this.check('painted');
  }
}

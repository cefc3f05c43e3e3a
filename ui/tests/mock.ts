// An in-memory backend for unit tests and for working on the UI without the
// shell. It holds a small shop whose figures the tests check by hand.
import type { Estimate } from '../src/lib/bindings/Estimate';
import type { Progress } from '../src/lib/bindings/Progress';
import type { Background } from '../src/lib/bindings/Background';
import type { Notice } from '../src/lib/bindings/Notice';
import type { WatchEvent } from '../src/lib/bindings/WatchEvent';
import type { AppStatus } from '../src/lib/bindings/AppStatus';
import type { ConnectionInfo } from '../src/lib/bindings/ConnectionInfo';
import type { ConnectRequest } from '../src/lib/bindings/ConnectRequest';
import type { Entry } from '../src/lib/bindings/Entry';
import type { PushRequest } from '../src/lib/bindings/PushRequest';
import type { RevertScope } from '../src/lib/bindings/RevertScope';
import type { SyncProgress } from '../src/lib/bindings/SyncProgress';
import type { SyncRun } from '../src/lib/bindings/SyncRun';
import type { Value } from '../src/lib/bindings/Value';
import type { Dashboard } from '../src/lib/bindings/Dashboard';
import type { Settled } from '../src/lib/bindings/Settled';
import type { DashboardRequest } from '../src/lib/bindings/DashboardRequest';
import type { ImportReport } from '../src/lib/bindings/ImportReport';
import type { Shop } from '../src/lib/bindings/Shop';
import type { Signal } from '../src/lib/bindings/Signal';
import type { RuleSet } from '../src/lib/bindings/RuleSet';
import type { SavedRules } from '../src/lib/bindings/SavedRules';
import type { Proposal } from '../src/lib/bindings/Proposal';
import type { CompareRequest } from '../src/lib/bindings/CompareRequest';
import type { Compared } from '../src/lib/bindings/Compared';
import type { Quantiles } from '../src/lib/bindings/Quantiles';
import type { Sale } from '../src/lib/bindings/Sale';
import type { SaleFile } from '../src/lib/bindings/SaleFile';
import type { MarginFloor } from '../src/lib/bindings/MarginFloor';
import type { SaleCheck } from '../src/lib/bindings/SaleCheck';
import type { Problem } from '../src/lib/bindings/Problem';
import type { TierSet } from '../src/lib/bindings/TierSet';
import type { TierFile } from '../src/lib/bindings/TierFile';
import type { TiersRequest } from '../src/lib/bindings/TiersRequest';
import type { ItemStatus } from '../src/lib/bindings/ItemStatus';
import type { Programme } from '../src/lib/bindings/Programme';
import type { StoredProgramme } from '../src/lib/bindings/StoredProgramme';
import type { Member } from '../src/lib/bindings/Member';
import type { BenefitPushed } from '../src/lib/bindings/BenefitPushed';
import type { SubscriptionSetup } from '../src/lib/bindings/SubscriptionSetup';
import type { PlannedBox } from '../src/lib/bindings/PlannedBox';
import type { ContractsSynced } from '../src/lib/bindings/ContractsSynced';
import type { RenewRun } from '../src/lib/bindings/RenewRun';
import type { Renewed } from '../src/lib/bindings/Renewed';
import type { Curation } from '../src/lib/bindings/Curation';
import type { ForecastLine } from '../src/lib/bindings/ForecastLine';
import type { MemberLedger } from '../src/lib/bindings/MemberLedger';
import type { MembersPage } from '../src/lib/bindings/MembersPage';
import type { MembersQuery } from '../src/lib/bindings/MembersQuery';
import type { ActionKind } from '../src/lib/bindings/ActionKind';
import type { Simulation } from '../src/lib/bindings/Simulation';
import type { RecommendItem } from '../src/lib/bindings/RecommendItem';
import type { RecommendList } from '../src/lib/bindings/RecommendList';
import type { RecommendOverride } from '../src/lib/bindings/RecommendOverride';
import type { RecommendProductList } from '../src/lib/bindings/RecommendProductList';
import type { RecommendBuild } from '../src/lib/bindings/RecommendBuild';
import type { Bundle } from '../src/lib/bindings/Bundle';
import type { BundleCheck } from '../src/lib/bindings/BundleCheck';
import type { BundleFile } from '../src/lib/bindings/BundleFile';
import type { BundleSuggestion } from '../src/lib/bindings/BundleSuggestion';
import type { Subscription } from '../src/lib/bindings/Subscription';
import { type Backend, BackendError } from '../src/lib/transport';

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
    catalog: { variants: 3, missing_cost: 1, orders: 6 },
  };
}

/** The mock storefront's token; any other is refused. */
export const MOCK_TOKEN = 'shpat_mock_token';

export class MockBackend implements Backend {
  shop: Shop | null;
  calls: string[] = [];
  failNextWith: BackendError | null = null;
  /** Errors to throw from one named call, once each. */
  failOn = new Map<string, BackendError>();
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
      money_format: this.shop ? (this.shop.currency === 'GBP' ? '£{{amount}}' : `${this.shop.currency} {{amount}}`) : null,
    };
  }

  private check(call: string) {
    this.calls.push(call);
    const planned = this.failOn.get(call);
    if (planned) {
      this.failOn.delete(call);
      throw planned;
    }
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
  /** The last dashboard asked for. */
  lastDashboard: DashboardRequest | null = null;
  async dashboard(request: DashboardRequest) {
    this.check('dashboard');
    if (!this.shop) throw new BackendError({ code: 'no_shop', message: 'no shop is set up yet' });
    this.lastDashboard = structuredClone(request);
    return sampleDashboard(request, this.shop);
  }
  async storefront() {
    this.check('storefront');
    return { connection: this.connection, last_sync: this.lastSync, pending: 0 };
  }
  private shopInfo(request: ConnectRequest) {
    if (!request.secret.trim()) throw new BackendError({ code: 'invalid_input', message: 'paste the Admin API access token' });
    if (request.secret.trim() !== MOCK_TOKEN) {
      throw new BackendError({ code: 'auth', message: 'the store refused the credentials (HTTP 401)' });
    }
    return { name: 'Mock Gift Shop', currency: 'GBP', time_zone: 'Europe/London', money_format: '£{{amount}}' };
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
    const run = (status: SyncRun['status'], message: string | null): SyncRun => ({
      id, started_at: '2024-01-01T10:00:00Z', finished_at: '2024-01-01T10:01:00Z', full, status, message, products: 3, customers: 2, orders: 5, discounts: 1,
    });
    onProgress({ stage: 'Pulling all products', entity: 'products', done: 3, total: 3, written: 3 });
    if (this.syncGate) await this.syncGate;
    if (this.cancelled) {
      this.lastSync = run('cancelled', 'cancelled');
      throw new BackendError({ code: 'cancelled', message: 'cancelled' });
    }
    onProgress({ stage: 'Pulling all customers', entity: 'customers', done: 2, total: 2, written: 5 });
    onProgress({ stage: 'Pulling all orders', entity: 'orders', done: 5, total: 5, written: 10 });
    onProgress({ stage: 'Pulling discounts', entity: 'discounts', done: 1, total: 0, written: 11 });
    this.lastSync = run('completed', null);
    return { report: { run: id, full, products: 3, customers: 2, orders: 5, discounts: 1, seconds: 1.5 }, settled: [], loyalty: null };
  }
  /** Minutes between background syncs, as the shop keeps them. */
  syncEvery = 15;
  notices: Notice[] = [];
  private listeners: ((e: WatchEvent) => void)[] = [];
  private backgroundNow(): Background {
    const connected = !!this.connection && !this.shop?.demo;
    return {
      sync_every_minutes: this.shop?.demo ? 0 : this.syncEvery,
      connected,
      syncing: false,
      last_sync: this.lastSync,
      next_sync_at: connected && this.syncEvery > 0 ? '2024-01-01T10:15:00Z' : null,
      unread: this.notices.filter((n) => !n.read).length,
    };
  }
  async background() {
    this.check('background');
    return this.backgroundNow();
  }
  async setSyncEvery(minutes: number) {
    this.check('setSyncEvery');
    if (minutes > 1440) throw new BackendError({ code: 'invalid_input', message: 'Sync every: at most 1440 minutes (a day); 0 turns background sync off' });
    this.syncEvery = minutes;
    return this.backgroundNow();
  }
  async notifications(limit: number) {
    this.check('notifications');
    return [...this.notices].reverse().slice(0, limit);
  }
  async markNotificationsRead() {
    this.check('markNotificationsRead');
    this.notices = this.notices.map((n) => ({ ...n, read: true }));
    return this.backgroundNow();
  }
  onDeskEvent(listener: (e: WatchEvent) => void) {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
  /** Acts as the background loop: keeps the notices and tells the listeners. */
  emit(event: WatchEvent) {
    if (event.kind === 'round') this.notices.push(...event.round.notices);
    for (const l of this.listeners) l(event);
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
      owner: null,
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
    if (c.kind !== 'price') throw new BackendError({ code: 'invalid_input', message: 'the mock store takes prices only' });
    if (!(c.sku in this.prices)) throw new BackendError({ code: 'invalid_input', message: `no product with SKU ${c.sku} in this shop` });
    const minor = Math.round(Number(c.price) * 100);
    if (!Number.isFinite(minor)) throw new BackendError({ code: 'invalid_input', message: `"${c.price}" is not an amount` });
    const prior = this.prices[c.sku];
    if (!request.confirmed && (minor === 0 || minor > prior * 10 || minor * 10 < prior)) {
      throw new BackendError({ code: 'confirmation_required', message: `£${(minor / 100).toFixed(2)} is more than ten times the current price £${(prior / 100).toFixed(2)} for ${c.sku}: confirm to send it` });
    }
    this.prices[c.sku] = minor;
    const target = { kind: 'variant_price' as const, product: `P-${c.sku}`, variant: `V-${c.sku}` };
    return [this.record(target, `Price of ${c.sku}`, MockBackend.price(prior), MockBackend.price(minor), 'manual', request.reason || 'set by hand', null)];
  }
  async revertChange(scope: RevertScope, force: boolean, pushAgain: boolean) {
    this.check('revertChange');
    const entry = this.entries.find((e) => e.id === scope.id);
    if (entry?.revert_of !== null && entry?.revert_of !== undefined && !pushAgain) {
      throw new BackendError({ code: 'invalid_input', message: `journal entry ${entry.id} undid entry ${entry.revert_of}; choose “Push again”` });
    }
    if (!entry || entry.status !== 'confirmed' || entry.new.kind !== 'price' || entry.prior.kind !== 'price') {
      throw new BackendError({ code: 'invalid_input', message: 'only a confirmed change can be reverted' });
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
  // Pricing: two products with a known demand curve, units a day =
  // LAMBDA × (p / p0)^ELASTICITY, so tests can check the figures by hand.
  static readonly LAMBDA: Record<string, number> = { '85123A': 2, '22423': 1 };
  static readonly ELASTICITY = -2;
  static readonly COST: Record<string, number> = { '85123A': 100, '22423': 600 };
  readonly referencePrices: Record<string, number> = { '85123A': 295, '22423': 1275 };
  saved: SavedRules[] = [];
  proposalsMade: Proposal[] = [];
  static readonly starter: RuleSet = {
    name: 'Stock and competitors',
    mode: 'rules',
    horizon_days: 30,
    guardrails: { min_margin_percent: 20, min_price: null, max_price: null, max_change_percent: 10, min_change_percent: 2, charm: 'none' },
    rule: [{ kind: 'low_stock', max_days_of_cover: 21, min_velocity: 0.5, change_percent: 5, category: null }],
  };

  async pricingSignals(): Promise<Signal[]> {
    this.check('pricingSignals');
    return Object.keys(this.prices).map((sku, i) => ({
      variant_id: i + 1, sku, title: sku === '85123A' ? 'WHITE HANGING HEART T-LIGHT HOLDER' : 'REGENCY CAKESTAND 3 TIER',
      category: sku === '85123A' ? 'Lighting' : 'Kitchen & Dining', price_minor: this.prices[sku], compare_at_minor: null,
      cost_minor: MockBackend.COST[sku], margin_bp: Math.trunc(((this.prices[sku] - MockBackend.COST[sku]) * 10000) / this.prices[sku]),
      stock: sku === '85123A' ? 20 : 500, velocity: [MockBackend.LAMBDA[sku], MockBackend.LAMBDA[sku], MockBackend.LAMBDA[sku]],
      days_of_cover: (sku === '85123A' ? 20 : 500) / MockBackend.LAMBDA[sku], trend: null, last_price_change: null,
      competitor_min_minor: sku === '22423' ? 1199 : null, competitor: sku === '22423' ? 'rival.example' : null, competitors: sku === '22423' ? 1 : 0,
      views: null, add_to_carts: null,
    }));
  }
  async pricingElasticities(): Promise<Estimate[]> {
    this.check('pricingElasticities');
    // 22423's price never moved: it takes its category's prior.
    return Object.keys(this.prices).map((sku, i) => {
      const own = sku !== '22423';
      return {
        variant_id: i + 1, sku, title: sku, category: null, elasticity: MockBackend.ELASTICITY, std_error: own ? 0.3 : 0.9,
        observations: own ? 52 : 0, own: own ? MockBackend.ELASTICITY : null, own_std_error: own ? 0.35 : null,
        prior: -1.5, prior_weight: own ? 0.2 : 1, prior_dominated: !own, promo_weeks: 0, promo_lift: 1,
      };
    });
  }
  async ruleSets() {
    this.check('ruleSets');
    return { saved: this.saved, starter: MockBackend.starter };
  }
  async saveRules(rules: RuleSet) {
    this.check('saveRules');
    const found = this.saved.find((s) => s.rules.name === rules.name);
    const saved = { id: found?.id ?? this.saved.length + 1, rules, updated_at: '2024-01-01T09:00:00Z' };
    this.saved = [...this.saved.filter((s) => s.id !== saved.id), saved];
    return saved;
  }
  async deleteRules(id: number) {
    this.check('deleteRules');
    this.saved = this.saved.filter((s) => s.id !== id);
    return this.ruleSets();
  }
  /** The mock's one rule: low stock raises 85123A by the rule's percentage. */
  async suggestPrices(rules: RuleSet) {
    this.check('suggestPrices');
    const rule = rules.rule.find((r) => r.kind === 'low_stock');
    const now = this.prices['85123A'];
    const proposal: Proposal = {
      id: this.proposalsMade.length + 1, created_at: '2024-01-01T10:00:00Z', name: rules.name, mode: rules.mode, status: 'open',
      batch: null, applied_at: null, held: [], items: [],
    };
    if (rule && rule.kind === 'low_stock') {
      proposal.items.push({
        variant_id: 1, sku: '85123A', title: 'WHITE HANGING HEART T-LIGHT HOLDER', current_minor: now,
        proposed_minor: Math.round(now * (1 + rule.change_percent / 100)), floor_minor: 120, ceiling_minor: null, status: 'proposed',
        reasons: [
          { source: 'signal', text: '20 in stock: 10 days of cover at 2.00 sold a day' },
          { source: 'rule', text: `rule 1 (low stock): +${rule.change_percent} %` },
        ],
        journal_id: null, error: null,
      });
    }
    this.proposalsMade.push(proposal);
    return structuredClone(proposal);
  }
  async proposals() {
    this.check('proposals');
    return [...this.proposalsMade].reverse().map((p) => ({ id: p.id, created_at: p.created_at, name: p.name, mode: p.mode, status: p.status, items: p.items.length, batch: p.batch }));
  }
  private findProposal(id: number): Proposal {
    const p = this.proposalsMade.find((x) => x.id === id);
    if (!p) throw new BackendError({ code: 'not_found', message: `there is no proposal ${id}` });
    return p;
  }
  async proposal(id: number) {
    this.check('proposal');
    return structuredClone(this.findProposal(id));
  }
  async editProposal(id: number, variantId: number, price: string, confirmed: boolean) {
    this.check('editProposal');
    const item = this.findProposal(id).items.find((i) => i.variant_id === variantId)!;
    const minor = Math.round(Number(price) * 100);
    if (!Number.isFinite(minor) || minor <= 0) throw new BackendError({ code: 'invalid_input', message: `"${price}" is not an amount` });
    if (item.floor_minor !== null && minor < item.floor_minor) {
      throw new BackendError({ code: 'invalid_input', message: `${price} is below this item's floor 1.20` });
    }
    if (!confirmed && Math.abs(minor - item.current_minor) > item.current_minor * 0.1) {
      throw new BackendError({ code: 'confirmation_required', message: `${price} is a change beyond the rule set's step of 10 % for ${item.sku}: confirm to go further` });
    }
    item.proposed_minor = minor;
    item.status = 'approved';
    item.reasons.push({ source: 'owner', text: `set by the owner to ${price}` });
    return structuredClone(this.findProposal(id));
  }
  async reviewProposal(id: number, variantIds: number[], status: ItemStatus) {
    this.check('reviewProposal');
    for (const i of this.findProposal(id).items) if (variantIds.length === 0 || variantIds.includes(i.variant_id)) i.status = status;
    return structuredClone(this.findProposal(id));
  }
  async discardProposal(id: number) {
    this.check('discardProposal');
    this.findProposal(id).status = 'discarded';
    return structuredClone(this.findProposal(id));
  }
  async applyProposal(id: number) {
    this.check('applyProposal');
    const p = this.findProposal(id);
    const chosen = p.items.filter((i) => i.status === 'approved');
    if (!chosen.length) throw new BackendError({ code: 'invalid_input', message: `approve at least one price of proposal ${id} first` });
    const batch = this.entries.length + 1;
    for (const i of chosen) {
      const prior = this.prices[i.sku];
      this.prices[i.sku] = i.proposed_minor;
      const e = this.record({ kind: 'variant_price', product: `P-${i.sku}`, variant: `V-${i.sku}` }, `Price of ${i.sku}`, MockBackend.price(prior), MockBackend.price(i.proposed_minor), 'pricing', `proposal ${id}: ${p.name}`, null);
      e.batch = batch;
      i.status = 'applied';
      i.journal_id = e.id;
    }
    p.status = 'applied';
    p.batch = batch;
    return structuredClone(p);
  }
  async compareScenarios(request: CompareRequest, onProgress: (p: Progress) => void = () => {}): Promise<Compared[]> {
    this.check('compareScenarios');
    onProgress({ stage: `Simulating 1 of ${request.scenarios.length}`, done: 0, total: request.scenarios.length, rows: 0 });
    if (request.scenarios.length < 1 || request.scenarios.length > 4) throw new BackendError({ code: 'invalid_input', message: 'compare one to four scenarios' });
    const skus = Object.keys(this.prices);
    const q = (v: number): Quantiles => ({ mean: v, p10: v * 0.9, p50: v, p90: v * 1.1 });
    const money = (m: number) => (Math.round(m) / 100).toFixed(2);
    const mq = (m: number) => ({ mean: money(m), p10: money(m * 0.9), p50: money(m), p90: money(m * 1.1) });
    const outcome = (prices: Record<string, number>) => {
      const per = skus.map((sku) => {
        const units = MockBackend.LAMBDA[sku] * (prices[sku] / this.prices[sku]) ** MockBackend.ELASTICITY;
        return { sku, units, revenue: units * prices[sku], profit: units * (prices[sku] - MockBackend.COST[sku]) };
      });
      const sum = (k: 'units' | 'revenue' | 'profit') => per.reduce((a, x) => a + x[k], 0);
      return { per, units: sum('units'), revenue: sum('revenue'), profit: sum('profit') };
    };
    const base = outcome(this.prices);
    return request.scenarios.map((s) => {
      const prices = { ...this.prices };
      if (s.source.kind === 'proposal') {
        for (const i of this.findProposal(s.source.id).items) if (i.status !== 'rejected') prices[i.sku] = i.proposed_minor;
      } else if (s.source.kind === 'changes') {
        for (const c of s.source.scenario.change) {
          for (const sku of skus) {
            if (c.sku !== null && c.sku !== sku) continue;
            if (c.sku === null && !c.all && c.category !== (sku === '85123A' ? 'Lighting' : 'Kitchen & Dining')) continue;
            prices[sku] = c.price !== null ? Math.round(Number(c.price) * 100) : Math.round(prices[sku] * (1 + Number(c.percent) / 100));
          }
        }
      }
      const o = outcome(prices);
      const d = request.days;
      const totals = (x: typeof o) => ({ units: q(x.units * d), revenue: mq(x.revenue * d), profit: mq(x.profit * d) });
      return {
        report: {
          name: s.name, days: d, paths: request.paths, seed: request.seed, total: totals(o), baseline: totals(base),
          items: o.per.filter((x) => prices[x.sku] !== this.prices[x.sku]).map((x) => {
            const b = base.per.find((y) => y.sku === x.sku)!;
            return {
              sku: x.sku, title: x.sku, current_price: money(this.prices[x.sku]), price: money(prices[x.sku]), elasticity: MockBackend.ELASTICITY, elasticity_se: 0.3,
              units: q(x.units * d), revenue: mq(x.revenue * d), profit: mq(x.profit * d), stockout_probability: 0,
              baseline_units: q(b.units * d), baseline_profit: mq(b.profit * d),
            };
          }),
        },
        by_day: Array.from({ length: d }, (_, k) => ({ day: k + 1, units: q(o.units * (k + 1)), revenue: q(o.revenue * (k + 1)), profit: q(o.profit * (k + 1)) })),
      };
    });
  }
  // Promotions: sales on the two products; the floor is cost × (1 + m).
  floor: MarginFloor = { shop_bp: 2000, categories: {} };
  sales: Sale[] = [];
  /** The mock's clock for sales, UTC. */
  clock = '2024-01-01T12:00:00Z';
  private saleItems(file: SaleFile) {
    return Object.keys(this.prices)
      .filter((sku) => file.targets.all || file.targets.skus.includes(sku) || file.targets.products.includes(sku) || (file.targets.category === (sku === '85123A' ? 'Lighting' : 'Kitchen & Dining')))
      .map((sku, i) => {
        const price = this.prices[sku];
        const d = file.discount;
        const sale = d.percent !== null ? Math.round(price * (1 - d.percent / 100)) : d.amount_off !== null ? price - Math.round(Number(d.amount_off) * 100) : Math.round(Number(d.sale_price) * 100);
        const cost = MockBackend.COST[sku];
        const floor = Math.ceil((cost * (10000 + this.floor.shop_bp)) / 10000);
        return { variant_id: i + 1, sku, title: sku, category: null, price_minor: price, compare_at_minor: null, cost_minor: cost, stock: 20, sale_minor: sale, floor_minor: floor, worst_case_minor: sale };
      });
  }
  /** What the next overview reports as settled (then cleared). */
  pendingSettled: Settled[] = [];
  async salesOverview() {
    this.check('salesOverview');
    const settled = this.pendingSettled;
    this.pendingSettled = [];
    return { sales: structuredClone(this.sales), floor: structuredClone(this.floor), settled, now: this.clock };
  }
  async saveFloor(floor: MarginFloor) {
    this.check('saveFloor');
    this.floor = structuredClone(floor);
    return structuredClone(this.floor);
  }
  async checkSale(file: SaleFile): Promise<SaleCheck> {
    this.check('checkSale');
    const items = this.saleItems(file);
    const problems: Problem[] = items
      .filter((i) => i.sale_minor < i.floor_minor)
      .map((i) => ({ code: 'below_floor', message: `${i.sku}: the sale price ${(i.sale_minor / 100).toFixed(2)} is below the margin floor ${(i.floor_minor / 100).toFixed(2)}`, sku: i.sku, severity: 'error', overridable: true }));
    return {
      report: { ok: problems.length === 0, problems, items, starts_at: `${file.starts_at}:00Z`, ends_at: `${file.ends_at}:00Z` },
      projection: { days: 1, hours: (Date.parse(`${file.ends_at}:00Z`) - Date.parse(`${file.starts_at}:00Z`)) / 3_600_000, demand_days: 0.8, units_without: 3, units_with: 4, revenue_without: 3000, revenue_with: 3200, profit_without: 1500, profit_with: 1400, break_even_uplift: 0.5, expected_uplift: 0.33, uplift_low: 0.2, uplift_high: 0.48, stockouts: 0, max_stockout_probability: 0 },
      projection_error: null,
    };
  }
  async createSale(file: SaleFile) {
    this.check('createSale');
    const sale: Sale = {
      id: this.sales.length + 1, file: structuredClone(file), starts_at: `${file.starts_at}:00Z`, ends_at: `${file.ends_at}:00Z`, status: 'draft',
      override_reason: null, launch_batch: null, end_batch: null, created_at: this.clock, launched_at: null, ended_at: null, early_access: [],
    };
    this.sales.push(sale);
    return structuredClone(sale);
  }
  async updateSale(id: number, file: SaleFile) {
    this.check('updateSale');
    const s = this.findSale(id);
    if (s.status !== 'draft') throw new BackendError({ code: 'invalid_input', message: `sale ${id} "${s.file.name}" is ${s.status}: only a draft can be edited` });
    s.file = structuredClone(file);
    s.starts_at = `${file.starts_at}:00Z`;
    s.ends_at = `${file.ends_at}:00Z`;
    return structuredClone(s);
  }
  async deleteSale(id: number) {
    this.check('deleteSale');
    const s = this.findSale(id);
    if (s.status !== 'draft') throw new BackendError({ code: 'invalid_input', message: `sale ${id} "${s.file.name}" is ${s.status}: only a draft can be deleted` });
    this.sales = this.sales.filter((x) => x.id !== id);
    return this.salesOverview();
  }
  async updateTiers(id: number, file: TierFile) {
    this.check('updateTiers');
    const t = this.tiers.find((x: TierSet) => x.id === id);
    if (!t || t.status !== 'draft') throw new BackendError({ code: 'invalid_input', message: `only a draft can be edited` });
    t.file = structuredClone(file);
    return structuredClone(t);
  }
  async deleteTiers(id: number) {
    this.check('deleteTiers');
    const t = this.tiers.find((x: TierSet) => x.id === id);
    if (!t || t.status !== 'draft') throw new BackendError({ code: 'invalid_input', message: `only a draft can be deleted` });
    this.tiers = this.tiers.filter((x: TierSet) => x.id !== id);
    return structuredClone(this.tiers).reverse();
  }
  private findSale(id: number): Sale {
    const s = this.sales.find((x) => x.id === id);
    if (!s) throw new BackendError({ code: 'not_found', message: `there is no sale ${id}` });
    return s;
  }
  async launchSale(id: number, overrideReason: string | null) {
    this.check('launchSale');
    const s = this.findSale(id);
    const check = await this.checkSale(s.file);
    if (!check.report.ok && !overrideReason?.trim()) {
      throw new BackendError({ code: 'floor_override_required', message: `sale ${id} was not launched: ${check.report.problems.map((p) => p.message).join('; ')} (to go below the margin floor anyway, give the reason)` });
    }
    s.override_reason = overrideReason?.trim() || null;
    s.status = s.starts_at > this.clock ? 'scheduled' : 'live';
    s.launch_batch = this.entries.length + 1;
    s.launched_at = this.clock;
    return structuredClone(s);
  }
  async endSale(id: number) {
    this.check('endSale');
    const s = this.findSale(id);
    s.status = 'reverted';
    s.ended_at = this.clock;
    return structuredClone(s);
  }
  async saleReport(id: number) {
    this.check('saleReport');
    const sale = structuredClone(this.findSale(id));
    const t = { units: 9, revenue: 2880, profit: 1080 };
    return { sale, from: sale.starts_at, to: sale.ends_at, actual: t, same_weekdays: { units: 3, revenue: 1200, profit: 600 }, model: { units: 4, revenue: 1600, profit: 800 }, incremental_vs_weekdays: 480, incremental_vs_model: 280, stock_left: 40 };
  }
  async saleSnippet(id: number) {
    this.check('saleSnippet');
    return `<div id="md-countdown-${id}">…</div><script>/* ends ${this.findSale(id).ends_at} */</script>`;
  }
  tiers: TierSet[] = [];
  async tierSets() {
    this.check('tierSets');
    return structuredClone(this.tiers).reverse();
  }
  /** Volume tiers on the mock's two products, at the mock's prices. */
  async checkTiers(request: TiersRequest) {
    this.check('checkTiers');
    const f = request.file;
    const best = (amount: number) =>
      Math.max(0, ...f.tier.filter((t) => (f.kind === 'volume' ? (t.min_quantity ?? 0) : Math.round(Number(t.min_subtotal) * 100)) <= amount).map((t) => t.percent));
    const deepest = Math.max(...f.tier.map((t) => t.percent));
    const problems: Problem[] = Object.keys(this.prices)
      .filter((sku) => Math.round(this.prices[sku] * (1 - deepest / 100)) < Math.ceil(MockBackend.COST[sku] * (1 + this.floor.shop_bp / 10000)))
      .map((sku) => ({ code: 'below_floor', message: `${sku}: the deepest tier goes below the margin floor`, sku, severity: 'error', overridable: true }));
    const subtotal = request.cart.reduce((a, [sku, q]) => a + this.prices[sku] * q, 0);
    const lines = request.cart.map(([sku, q]) => {
      const total = this.prices[sku] * q;
      const pct = f.kind === 'volume' ? best(q) : best(subtotal);
      const off = Math.round((total * pct) / 100);
      return { sku, title: sku, quantity: q, unit_minor: this.prices[sku], tier_bp: pct * 100, discount_minor: off, net_minor: total - off, margin_minor: total - off - MockBackend.COST[sku] * q, keeps_floor: true };
    });
    const off = lines.reduce((a, l) => a + l.discount_minor, 0);
    return {
      ok: problems.length === 0,
      problems,
      preview: request.cart.length ? { lines, subtotal_minor: subtotal, discount_minor: off, total_minor: subtotal - off, margin_minor: lines.reduce((a, l) => a + l.margin_minor, 0) } : null,
      lookback: request.lookback_days ? { days: request.lookback_days, from: '2023-10-03T00:00:00Z', to: '2024-01-01T00:00:00Z', orders: 10, qualifying_orders: 4, discount_cost_minor: 1250, sales_minor: 50000, profit_minor: 25000, uplift_to_pay: 0.05 } : null,
    };
  }
  async createTiers(file: TierFile) {
    this.check('createTiers');
    const t: TierSet = { id: this.tiers.length + 1, file: structuredClone(file), status: 'draft', override_reason: null, launch_batch: null, created_at: this.clock, launched_at: null, ended_at: null };
    this.tiers.push(t);
    return structuredClone(t);
  }
  async launchTiers(id: number) {
    this.check('launchTiers');
    const t = this.tiers.find((x) => x.id === id)!;
    t.status = 'live';
    return structuredClone(t);
  }
  async endTiers(id: number) {
    this.check('endTiers');
    const t = this.tiers.find((x) => x.id === id)!;
    t.status = 'ended';
    return structuredClone(t);
  }
  programmes: StoredProgramme[] = [];
  /** Two members: alice earned 900 points, bob 120 (one point per pound). */
  loyaltyBook: Member[] = [
    { customer: 'alice', email: 'alice@example.com', tier: 'Bronze', balance: 900, pending: 0, earned: 900, awarded: 0, redeemed: 0, expired: 0, taken_back: 0, unrecovered: 0, badges: [] },
    { customer: 'bob', email: null, tier: 'Bronze', balance: 120, pending: 0, earned: 120, awarded: 0, redeemed: 0, expired: 0, taken_back: 0, unrecovered: 0, badges: [] },
  ];
  codes: string[] = [];
  async loyaltyProgrammes() {
    this.check('loyaltyProgrammes');
    return structuredClone(this.programmes).reverse();
  }
  /** A reward of more than £5 off breaks the mock's floor. */
  async checkLoyaltyProgramme(programme: Programme) {
    this.check('checkLoyaltyProgramme');
    if (!programme.name.trim()) return { error: 'name: give the programme a name', rewards: [] };
    if (!/^\d{4}-\d{2}-\d{2}$/.test(programme.starts_on)) return { error: `starts_on: ${JSON.stringify(programme.starts_on)} is not a date (use 2011-01-01)`, rewards: [] };
    return {
      error: null,
      rewards: programme.reward.map((r) => {
        const big = 'amount' in r.discount && Number(r.discount.amount) > 5;
        return { reward: r.name, items: [], below: big ? 1 : 0, already_below: 0, no_cost: 0, message: big ? `${r.name}: 1 item would sell below the margin floor` : null };
      }),
    };
  }
  async simulateLoyalty(programmes: Programme[], months: number, redemptionRate: number): Promise<Simulation[]> {
    this.check('simulateLoyalty');
    return programmes.map((p) => ({
      name: p.name, from: '2011-01-01', to: '2011-12-09', currency: 'GBP', tiers: p.tier.map((t) => t.name), members: 2, earning_orders: 3,
      earned: 1020, awarded: 0, taken_back: 0, unrecovered: 0, expired: 0, outstanding: 1020,
      liability: [{ reward: '£5 off', per_point_minor: 1, value_minor: 1020 }], redemption_rate: redemptionRate,
      redemption_cost_minor: Math.round(1020 * redemptionRate), revenue_minor: 102000, cost_share: (1020 * redemptionRate) / 102000,
      monthly: Array.from({ length: months }, (_, i) => ({ day: `2011-${String(i + 1).padStart(2, '0')}-28`, issued: 85 * (i + 1), outstanding: 85 * (i + 1), members_by_tier: p.tier.map((_, t) => (t === 0 ? 2 : 0)) })),
    }));
  }
  async createLoyalty(programme: Programme) {
    this.check('createLoyalty');
    const s: StoredProgramme = { id: this.programmes.length + 1, status: 'draft', created_at: this.clock, launched_at: null, ended_at: null, floor_override: null, programme: structuredClone(programme) };
    this.programmes.push(s);
    return structuredClone(s);
  }
  async launchLoyalty(id: number, overrideReason: string | null) {
    this.check('launchLoyalty');
    const s = this.programmes.find((p) => p.id === id)!;
    const bad = (await this.checkLoyaltyProgramme(s.programme)).rewards.find((r) => r.message);
    if (bad && !overrideReason?.trim()) throw new BackendError({ code: 'floor_override_required', message: `${bad.message}. Change the rewards, or give a reason to launch anyway` });
    for (const p of this.programmes) if (p.status === 'live') p.status = 'ended';
    s.status = 'live';
    s.launched_at = this.clock;
    s.floor_override = bad ? overrideReason : null;
    return structuredClone(s);
  }
  private liveProgramme(): StoredProgramme {
    const p = this.programmes.find((x) => x.status === 'live');
    if (!p) throw new BackendError({ code: 'invalid_input', message: 'no loyalty programme is live: create one and launch it' });
    return p;
  }
  async loyaltyMembers() {
    this.check('loyaltyMembers');
    return { programme: this.liveProgramme().programme.name, as_of: '2011-12-09', members: structuredClone(this.loyaltyBook) };
  }
  /** The core's paging, simply: search id and email, one tier, most points first. */
  async loyaltyMembersPage(query: MembersQuery): Promise<MembersPage> {
    this.check('loyaltyMembersPage');
    const live = this.liveProgramme().programme;
    const q = query.search.trim().toLowerCase();
    const matched = this.loyaltyBook
      .filter((m) => (!query.tier || m.tier === query.tier) && (!q || m.customer.includes(q) || (m.email ?? '').toLowerCase().includes(q)))
      .sort((a, b) => (query.sort === 'customer' ? 0 : b.balance - a.balance) || (a.customer < b.customer ? -1 : 1));
    return {
      programme: live.name, as_of: '2011-12-09', total: this.loyaltyBook.length,
      tiers: live.tier.map((t) => ({ name: t.name, members: this.loyaltyBook.filter((m) => m.tier === t.name).length })),
      matched: matched.length, offset: query.offset, members: structuredClone(matched.slice(query.offset, query.offset + (query.limit || 200))),
    };
  }
  async loyaltyMember(customer: string): Promise<MemberLedger> {
    this.check('loyaltyMember');
    const m = this.loyaltyBook.find((x) => x.customer === customer);
    if (!m) throw new BackendError({ code: 'invalid_input', message: `no customer "${customer}" in the shop` });
    return { member: structuredClone(m), lines: [{ what: 'order 536365', customer: 1, at: '2011-12-01T09:00:00Z', kind: 'earn', points: m.earned, source: { kind: 'order', id: 1 } }] };
  }
  async awardLoyalty(customer: string, kind: ActionKind) {
    this.check('awardLoyalty');
    const a = this.liveProgramme().programme.action.find((x) => x.kind === kind);
    const m = this.loyaltyBook.find((x) => x.customer === customer)!;
    m.awarded += a?.points ?? 0;
    m.balance += a?.points ?? 0;
    return this.loyaltyMember(customer);
  }
  async redeemLoyalty(customer: string, reward: string) {
    this.check('redeemLoyalty');
    const r = this.liveProgramme().programme.reward.find((x) => x.name === reward)!;
    const m = this.loyaltyBook.find((x) => x.customer === customer)!;
    if (m.balance < r.points) throw new BackendError({ code: 'invalid_input', message: `${customer} has ${m.balance} points to spend; ${reward} needs ${r.points}` });
    m.balance -= r.points;
    m.redeemed += r.points;
    const code = `GC-AAAA${this.codes.length}`;
    this.codes.push(code);
    return { customer, reward, points: r.points, code, balance: m.balance, entry: { id: this.codes.length, batch: this.codes.length, storefront: 'local', playbook: 'loyalty', reason: 'redeemed', target: { kind: 'discount', id: null }, label: code, prior: { kind: 'discount', value: null }, new: { kind: 'discount', value: null }, status: 'confirmed', error: null, revert_of: null, created_at: this.clock, confirmed_at: this.clock, owner: null } } as Awaited<ReturnType<Backend['redeemLoyalty']>>;
  }
  async pushLoyalty() {
    this.check('pushLoyalty');
    return { programme: this.liveProgramme().programme.name, members: this.loyaltyBook.length, unchanged: 0, confirmed: 3 * this.loyaltyBook.length, failed: 0, errors: [], batch: 1 };
  }
  async loyaltySnippet() {
    this.check('loyaltySnippet');
    return '{% if customer %}{{ customer.metafields.loyalty.points.value }} points{% endif %}';
  }
  /** The hold-out's shape with the demo shop's figures. */
  async recommendEvaluate(last: number | null) {
    this.check('recommendEvaluate');
    return {
      orders: 21874, training: last ?? 17499, test_baskets: 3748, model_items: last ? 1727 : 3725, lambda: last ? 23 : 123, multiple: 1,
      methods: [
        { name: 'popularity', hr_at_10: 0.031, ndcg_at_10: 0.016 },
        { name: 'EASE on baskets', hr_at_10: last ? 0.191 : 0.311, ndcg_at_10: last ? 0.117 : 0.186 },
      ],
    };
  }
  recommendBuilt: RecommendBuild | null = null;
  recommendPins: { sku: string; list: RecommendList; other: string; choice: RecommendOverride }[] = [];
  /** Three lights and a mug: the lights go together, the mug sells alone. */
  recommendCatalog: Record<string, { title: string; price: number; cost: number | null; orders: number }> = {
    '85123A': { title: 'White hanging heart t-light holder', price: 295, cost: 140, orders: 2200 },
    '21733': { title: 'Red hanging heart t-light holder', price: 295, cost: 150, orders: 700 },
    '84029E': { title: 'Red woolly hottie white heart', price: 425, cost: 200, orders: 450 },
    '22633': { title: 'Hand warmer union jack', price: 210, cost: null, orders: 300 },
  };
  async recommendBuild() {
    this.check('recommendBuild');
    this.recommendBuilt = { built_at: this.clock, orders: 21874, model_items: 3725, products: 4, lambda: 123, multiple: 1, millis: 640 };
    return this.recommendBuilt;
  }
  async recommendOverview() {
    this.check('recommendOverview');
    return { build: this.recommendBuilt, evaluation: null, evaluated_at: null };
  }
  private recommendItem(sku: string, reason: string, basis: RecommendItem['basis'], score: number): RecommendItem {
    const c = this.recommendCatalog[sku];
    return { sku, title: c.title, score, reason, basis, price_minor: c.price, margin_minor: c.cost === null ? null : c.price - c.cost, orders: c.orders };
  }
  async recommendList(sku: string, list: RecommendList, limit: number | null): Promise<RecommendProductList> {
    this.check('recommendList');
    const c = this.recommendCatalog[sku];
    if (!c) throw new BackendError({ code: 'not_found', message: `no product with SKU ${sku}` });
    if (!this.recommendBuilt) throw new BackendError({ code: 'invalid_input', message: 'no recommendations yet: build them first' });
    const others = Object.keys(this.recommendCatalog).filter((s) => s !== sku);
    const mine = this.recommendPins.filter((p) => p.sku === sku && p.list === list);
    const excluded = new Set(mine.filter((p) => p.choice === 'exclude').map((p) => p.other));
    const pinned = mine.filter((p) => p.choice === 'pin').map((p) => p.other);
    const ranked = others.filter((o) => !excluded.has(o) && !pinned.includes(o));
    const items = [
      ...pinned.map((o) => this.recommendItem(o, 'pinned by you', 'pinned', 1)),
      ...ranked.map((o, i) => this.recommendItem(o, `bought together in ${40 - 10 * i} orders`, 'model', 0.5 - 0.1 * i)),
    ].slice(0, limit ?? 10);
    return { sku, title: c.title, list, items, excluded: [...excluded].map((o) => this.recommendItem(o, 'excluded by you', 'model', 0)) };
  }
  async recommendOverride(sku: string, list: RecommendList, other: string, choice: RecommendOverride) {
    this.check('recommendOverride');
    if (!this.recommendCatalog[other]) throw new BackendError({ code: 'not_found', message: `no product with SKU ${other}` });
    this.recommendPins = this.recommendPins.filter((p) => !(p.sku === sku && p.list === list && p.other === other));
    if (choice !== 'clear') this.recommendPins.push({ sku, list, other, choice });
    return this.recommendList(sku, list, null);
  }
  async recommendPush() {
    this.check('recommendPush');
    if (!this.recommendBuilt) throw new BackendError({ code: 'not_found', message: 'the recommendations are not built yet: build them first (recommend build)' });
    return { products: 4, unchanged: 0, confirmed: 8, failed: 0, errors: [], batch: 7 };
  }
  async recommendPicks(customer: string, limit: number | null) {
    this.check('recommendPicks');
    if (customer !== '17850') throw new BackendError({ code: 'not_found', message: `no customer ${customer}` });
    return { customer, orders: 34, items: [this.recommendItem('85123A', 'you bought it in 30 orders', 'model', 0.9), this.recommendItem('21733', 'bought together with what you buy', 'model', 0.4)].slice(0, limit ?? 10) };
  }
  // Bundles on the recommendations' catalog, under the shop floor (cost × 1.2).
  bundleList: Bundle[] = [];
  private bundleItem(sku: string) {
    const c = this.recommendCatalog[sku];
    return { sku, title: c.title, price_minor: c.price, cost_minor: c.cost, orders: c.orders };
  }
  async bundleSuggest(limit: number | null) {
    this.check('bundleSuggest');
    // The two hearts, 40 orders, the red one at 10 % off (the floor allows 41 %:
    // 1.50 × 1.2 = 1.80 ≤ 2.95 × 0.59); the warmer has no unit cost.
    const pair = (buy: string, get: string, orders: number, lift: number, bp: number, max: number | null): BundleSuggestion => {
      const [b, g] = [this.recommendCatalog[buy], this.recommendCatalog[get]];
      const off = g.price - Math.round(g.price * (1 - bp / 10000));
      const cost = b.cost === null || g.cost === null ? null : b.cost + g.cost;
      return {
        items: [this.bundleItem(buy), this.bundleItem(get)], get_sku: get, orders, support: orders / 21874, lift, percent_bp: bp, max_percent_bp: max,
        price_minor: b.price + g.price, bundle_price_minor: b.price + g.price - off, margin_minor: cost === null ? null : b.price + g.price - off - cost,
        full_margin_minor: cost === null ? null : b.price + g.price - cost,
        reason: `bought together in ${orders} orders, ${lift.toFixed(1)}× as often as chance${max === null ? '; no unit cost, so the margin floor cannot be checked' : ''}`,
      };
    };
    const pairs = [pair('85123A', '21733', 40, 3.2, 1000, 4100), pair('84029E', '22633', 12, 2.4, 1000, null)].slice(0, limit ?? 20);
    return { baskets: 21874, min_orders: 110, min_lift: 2, frequent_items: 4, frequent_pairs: 3, frequent_triples: 0, pairs, triples: [], no_room: 1, millis: 480 };
  }
  async bundles() {
    this.check('bundles');
    return structuredClone(this.bundleList);
  }
  async checkBundle(file: BundleFile): Promise<BundleCheck> {
    this.check('checkBundle');
    const g = this.recommendCatalog[file.get];
    const buys = file.buy.map((s) => this.recommendCatalog[s]);
    const after = Math.round(g.price * (1 - file.percent / 100));
    const floor = g.cost === null ? null : Math.ceil((g.cost * (10000 + this.floor.shop_bp)) / 10000);
    const price = buys.reduce((t, b) => t + b.price, g.price);
    const costs = [...buys, g].map((c) => c.cost);
    const cost = costs.includes(null) ? null : (costs as number[]).reduce((a, b) => a + b, 0);
    const problems: Problem[] = [];
    if (floor === null) problems.push({ code: 'no_cost', message: `${file.get}: no unit cost, so the margin floor cannot be checked`, sku: file.get, severity: 'error', overridable: true });
    else if (after < floor) problems.push({ code: 'below_floor', message: `${file.get}: the bundle takes £${(g.price / 100).toFixed(2)} to £${(after / 100).toFixed(2)}, below the margin floor £${(floor / 100).toFixed(2)}`, sku: file.get, severity: 'error', overridable: true });
    const bundle = price - (g.price - after);
    return {
      ok: problems.length === 0, problems, price_minor: price, bundle_price_minor: bundle, margin_minor: cost === null ? null : bundle - cost,
      get_price_minor: after, get_floor_minor: floor, get_worst_minor: after, max_percent_bp: floor === null ? null : Math.floor((1 - floor / g.price) * 100) * 100, stacking: [],
    };
  }
  async createBundle(file: BundleFile) {
    this.check('createBundle');
    for (const s of [...file.buy, file.get]) {
      if (!this.recommendCatalog[s]) throw new BackendError({ code: 'invalid_input', message: `no product with SKU ${s} is on sale in this shop` });
    }
    const b: Bundle = { id: this.bundleList.length + 1, file: structuredClone(file), status: 'draft', override_reason: null, launch_batch: null, created_at: this.clock, launched_at: null, ended_at: null };
    this.bundleList = [b, ...this.bundleList];
    return structuredClone(b);
  }
  async deleteBundle(id: number) {
    this.check('deleteBundle');
    this.bundleList = this.bundleList.filter((b) => b.id !== id);
    return structuredClone(this.bundleList);
  }
  async launchBundle(id: number, overrideReason: string | null) {
    this.check('launchBundle');
    const b = this.bundleList.find((x) => x.id === id)!;
    const c = await this.checkBundle(b.file);
    if (!c.ok && !overrideReason?.trim()) {
      throw new BackendError({ code: 'floor_override_required', message: `bundle ${id} was not launched: ${c.problems.map((p) => p.message).join('; ')} (to go below the margin floor anyway, give the reason)` });
    }
    Object.assign(b, { status: 'live', launch_batch: 9, launched_at: this.clock, override_reason: overrideReason?.trim() || null });
    return structuredClone(b);
  }
  async endBundle(id: number) {
    this.check('endBundle');
    const b = this.bundleList.find((x) => x.id === id)!;
    Object.assign(b, { status: 'ended', ended_at: this.clock });
    return structuredClone(b);
  }
  // Subscriptions: two on Gold, one paused; the month's figures by hand.
  subs: Subscription[] = [
    { id: 1, external_id: 'S1', source: 'csv', customer: '17850', email: 'a@example.com', plan: 'Gold', status: 'active', started_on: '2011-01-15', cancelled_on: null, cancel_reason: null, paused_until: null, interval: 'month', interval_count: 1, price_minor: 3000, currency: 'GBP', next_renewal_on: '2011-12-15', skipped: [], next_due: '2011-12-15' },
    { id: 2, external_id: 'S2', source: 'csv', customer: '13047', email: null, plan: 'Gold', status: 'paused', started_on: '2011-03-01', cancelled_on: null, cancel_reason: null, paused_until: '2012-01-05', interval: 'week', interval_count: 2, price_minor: 1800, currency: 'GBP', next_renewal_on: '2011-12-13', skipped: [], next_due: '2012-01-10' },
  ];
  private sub(id: string) {
    const s = this.subs.find((x) => x.external_id === id);
    if (!s) throw new BackendError({ code: 'not_found', message: `there is no subscription ${id}` });
    return s;
  }
  dunningPlan = { retry_days: [1, 3, 7], final_action: 'pause' };
  contactedAt: string | null = null;
  async subsDunning() {
    this.check('subsDunning');
    return { plan: structuredClone(this.dunningPlan), queue: this.subs.filter((s) => s.status === 'past_due').map((s) => ({ subscription: structuredClone(s), failed_on: '2011-12-05', next_action: 'retry', next_on: '2011-12-12', retries_left: 0, contacted_at: this.contactedAt })) };
  }
  async subsDunningPlanSet(plan: { retry_days: number[]; final_action: string }) {
    this.check('subsDunningPlanSet');
    if (plan.retry_days.some((d, i) => i > 0 && d <= plan.retry_days[i - 1])) throw new BackendError({ code: 'invalid_input', message: 'Retry after (days): give whole days of 1 or more, each later than the one before (1, 3, 7).' });
    this.dunningPlan = structuredClone(plan);
    return structuredClone(plan);
  }
  async subsContacted(id: string, note: string | null) {
    this.check('subsContacted');
    this.contactedAt = this.clock;
    return this.subsDunning();
  }
  async subsPlans() {
    this.check('subsPlans');
    const active = this.subs.filter((s) => s.status !== 'cancelled');
    return active.length ? [{ name: 'Gold', active: active.length, paused: active.filter((s) => s.status === 'paused').length, mrr_minor: active.filter((s) => s.status === 'active').reduce((t, s) => t + s.price_minor, 0) }] : [];
  }
  async subsList(status: string | null) {
    this.check('subsList');
    return structuredClone(this.subs.filter((s) => !status || s.status === status));
  }
  async subsMetrics(month: string) {
    this.check('subsMetrics');
    const paying = this.subs.filter((s) => s.status === 'active');
    const mrr = paying.reduce((t, s) => t + s.price_minor, 0);
    return { month, mrr_minor: mrr, active_start: 2, active_end: this.subs.filter((s) => s.status !== 'cancelled').length, paused_end: this.subs.filter((s) => s.status === 'paused').length, new: 0, cancelled: this.subs.filter((s) => s.status === 'cancelled').length, churn_rate: this.subs.filter((s) => s.status === 'cancelled').length / 2, arpu_minor: paying.length ? Math.round(mrr / paying.length) : null, revenue_churn_rate: null };
  }
  async subsTrends(months: number | null) {
    this.check('subsTrends');
    const n = months ?? 12;
    const list = await Promise.all(Array.from({ length: n }, (_, i) => {
      const d = new Date(Date.UTC(2011, 11 - (n - 1 - i), 1));
      return this.subsMetrics(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
    }));
    // Gold's two started in January and March; one is left active in each.
    const cohorts = list.map((m, i) => ({ month: m.month, started: m.month === '2011-01' || m.month === '2011-03' ? 1 : 0, active: Array(n - i).fill(m.month === '2011-01' || m.month === '2011-03' ? 1 : 0) }));
    return { months: list, cohorts };
  }
  async subsCalendar(month: string) {
    this.check('subsCalendar');
    const days = this.subs
      .filter((s) => s.status !== 'cancelled' && (s.next_due?.startsWith(month) || s.skipped.some((d) => d.startsWith(month))))
      .flatMap((s) => [...s.skipped.filter((d) => d.startsWith(month)).map((d) => [d, s, true] as const), ...(s.next_due?.startsWith(month) ? [[s.next_due, s, false] as const] : [])]);
    return days
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([day, s, skipped]) => ({ day, renewals: [{ subscription: s.external_id, customer: s.customer, plan: s.plan, price_minor: s.price_minor, currency: s.currency, skipped }] }));
  }
  async subsBoxes(month: string) {
    this.check('subsBoxes');
    const n = this.subs.filter((s) => s.status === 'active' && !s.skipped.length).length;
    return { month, plans: [{ plan: 'Gold', boxes: n }], total: n };
  }
  async subsPause(id: string, until: string) {
    this.check('subsPause');
    Object.assign(this.sub(id), { status: 'paused', paused_until: until });
    return structuredClone(this.sub(id));
  }
  async subsSkip(id: string) {
    this.check('subsSkip');
    const s = this.sub(id);
    const day = s.next_due!;
    s.skipped.push(day);
    // Monthly: the same day a month on.
    s.next_due = `${Number(day.slice(0, 4)) + (day.slice(5, 7) === '12' ? 1 : 0)}-${day.slice(5, 7) === '12' ? '01' : String(Number(day.slice(5, 7)) + 1).padStart(2, '0')}${day.slice(7)}`;
    return { subscription: structuredClone(s), skipped: day };
  }
  async subsResume(id: string) {
    this.check('subsResume');
    Object.assign(this.sub(id), { status: 'active', paused_until: this.clock.slice(0, 10) });
    return structuredClone(this.sub(id));
  }
  async subsCancel(id: string, reason: string) {
    this.check('subsCancel');
    Object.assign(this.sub(id), { status: 'cancelled', cancelled_on: '2011-12-09', cancel_reason: reason });
    return structuredClone(this.sub(id));
  }
  // The set-up, the boxes, the renewals: Gold boxes of two teas, stock as
  // below (the real rules: most units left first, never twice, within stock).
  setup: SubscriptionSetup = { billing: 'platform', premium: [], premium_rank: 2, plan: [] };
  teaStock: Record<string, number> = { T1: 2, T2: 1, T3: 5 };
  planned: PlannedBox[] = [];
  billed: string[] = [];
  savedFiles: Record<string, string> = {};
  async subsSetup() {
    this.check('subsSetup');
    return structuredClone(this.setup);
  }
  async subsSetupSet(setup: SubscriptionSetup) {
    this.check('subsSetupSet');
    for (const p of setup.plan) {
      if (!this.subs.some((s) => s.plan === p.name)) throw new BackendError({ code: 'invalid_input', message: `Plan: there is no plan "${p.name}" in the book (its plans: Gold).` });
      if (p.items > 0 && !p.categories.length && !p.products.length) throw new BackendError({ code: 'invalid_input', message: `From categories: plan "${p.name}": name the categories or products its boxes are made of.` });
      for (const c of p.categories) if (c !== 'Tea') throw new BackendError({ code: 'invalid_input', message: `From categories: plan "${p.name}": no product is in the category "${c}".` });
    }
    this.setup = structuredClone(setup);
    return structuredClone(setup);
  }
  async subsPushPlans() {
    this.check('subsPushPlans');
    // S1 and S2's customers; both on Gold. The member discount leaves out
    // the one tea that would go below the floor with it.
    const benefits: BenefitPushed[] = [];
    for (const p of this.setup.plan) {
      const code = p.name.toUpperCase();
      if (p.discount_percent > 0) {
        benefits.push({ plan: p.name, benefit: 'member_discount', code: `${code}-MEMBERS`, customers: 2, left_out: 1, status: 'created', message: '1 item would sell below the margin floor with it and is left out of the code (T2 at £4.50 with it, floor £4.80).' });
      }
      if (p.free_shipping) benefits.push({ plan: p.name, benefit: 'free_shipping', code: `${code}-SHIPPING`, customers: 2, left_out: 0, status: 'created', message: null });
    }
    return { customers: 2, unlinked: 0, unchanged: 0, confirmed: 4, failed: 0, errors: [], batch: 7, benefits };
  }
  async subsSync(): Promise<ContractsSynced> {
    this.check('subsSync');
    throw new BackendError({ code: 'invalid_input', message: "no Shopify store is connected: connect it in Settings, or import your subscription app's CSV export" });
  }
  async subsRenew(): Promise<RenewRun> {
    this.check('subsRenew');
    if (this.setup.billing !== 'desk') throw new BackendError({ code: 'invalid_input', message: 'your subscription app bills the renewals (billing: platform). Switch the shop to "desk bills" in the subscriptions set-up to run them here' });
    const renewals: Renewed[] = [];
    for (const s of this.subs.filter((x) => x.status === 'active' && x.next_due !== null && x.next_due <= this.clock.slice(0, 10) && !this.billed.includes(x.external_id))) {
      const box = this.setup.plan.find((p) => p.name === s.plan)?.box_sku;
      const base = { subscription: s.external_id, customer: s.customer, plan: s.plan, cycle_on: s.next_due!, attempt: 1, price_minor: s.price_minor, currency: s.currency };
      if (!box) {
        renewals.push({ ...base, outcome: 'refused', order: null, error: `plan "${s.plan}" has no box product: set its box SKU so its renewal orders have something to sell` });
      } else {
        this.billed.push(s.external_id);
        renewals.push({ ...base, outcome: 'billed', order: `${s.external_id}-${s.next_due!.replaceAll('-', '')}`, error: null });
      }
    }
    const count = (o: string) => renewals.filter((r) => r.outcome === o).length;
    return { renewals, dunning: [], billed: count('billed'), failed: 0, processing: 0, refused: count('refused'), waiting: 0 };
  }
  private curationOf(month: string): Curation {
    const boxes = this.planned.filter((b) => b.cycle_on.startsWith(month));
    const units: Record<string, number> = {};
    for (const b of boxes) for (const i of b.items) units[i.sku] = (units[i.sku] ?? 0) + 1;
    const picking = Object.entries(units).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([sku, n]) => ({ sku, title: `Tea ${sku}`, units: n, stock: this.teaStock[sku] ?? null }));
    const due = this.subs.filter((s) => s.status === 'active' && s.next_due?.startsWith(month) && !this.planned.some((b) => b.subscription === s.external_id && b.cycle_on === s.next_due));
    return { month, unplanned: this.setup.plan.some((p) => p.items > 0) ? due.length : 0, boxes: structuredClone(boxes), shortages: boxes.filter((b) => b.short !== null).length, picking };
  }
  async subsCuration(month: string) {
    this.check('subsCuration');
    return this.curationOf(month);
  }
  async subsCurate(month: string) {
    this.check('subsCurate');
    const gold = this.setup.plan.find((p) => p.name === 'Gold' && p.items > 0);
    if (!gold) throw new BackendError({ code: 'invalid_input', message: 'no plan sends boxes yet: set each plan\'s items per box and what they are made of' });
    for (const s of this.subs.filter((x) => x.status === 'active' && x.next_due?.startsWith(month))) {
      if (this.planned.some((b) => b.subscription === s.external_id && b.cycle_on === s.next_due)) continue;
      const had = new Set(this.planned.filter((b) => b.subscription === s.external_id).flatMap((b) => b.items.map((i) => i.sku)));
      const open = Object.entries(this.teaStock).filter(([sku, n]) => n > 0 && !had.has(sku)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      const items = open.slice(0, gold.items).map(([sku]) => ({ sku, title: `Tea ${sku}` }));
      for (const i of items) this.teaStock[i.sku] -= 1;
      this.planned.push({ subscription: s.external_id, customer: s.customer, email: s.email, plan: s.plan, cycle_on: s.next_due!, wanted: gold.items, items, short: items.length < gold.items ? 'stock' : null });
    }
    return this.curationOf(month);
  }
  async subsPickingCsv(month: string, path: string) {
    this.check('subsPickingCsv');
    const c = this.curationOf(month);
    this.savedFiles[path] = ['renewal_on,subscription_id,customer,email,plan,sku,title', ...c.boxes.flatMap((b) => b.items.map((i) => [b.cycle_on, b.subscription, b.customer, b.email ?? '', b.plan, i.sku, i.title].join(',')))].join('\n') + '\n';
    return c;
  }
  async subsDunningCsv(path: string) {
    this.check('subsDunningCsv');
    const d = await this.subsDunning();
    this.savedFiles[path] = 'subscription_id,customer,email,plan,failed_on,next_action,next_on,contacted_at\n' + d.queue.map((q) => `${q.subscription.external_id},${q.subscription.customer},${q.subscription.email ?? ''},${q.subscription.plan},${q.failed_on},${q.next_action},${q.next_on},${q.contacted_at ?? ''}\n`).join('');
    return d;
  }
  async subsForecast(): Promise<ForecastLine[]> {
    this.check('subsForecast');
    const units: Record<string, number> = {};
    for (const b of this.planned) for (const i of b.items) units[i.sku] = (units[i.sku] ?? 0) + 1;
    return Object.entries(units).map(([sku, n]) => ({ sku, title: `Tea ${sku}`, stock: this.teaStock[sku] + n, days_7: 0, days_30: n, days_60: n }));
  }
  async pickSavePath(suggested: string) {
    this.check('pickSavePath');
    return `/tmp/${suggested}`;
  }
  async pickFile() {
    this.check('pickFile');
    return '/tmp/orders.csv';
  }
  async painted() {
    this.check('painted');
  }
}

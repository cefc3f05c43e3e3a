// The one interface through which the UI reaches the backend. The app uses
// the Tauri implementation; unit tests use the mock one.
import type { AppStatus } from './bindings/AppStatus';
import type { ConnectRequest } from './bindings/ConnectRequest';
import type { Entry } from './bindings/Entry';
import type { PushRequest } from './bindings/PushRequest';
import type { RevertScope } from './bindings/RevertScope';
import type { ShopInfo } from './bindings/ShopInfo';
import type { StorefrontStatus } from './bindings/StorefrontStatus';
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncReport } from './bindings/SyncReport';
import type { Dashboard } from './bindings/Dashboard';
import type { DashboardRequest } from './bindings/DashboardRequest';
import type { ErrorPayload } from './bindings/ErrorPayload';
import type { ImportKind } from './bindings/ImportKind';
import type { ImportReport } from './bindings/ImportReport';
import type { Progress } from './bindings/Progress';
import type { Shop } from './bindings/Shop';
import type { Signal } from './bindings/Signal';
import type { RuleSets } from './bindings/RuleSets';
import type { RuleSet } from './bindings/RuleSet';
import type { SavedRules } from './bindings/SavedRules';
import type { Proposal } from './bindings/Proposal';
import type { ProposalSummary } from './bindings/ProposalSummary';
import type { CompareRequest } from './bindings/CompareRequest';
import type { Compared } from './bindings/Compared';
import type { SalesOverview } from './bindings/SalesOverview';
import type { MarginFloor } from './bindings/MarginFloor';
import type { SaleFile } from './bindings/SaleFile';
import type { SaleCheck } from './bindings/SaleCheck';
import type { Sale } from './bindings/Sale';
import type { SaleReport } from './bindings/SaleReport';
import type { TierSet } from './bindings/TierSet';
import type { TierFile } from './bindings/TierFile';
import type { TiersRequest } from './bindings/TiersRequest';
import type { TiersCheck } from './bindings/TiersCheck';

export interface Backend {
  status(): Promise<AppStatus>;
  openDemo(onProgress: (p: Progress) => void): Promise<AppStatus>;
  openOwnShop(): Promise<AppStatus>;
  saveShop(shop: Shop): Promise<AppStatus>;
  importFile(kind: ImportKind, path: string, onProgress: (p: Progress) => void): Promise<ImportReport>;
  cancelJob(): Promise<void>;
  dashboard(request: DashboardRequest): Promise<Dashboard>;
  /** The storefront connection and the last sync. */
  storefront(): Promise<StorefrontStatus>;
  /** Tries credentials; nothing is kept. */
  testConnection(request: ConnectRequest): Promise<ShopInfo>;
  /** Connects the owner's shop (secret into the keyring) and opens it. */
  connectStore(request: ConnectRequest): Promise<AppStatus>;
  /** Forgets the connection and its keyring entry. */
  disconnectStore(): Promise<StorefrontStatus>;
  syncNow(full: boolean, onProgress: (p: SyncProgress) => void): Promise<SyncReport>;
  journal(limit: number): Promise<Entry[]>;
  pushChange(request: PushRequest): Promise<Entry[]>;
  /** Fails with code `conflict` when the value changed upstream, unless `force`. */
  revertChange(scope: RevertScope, force: boolean): Promise<Entry[]>;
  /** Every variant's pricing signals. */
  pricingSignals(): Promise<Signal[]>;
  ruleSets(): Promise<RuleSets>;
  saveRules(rules: RuleSet): Promise<SavedRules>;
  deleteRules(id: number): Promise<RuleSets>;
  /** Runs a rule set and stores what it proposes. */
  suggestPrices(rules: RuleSet): Promise<Proposal>;
  proposals(): Promise<ProposalSummary[]>;
  proposal(id: number): Promise<Proposal>;
  /** The owner's own price (major units, as typed); marks the item approved. */
  editProposal(id: number, variantId: number, price: string): Promise<Proposal>;
  /** 'approved' | 'rejected' | 'proposed'; no ids: every item. */
  reviewProposal(id: number, variantIds: number[], status: string): Promise<Proposal>;
  discardProposal(id: number): Promise<Proposal>;
  /** Pushes the approved prices as one journaled batch. */
  applyProposal(id: number): Promise<Proposal>;
  /** Simulates one to four scenarios with the same seed. */
  compareScenarios(request: CompareRequest): Promise<Compared[]>;
  /** Brings sales up to now (starts, ends, overdue reverts) and lists them. */
  salesOverview(): Promise<SalesOverview>;
  saveFloor(floor: MarginFloor): Promise<MarginFloor>;
  /** Checks a sale as edited and projects it; `id` when it is saved. */
  checkSale(file: SaleFile, id: number | null): Promise<SaleCheck>;
  createSale(file: SaleFile): Promise<Sale>;
  /** Refused on a check error unless every error is the floor's and a reason is given. */
  launchSale(id: number, overrideReason: string | null): Promise<Sale>;
  endSale(id: number): Promise<Sale>;
  saleReport(id: number): Promise<SaleReport>;
  /** HTML+JS countdown for the storefront theme. */
  saleSnippet(id: number): Promise<string>;
  tierSets(): Promise<TierSet[]>;
  /** Floor check of tiers as edited, with a cart preview and a look-back when asked. */
  checkTiers(request: TiersRequest): Promise<TiersCheck>;
  createTiers(file: TierFile): Promise<TierSet>;
  launchTiers(id: number, overrideReason: string | null): Promise<TierSet>;
  endTiers(id: number): Promise<TierSet>;
  /** Asks the user for a file to import; null when they cancel. */
  pickFile(): Promise<string | null>;
  /** Tells the backend the first dashboard is on screen (startup benchmark). */
  painted(): Promise<void>;
}

/** An error as it crosses IPC: `{ code, message }`. */
export class BackendError extends Error {
  code: string;
  constructor(payload: ErrorPayload) {
    super(payload.message);
    this.code = payload.code;
  }
}

export function toBackendError(e: unknown): BackendError {
  if (e instanceof BackendError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return new BackendError(e as ErrorPayload);
  }
  return new BackendError({ code: 'internal', message: String(e) });
}

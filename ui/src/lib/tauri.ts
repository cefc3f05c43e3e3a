import { Channel, invoke } from '@tauri-apps/api/core';
import { open } from '@tauri-apps/plugin-dialog';
import type { Progress } from './bindings/Progress';
import { type Backend, toBackendError } from './transport';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toBackendError(e);
  }
}

function progressChannel<P = Progress>(onProgress: (p: P) => void): Channel<P> {
  const channel = new Channel<P>();
  channel.onmessage = onProgress;
  return channel;
}

export const tauriBackend: Backend = {
  status: () => call('app_status'),
  openDemo: (onProgress) => call('open_demo', { onProgress: progressChannel(onProgress) }),
  openOwnShop: () => call('open_own_shop'),
  saveShop: (shop) => call('save_shop', { shop }),
  importFile: (kind, path, onProgress) =>
    call('import_file', { kind, path, onProgress: progressChannel(onProgress) }),
  cancelJob: () => call('cancel_job'),
  dashboard: (request) => call('dashboard', { request }),
  storefront: () => call('storefront_status'),
  testConnection: (request) => call('test_connection', { request }),
  connectStore: (request) => call('connect_store', { request }),
  disconnectStore: () => call('disconnect_store'),
  syncNow: (full, onProgress) => call('sync_now', { full, onProgress: progressChannel(onProgress) }),
  journal: (limit) => call('journal_list', { limit }),
  pushChange: (request) => call('push_change', { request }),
  revertChange: (scope, force) => call('revert_change', { scope, force }),
  pricingSignals: () => call('pricing_signals'),
  ruleSets: () => call('rule_sets'),
  saveRules: (rules) => call('save_rules', { rules }),
  deleteRules: (id) => call('delete_rules', { id }),
  suggestPrices: (rules) => call('suggest_prices', { rules }),
  proposals: () => call('proposal_list'),
  proposal: (id) => call('proposal_get', { id }),
  editProposal: (id, variantId, price) => call('proposal_edit', { id, variantId, price }),
  reviewProposal: (id, variantIds, status) => call('proposal_review', { id, variantIds, status }),
  discardProposal: (id) => call('proposal_discard', { id }),
  applyProposal: (id) => call('proposal_apply', { id }),
  compareScenarios: (request) => call('compare_scenarios', { request }),
  salesOverview: () => call('sales_overview'),
  saveFloor: (floor) => call('save_floor', { floor }),
  checkSale: (file, id) => call('check_sale', { file, id }),
  createSale: (file) => call('create_sale', { file }),
  launchSale: (id, overrideReason) => call('launch_sale', { id, overrideReason }),
  endSale: (id) => call('end_sale', { id }),
  saleReport: (id) => call('sale_report', { id }),
  saleSnippet: (id) => call('sale_snippet', { id }),
  tierSets: () => call('tier_sets'),
  checkTiers: (request) => call('check_tiers', { request }),
  createTiers: (file) => call('create_tiers', { file }),
  launchTiers: (id, overrideReason) => call('launch_tiers', { id, overrideReason }),
  endTiers: (id) => call('end_tiers', { id }),
  pickFile: async () => {
    const picked = await open({
      multiple: false,
      directory: false,
      filters: [{ name: 'CSV files', extensions: ['csv', 'gz', 'txt'] }],
    });
    return typeof picked === 'string' ? picked : null;
  },
  painted: () => call('app_painted', { pageMs: performance.now() }),
};

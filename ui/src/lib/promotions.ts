// Helpers for the Promotions page.
import type { SaleTargets } from './bindings/SaleTargets';
import type { Settled } from './bindings/Settled';

export type TargetKind = 'skus' | 'products' | 'category' | 'all';

/** The targets a sale or volume tiers cover, from the editor's kind and its
 * text: comma-separated SKUs or product titles, or a category. */
export function targetsFrom(kind: TargetKind, text: string): SaleTargets {
  const list = () => text.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    skus: kind === 'skus' ? list() : [],
    products: kind === 'products' ? list() : [],
    category: kind === 'category' ? text.trim() : null,
    all: kind === 'all',
  };
}

/** What settling did to a sale or a tier set, for the owner. */
export function settledNote(s: Settled): string {
  return `${s.kind === 'tiers' ? 'Tiers' : 'Sale'} "${s.name}": ${s.what}.`;
}

// Helpers for the pricing page.
import type { Signal } from './bindings/Signal';

/** One colour per compared scenario, in order. */
export const SCENARIO_COLOURS = ['#486581', '#0f766e', '#c2410c', '#7c3aed'];

export type SignalColumn =
  | 'sku' | 'title' | 'price' | 'cost' | 'margin' | 'stock' | 'v7' | 'v28' | 'v90' | 'cover' | 'trend' | 'competitor' | 'views' | 'carts' | 'changed';

/** The value a column sorts by; null sorts last either way. */
export function signalValue(s: Signal, c: SignalColumn): number | string | null {
  switch (c) {
    case 'sku': return s.sku;
    case 'title': return s.title;
    case 'price': return s.price_minor;
    case 'cost': return s.cost_minor;
    case 'margin': return s.margin_bp;
    case 'stock': return s.stock;
    case 'v7': return s.velocity[0] ?? null;
    case 'v28': return s.velocity[1] ?? null;
    case 'v90': return s.velocity[2] ?? null;
    case 'cover': return s.days_of_cover;
    case 'trend': return s.trend;
    case 'competitor': return s.competitor_min_minor;
    case 'views': return s.views;
    case 'carts': return s.add_to_carts;
    case 'changed': return s.last_price_change;
  }
}

/** Signals sorted by a column; nulls last in both directions. */
export function sortSignals(rows: Signal[], c: SignalColumn, descending: boolean): Signal[] {
  return [...rows].sort((a, b) => {
    const va = signalValue(a, c);
    const vb = signalValue(b, c);
    if (va === null && vb === null) return a.sku.localeCompare(b.sku);
    if (va === null) return 1;
    if (vb === null) return -1;
    const order = typeof va === 'string' ? va.localeCompare(String(vb)) : va - (vb as number);
    return (descending ? -order : order) || a.sku.localeCompare(b.sku);
  });
}

/** Minor units from an amount typed in major units; null when it is not one. */
export function toMinor(text: string, exponent: number): number | null {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const [whole, frac = ''] = t.split('.');
  if (frac.length > exponent) return null;
  return Number(whole) * 10 ** exponent + Number(frac.padEnd(exponent, '0') || '0');
}

// Helpers for the pricing page.
import type { RuleSet } from './bindings/RuleSet';
import type { Signal } from './bindings/Signal';
import { FieldError, decimal, wholeNumber } from './fields';

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

/**
 * Checks every number of a rule set as typed, so an empty or wrong field is
 * named by its label before the rules are sent.
 */
export function checkRules(rules: RuleSet): void {
  wholeNumber(rules.horizon_days, 'Horizon (days)', 1, 365);
  const g = rules.guardrails;
  if (g.min_margin_percent !== null && String(g.min_margin_percent).trim() !== '') {
    const m = decimal(g.min_margin_percent, 'Minimum margin on cost %');
    if (m < 0 || m > 1000) throw new FieldError('Minimum margin on cost %: give 0 % or more (at most 1000 %): below zero every sale at the floor loses money.');
  }
  decimal(g.max_change_percent, 'Max change per step %');
  decimal(g.min_change_percent, 'Min change %');
  rules.rule.forEach((r, i) => {
    const label = (what: string) => `Rule ${i + 1}, ${what}`;
    switch (r.kind) {
      case 'low_stock':
        decimal(r.max_days_of_cover, label('cover'));
        decimal(r.min_velocity, label('velocity'));
        decimal(r.change_percent, label('change'));
        break;
      case 'overstock':
        decimal(r.min_days_of_cover, label('cover'));
        decimal(r.max_velocity, label('velocity'));
        decimal(r.change_percent, label('change'));
        break;
      case 'competitor':
        decimal(r.offset_percent, label('offset'));
        break;
    }
  });
}

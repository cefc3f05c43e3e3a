// The Loyalty page's pieces that are not layout: rules and rewards as the
// editor shows them (a kind and a value), the starter programme, and the
// members table's search, filter and sort.
import type { ActionKind } from './bindings/ActionKind';
import type { LoyaltyRule } from './bindings/LoyaltyRule';
import type { Member } from './bindings/Member';
import type { Programme } from './bindings/Programme';
import type { RewardDiscount } from './bindings/RewardDiscount';

export const ACTION_KINDS: ActionKind[] = ['review', 'referral', 'profile', 'birthday', 'signup', 'social'];

export type RuleKind = 'orders' | 'categories' | 'spend' | 'months_in_a_row';

export function ruleKind(r: LoyaltyRule): RuleKind {
  return Object.keys(r)[0] as RuleKind;
}

export function ruleValue(r: LoyaltyRule): string {
  return String(Object.values(r)[0]);
}

/** A rule from the editor's kind and text; counts are whole numbers (a
 * value that is not stays as typed, for the core's check to name). */
export function makeRule(kind: string, value: string): LoyaltyRule {
  if (kind === 'spend') return { spend: value.trim() };
  const n = Number(value);
  const count = Number.isInteger(n) ? n : (value as unknown as number);
  if (kind === 'categories') return { categories: count };
  if (kind === 'months_in_a_row') return { months_in_a_row: count };
  return { orders: count };
}

export function rewardKind(d: RewardDiscount): 'amount' | 'percent' | 'free_shipping' {
  return Object.keys(d)[0] as 'amount' | 'percent' | 'free_shipping';
}

export function rewardValue(d: RewardDiscount): string {
  return 'free_shipping' in d ? '' : String(Object.values(d)[0]);
}

export function makeReward(kind: string, value: string): RewardDiscount {
  if (kind === 'free_shipping') return { free_shipping: true };
  if (kind === 'percent') {
    const n = Number(value);
    return { percent: Number.isInteger(n) && value.trim() !== '' ? n : (value as unknown as number) };
  }
  return { amount: value.trim() || '5.00' };
}

/** The programme the editor starts from when none is stored: the one
 * `docs/examples/gift-club.toml` describes, earning from the first of the
 * month a year before the shop's today. */
export function starterProgramme(today = '2011-12-09'): Programme {
  const start = `${Number(today.slice(0, 4)) - 1}${today.slice(4, 7)}-01`;
  return {
    name: 'Gift Club',
    starts_on: start,
    points_per_unit: '1',
    pending_days: 14,
    expiry_days: 365,
    tier: [
      { name: 'Bronze', min_spend: '0', multiplier: '1', benefits: [] },
      { name: 'Silver', min_spend: '1000', multiplier: '1.25', benefits: ['free_shipping'] },
      { name: 'Gold', min_spend: '5000', multiplier: '1.5', benefits: ['early_access'] },
    ],
    action: [{ kind: 'review', points: 50, max_per_customer: 10 }],
    badge: [{ name: 'Regular', rule: { orders: 5 }, bonus: 100 }],
    challenge: [],
    reward: [{ name: '£5 off', points: 500, discount: { amount: '5.00' }, min_order: '25.00' }],
  };
}

export type MemberSort = 'balance' | 'earned' | 'customer';

/** Members whose id or email holds `search` (any case), in `tier` when one
 * is given, sorted (ties by customer). One pass and one sort: fast at
 * 100,000 members. */
export function filterMembers(members: Member[], search: string, tier: string, sort: MemberSort): Member[] {
  const q = search.trim().toLowerCase();
  const out = members.filter(
    (m) => (!tier || m.tier === tier) && (!q || m.customer.toLowerCase().includes(q) || (m.email ?? '').toLowerCase().includes(q)),
  );
  const by = (m: Member) => (sort === 'balance' ? m.balance : m.earned + m.awarded);
  out.sort((a, b) => (sort === 'customer' ? 0 : by(b) - by(a)) || (a.customer < b.customer ? -1 : a.customer > b.customer ? 1 : 0));
  return out;
}

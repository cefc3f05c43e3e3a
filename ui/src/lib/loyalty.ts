// The Loyalty page's pieces that are not layout: rules and rewards as the
// editor shows them (a kind and a value), the starter programme, and the
// members table's sorts and pages (searching, filtering and sorting are the
// core's).
import type { ActionKind } from './bindings/ActionKind';
import type { LoyaltyRule } from './bindings/LoyaltyRule';
import type { MemberSort } from './bindings/MemberSort';
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

/** The members table's orders, as the core sorts them. */
export const MEMBER_SORTS: [MemberSort, string][] = [
  ['balance', 'most points to spend'],
  ['earned', 'most earned'],
  ['pending', 'most pending'],
  ['redeemed', 'most redeemed'],
  ['expired', 'most expired'],
  ['tier', 'highest tier'],
  ['badges', 'most badges'],
  ['customer', 'customer'],
];

/** Members a page of the table holds. */
export const PAGE_SIZE = 200;

/** Which members a page shows: "201–400 of 2,639". */
export function pageRange(offset: number, shown: number, matched: number): string {
  const n = (x: number) => x.toLocaleString('en-GB');
  if (shown === 0) return `none of ${n(matched)}`;
  return `${n(offset + 1)}–${n(offset + shown)} of ${n(matched)}`;
}

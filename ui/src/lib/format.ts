// Formatting for people: money from minor units, counts, changes, dates.
import type { Value } from './bindings/Value';

const exponents: Record<string, number> = {};

/** Decimal places of a currency's minor unit, as Intl knows it. */
export function currencyExponent(currency: string): number {
  if (!(currency in exponents)) {
    exponents[currency] = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  }
  return exponents[currency];
}

/** How a shop writes its money: the text around one placeholder of a
 * storefront's pattern (Shopify's `£{{amount}}`,
 * `{{amount_with_comma_separator}} €`), the separators it names. Mirrors the
 * core's `money::MoneyFormat`. */
export interface MoneyFormat {
  before: string;
  after: string;
  group: string;
  decimal: string;
  decimals: boolean;
}

const NBSP = '\u00a0';
const placeholders: Record<string, [string, string, boolean]> = {
  amount: [',', '.', true],
  amount_no_decimals: [',', '.', false],
  amount_with_comma_separator: ['.', ',', true],
  amount_no_decimals_with_comma_separator: ['.', ',', false],
  amount_with_apostrophe_separator: ["'", '.', true],
  amount_no_decimals_with_apostrophe_separator: ["'", '.', false],
  amount_with_space_separator: [NBSP, ',', true],
  amount_no_decimals_with_space_separator: [NBSP, ',', false],
  amount_with_period_and_space_separator: [NBSP, '.', true],
};

/** A storefront's money pattern read; null when it holds no known placeholder. */
export function parseMoneyFormat(pattern: string): MoneyFormat | null {
  const text = pattern.replace(/<[^>]*>/g, '');
  const m = /^([\s\S]*?)\{\{\s*(\w+)\s*\}\}([\s\S]*)$/.exec(text);
  if (!m || !(m[2] in placeholders)) return null;
  const [group, decimal, decimals] = placeholders[m[2]];
  return { before: m[1], after: m[3], group, decimal, decimals };
}

/** The format of money in a currency other than the open shop's (the core
 * gives the shop's own): its symbol before the amount, comma thousands,
 * point decimals (`£1,086,573.31`). */
export function defaultMoneyFormat(currency: string): MoneyFormat {
  const symbol = new Intl.NumberFormat('en-GB', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' })
    .formatToParts(0)
    .find((p) => p.type === 'currency')?.value;
  const before = !symbol || symbol === currency ? `${currency} ` : symbol;
  return { before, after: '', group: ',', decimal: '.', decimals: true };
}

let shop: { currency: string; format: MoneyFormat } | null = null;

/** The open shop's money: its currency and its own pattern, if any. Every
 * amount in that currency is written with it. True when this changed how
 * money is written. */
export function setShopMoney(currency: string | null, pattern: string | null): boolean {
  const next = currency ? { currency, format: (pattern && parseMoneyFormat(pattern)) || defaultMoneyFormat(currency) } : null;
  const changed = JSON.stringify(next) !== JSON.stringify(shop);
  shop = next;
  return changed;
}

/** `51947, 'GBP'` → `£519.47`, as the shop writes money (see `setShopMoney`).
 * Exact: the minor units are split as integers. */
export function formatMoney(minor: number, currency: string, format?: MoneyFormat): string {
  const f = format ?? (shop?.currency === currency ? shop.format : defaultMoneyFormat(currency));
  const exp = currencyExponent(currency);
  const scale = 10 ** exp;
  let abs = Math.abs(minor);
  if (!f.decimals && exp > 0) abs = Math.round(abs / scale) * scale;
  const whole = String(Math.floor(abs / scale));
  const fraction = abs % scale;
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, f.group);
  const decimals = exp > 0 && f.decimals ? f.decimal + String(fraction).padStart(exp, '0') : '';
  return (minor < 0 ? '-' : '') + f.before + grouped + decimals + f.after;
}

/** A decimal amount in major units as the core writes it (`"1086573.3125"`,
 * `"-4.5"`) → minor units, rounded half away from zero; exact (digit by
 * digit, no floating point). Null when the text is not a decimal. */
export function minorOf(amount: string, currency: string): number | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/.exec(amount);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const exp = currencyExponent(currency);
  const fraction = (m[3] ?? '').padEnd(exp + 1, '0');
  let minor = BigInt((m[2] || '0') + fraction.slice(0, exp));
  if (Number(fraction[exp]) >= 5) minor += 1n;
  return Number(m[1] === '-' ? -minor : minor);
}

/** A decimal amount in major units (see `minorOf`) in the shop's money: `"1086573.31"` → `£1,086,573.31`. */
export function formatAmount(amount: string, currency: string): string {
  const minor = minorOf(amount, currency);
  return minor === null ? amount : formatMoney(minor, currency);
}

/** The change between two decimal amounts, signed, in the shop's money: `+£12.50`, `−£3.00`, `±£0.00`. */
export function formatAmountChange(now: string, base: string, currency: string): string {
  const d = (minorOf(now, currency) ?? 0) - (minorOf(base, currency) ?? 0);
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return sign + formatMoney(Math.abs(d), currency);
}

export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-GB').format(n);
}

/** A length of time for people: "45 minutes", "12 hours", "3 days 4 hours". */
export function span(hours: number): string {
  const minutes = Math.round(hours * 60);
  if (minutes < 60) return countOf(minutes, 'minute', 'minutes');
  const days = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [days ? countOf(days, 'day', 'days') : '', h ? countOf(h, 'hour', 'hours') : '', m ? countOf(m, 'minute', 'minutes') : '']
    .filter(Boolean)
    .join(' ');
}

/** "1 discount", "2,000 orders". */
export function countOf(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** Change from `previous` to `current` in percent; null when there is no base. */
export function percentChange(current: number, previous: number): number | null {
  if (previous === 0) return null;
  return ((current - previous) / Math.abs(previous)) * 100;
}

export function formatChange(change: number | null): string {
  if (change === null) return 'no earlier data';
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${Math.abs(change).toFixed(1)}%`;
}

/** `2011-12-09` → `9 Dec 2011` (a calendar day: no time zone shift). */
export function formatDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y, m - 1, d)),
  );
}

/** Adds days to a `YYYY-MM-DD` day. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** A stored UTC time (`2026-11-23T10:00:00Z`) in the shop's time zone. */
export function formatTime(utc: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
  }).format(new Date(utc));
}

/** A journaled value for people, as the CLI describes it. */
export function describeValue(v: Value, currency: string): string {
  switch (v.kind) {
    case 'price':
      return v.value.compare_at_minor === null
        ? formatMoney(v.value.price_minor, currency)
        : `${formatMoney(v.value.price_minor, currency)} (compare at ${formatMoney(v.value.compare_at_minor, currency)})`;
    case 'tags':
      return v.value.length ? v.value.join(', ') : 'no tags';
    case 'metafield':
      return v.value === null ? 'absent' : `“${v.value.value}”`;
    case 'discount':
      return v.value === null ? 'absent' : `discount “${v.value.title}”${v.value.ends_at ? ` ending ${v.value.ends_at}` : ''}`;
    case 'renewal':
      return v.value ? 'renewal attempted' : 'not attempted';
    case 'contract_status':
      return v.value.toLowerCase();
    case 'skipped':
      return v.value ? 'skipped' : 'not skipped';
  }
}

/** The calendar day of an instant in `timeZone`, as `YYYY-MM-DD` (built from
 * parts: locales differ in how they write a short date). */
export function dayIn(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
}

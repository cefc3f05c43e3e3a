import { describe, expect, it } from 'vitest';
import { addDays, countOf, describeValue, formatChange, formatDay, formatMoney, formatTime, parseMoneyFormat, percentChange, setShopMoney, span } from '../src/lib/format';

describe('formatMoney', () => {
  it('splits minor units exactly', () => {
    expect(formatMoney(51947, 'GBP')).toBe('£519.47');
    expect(formatMoney(1027143306, 'GBP')).toBe('£10,271,433.06');
    expect(formatMoney(5, 'GBP')).toBe('£0.05');
    expect(formatMoney(-1050, 'GBP')).toBe('-£10.50');
    expect(formatMoney(0, 'EUR')).toBe('€0.00');
  });
  it('knows currencies without a minor unit', () => {
    expect(formatMoney(1500, 'JPY')).toBe('¥1,500');
  });
  it("writes the open shop's money with its own pattern", () => {
    try {
      expect(setShopMoney('EUR', '{{amount_with_comma_separator}} €')).toBe(true);
      expect(formatMoney(113465, 'EUR')).toBe('1.134,65 €');
      expect(formatMoney(-500, 'EUR')).toBe('-5,00 €');
      expect(setShopMoney('EUR', '{{amount_with_comma_separator}} €')).toBe(false);
      // Another currency keeps its own default.
      expect(formatMoney(1050, 'GBP')).toBe('£10.50');
      setShopMoney('CHF', '<span class=money>Fr. {{ amount_with_apostrophe_separator }}</span>');
      expect(formatMoney(123456789, 'CHF')).toBe("Fr. 1'234'567.89");
      setShopMoney('SEK', '{{amount_no_decimals}} kr');
      expect(formatMoney(113450, 'SEK')).toBe('1,135 kr');
      expect(formatMoney(113449, 'SEK')).toBe('1,134 kr');
      setShopMoney('PLN', '{{amount_with_space_separator}} zł');
      expect(formatMoney(113465, 'PLN')).toBe('1\u00a0134,65 zł');
      // A pattern without a known placeholder falls back to the default.
      setShopMoney('GBP', '£{{price}}');
      expect(formatMoney(1049, 'GBP')).toBe('£10.49');
      expect(parseMoneyFormat('£{{price}}')).toBeNull();
    } finally {
      setShopMoney(null, null);
    }
  });
});

describe('changes and days', () => {
  it('computes percent change against the previous period', () => {
    expect(percentChange(150, 100)).toBe(50);
    expect(percentChange(50, 100)).toBe(-50);
    expect(percentChange(5, 0)).toBeNull();
    expect(formatChange(12.345)).toBe('+12.3%');
    expect(formatChange(-4)).toBe('−4.0%');
    expect(formatChange(null)).toBe('no earlier data');
  });
  it('adds days across month and year ends', () => {
    expect(addDays('2011-12-09', -29)).toBe('2011-11-10');
    expect(addDays('2011-12-31', 1)).toBe('2012-01-01');
    expect(formatDay('2011-12-09')).toBe('9 Dec 2011');
  });
});

describe('journal values and times', () => {
  it('describes each kind of value', () => {
    expect(describeValue({ kind: 'price', value: { price_minor: 295, compare_at_minor: null } }, 'GBP')).toBe('£2.95');
    expect(describeValue({ kind: 'price', value: { price_minor: 295, compare_at_minor: 350 } }, 'GBP')).toBe('£2.95 (compare at £3.50)');
    expect(describeValue({ kind: 'tags', value: [] }, 'GBP')).toBe('no tags');
    expect(describeValue({ kind: 'tags', value: ['vip', 'wholesale'] }, 'GBP')).toBe('vip, wholesale');
    expect(describeValue({ kind: 'metafield', value: null }, 'GBP')).toBe('absent');
  });

  it('shows a stored UTC time in the shop\'s time zone', () => {
    expect(formatTime('2024-07-01T23:30:00Z', 'Europe/London')).toBe('2 Jul 2024, 00:30');
    expect(formatTime('2024-07-01T23:30:00Z', 'America/New_York')).toBe('1 Jul 2024, 19:30');
  });
});

describe('dayIn', () => {
  it('gives the shop day as YYYY-MM-DD across a clock change', async () => {
    const { dayIn } = await import('../src/lib/format');
    expect(dayIn(new Date('2024-03-30T23:30:00Z'), 'Europe/London')).toBe('2024-03-30');
    expect(dayIn(new Date('2024-06-30T23:30:00Z'), 'Europe/London')).toBe('2024-07-01');
    expect(dayIn(new Date('2024-06-30T23:30:00Z'), 'America/New_York')).toBe('2024-06-30');
  });
});

describe('counts and spans', () => {
  it('says one or many', () => {
    expect(countOf(1, 'discount', 'discounts')).toBe('1 discount');
    expect(countOf(0, 'discount', 'discounts')).toBe('0 discounts');
    expect(countOf(2000, 'order', 'orders')).toBe('2,000 orders');
  });
  it('writes a length of time in its largest parts', () => {
    expect(span(0.75)).toBe('45 minutes');
    expect(span(12)).toBe('12 hours');
    expect(span(1)).toBe('1 hour');
    expect(span(76.5)).toBe('3 days 4 hours 30 minutes');
    expect(span(48)).toBe('2 days');
  });
});

describe('decimal amounts from the core', () => {
  it('are formatted exactly in the shop money, rounded half away from zero', async () => {
    const { formatAmount, formatAmountChange, minorOf } = await import('../src/lib/format');
    expect(formatAmount('1086573.31', 'GBP')).toBe('£1,086,573.31');
    expect(formatAmount('1086573.305', 'GBP')).toBe('£1,086,573.31');
    expect(formatAmount('-4.5', 'GBP')).toBe('-£4.50');
    expect(formatAmount('1500.4', 'JPY')).toBe(formatMoney(1500, 'JPY'));
    expect(minorOf('0.125', 'KWD')).toBe(125);
    expect(minorOf('9007199254740.99', 'GBP')).toBe(900719925474099);
    expect(minorOf('abc', 'GBP')).toBeNull();
    expect(formatAmount('abc', 'GBP')).toBe('abc');
    expect(formatAmountChange('10.00', '12.50', 'GBP')).toBe('−£2.50');
    expect(formatAmountChange('3', '3.00', 'GBP')).toBe('±£0.00');
  });
});

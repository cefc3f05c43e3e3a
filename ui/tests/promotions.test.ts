import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { MockBackend, demoShop } from './mock';
import { readDateTime } from '../src/lib/dates';

async function openPromotions(backend: MockBackend) {
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByTestId('nav-promotions'));
}

describe('Promotions', () => {
  it('plans a sale with live checks, refuses the floor without a reason, launches, counts down and ends it', async () => {
    const backend = new MockBackend(demoShop);
    backend.clock = '2024-01-01T12:00:00Z';
    await openPromotions(backend);
    await fireEvent.click(await screen.findByTestId('sale-new'));
    // By default the next hour to twelve hours later, in the shop's time.
    // Written in the shop's order (a London shop: day first).
    const starts = readDateTime((screen.getByTestId('sale-starts') as HTMLInputElement).value, 'dmy');
    const ends = readDateTime((screen.getByTestId('sale-ends') as HTMLInputElement).value, 'dmy');
    expect((screen.getByTestId('sale-starts') as HTMLInputElement).value).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:00$/);
    expect((Date.parse(`${ends}Z`) - Date.parse(`${starts}Z`)) / 3_600_000).toBe(12);
    // A moment that does not exist is named, and no verdict is left standing.
    await fireEvent.input(screen.getByTestId('sale-starts'), { target: { value: '30/02/2024 09:00' } });
    expect((await screen.findByTestId('sale-window-error')).textContent).toBe('Starts: give a day and time as DD/MM/YYYY HH:MM (shop time).');
    await fireEvent.input(screen.getByTestId('sale-target'), { target: { value: '85123A' } });
    await fireEvent.input(screen.getByTestId('sale-discount'), { target: { value: '70' } });
    await fireEvent.input(screen.getByTestId('sale-starts'), { target: { value: '2024-01-01T09:00' } });
    await fireEvent.input(screen.getByTestId('sale-ends'), { target: { value: '2099-01-01T21:00' } });
    // 70 % off 2.95 = 0.89, below cost 1.00 × 1.2 = 1.20.
    await waitFor(() => expect(screen.getByTestId('sale-check-verdict').textContent).toBe('Would be refused'), { timeout: 2000 });
    expect(screen.getByTestId('sale-problem').textContent).toContain('below the margin floor 1.20');
    expect(screen.getByTestId('sale-projection').textContent).toContain('Break-even needs +50% units');
    expect(screen.getByTestId('sale-projection').textContent).toContain('the model expects +33% (80 % band +20% to +48%)');
    expect(screen.getByTestId('sale-projection').textContent).toMatch(/^\s*Over \d/);

    await fireEvent.input(screen.getByTestId('sale-code'), { target: { value: 'HEART70' } });
    await fireEvent.click(await screen.findByTestId('sale-once'));
    await fireEvent.click(screen.getByTestId('sale-save'));
    await waitFor(() => expect(screen.getByTestId('sale-status').textContent).toBe('draft'));
    expect(backend.sales[0].file.code).toBe('HEART70');
    expect(backend.sales[0].file.per_customer_limit).toBe(1);
    await fireEvent.click(screen.getByTestId('sale-launch'));
    expect((await screen.findByTestId('promo-error')).textContent).toContain('give the reason');
    expect(backend.sales[0].status).toBe('draft');
    await fireEvent.input(screen.getByTestId('override-reason'), { target: { value: 'end of line' } });
    await fireEvent.click(screen.getByTestId('override-launch'));
    await waitFor(() => expect(screen.getByTestId('sale-status').textContent).toBe('live'));
    expect(backend.sales[0].override_reason).toBe('end of line');
    await waitFor(() => expect(screen.getByTestId('sale-countdown').textContent).toMatch(/^ends in \d+d \d\d:\d\d:\d\d$/));

    await fireEvent.click(screen.getByTestId('sale-end'));
    await waitFor(() => expect(screen.getByTestId('sale-status').textContent).toBe('reverted'));
    await fireEvent.click(screen.getByTestId('sale-report'));
    expect((await screen.findByTestId('sale-incremental')).textContent).toContain('£4.80 against the same weekdays');
  });

  it('opens the editor on the shop clock, and edits and deletes a draft', async () => {
    const backend = new MockBackend(demoShop);
    // The demo's clock: its last trading day, not the machine's today.
    backend.clock = '2011-12-09T10:30:00Z';
    await openPromotions(backend);
    await fireEvent.click(await screen.findByTestId('sale-new'));
    expect((screen.getByTestId('sale-starts') as HTMLInputElement).value).toBe('09/12/2011 11:00');
    await fireEvent.input(screen.getByTestId('sale-name'), { target: { value: 'First try' } });
    await fireEvent.input(screen.getByTestId('sale-target'), { target: { value: '85123A' } });
    await fireEvent.click(screen.getByTestId('sale-save'));
    await waitFor(() => expect(screen.getByTestId('sale-status').textContent).toBe('draft'));

    await fireEvent.click(screen.getByTestId('sale-edit'));
    const nameField = (await screen.findByTestId('sale-name')) as HTMLInputElement;
    expect(nameField.value).toBe('First try');
    expect((screen.getByTestId('sale-target') as HTMLInputElement).value).toBe('85123A');
    await fireEvent.input(nameField, { target: { value: 'Second try' } });
    await fireEvent.input(screen.getByTestId('sale-discount'), { target: { value: '15' } });
    await fireEvent.click(screen.getByTestId('sale-save'));
    await waitFor(() => expect(screen.getByTestId('sales-table').textContent).toContain('Second try'));
    expect(backend.sales).toHaveLength(1);
    expect(backend.sales[0].file.discount.percent).toBe(15);

    await fireEvent.click(screen.getByTestId('sale-delete'));
    await fireEvent.click(await screen.findByTestId('sale-delete-confirm'));
    await waitFor(() => expect(screen.queryByTestId('sales-table')).toBeNull());
    expect(backend.sales).toHaveLength(0);
    expect((await screen.findByTestId('promo-notice')).textContent).toContain('deleted');
  });

  it('saves the margin floor', async () => {
    const backend = new MockBackend(demoShop);
    await openPromotions(backend);
    const input = (await screen.findByTestId('floor-shop')) as HTMLInputElement;
    await waitFor(() => expect(input.value).toBe('20'));
    await fireEvent.input(input, { target: { value: '35.5' } });
    await fireEvent.click(screen.getByTestId('floor-save'));
    await waitFor(() => expect(backend.floor.shop_bp).toBe(3550));
    expect((await screen.findByTestId('promo-notice')).textContent).toBe('Margin floor saved.');
  });
});

describe('Start-up', () => {
  it('tells the owner about a sale reverted because it was found past its end', async () => {
    const backend = new MockBackend(demoShop);
    backend.pendingSettled = [
      { kind: 'sale', event: 'ended', id: 3, name: 'Weekend', what: 'was still live 600 minutes past its end (Merchant Desk was closed); prices reverted now' },
      { kind: 'tiers', event: 'ended', id: 1, name: 'Bulk', what: 'their discounts were deleted on the storefront; the tiers are off' },
    ];
    render(App, { props: { backend } });
    const banner = await screen.findByTestId('settled-banner');
    expect(banner.textContent).toContain('Sale "Weekend": was still live 600 minutes past its end');
    expect(banner.textContent).toContain('Tiers "Bulk": their discounts were deleted on the storefront');
    expect(backend.calls.filter((c) => c === 'salesOverview')).toHaveLength(1);
  });
});

describe('Tiers', () => {
  it('previews a cart, looks back, saves, launches and ends volume tiers', async () => {
    const backend = new MockBackend(demoShop);
    await openPromotions(backend);
    await fireEvent.input(await screen.findByTestId('tiers-target'), { target: { value: 'Lighting' } });
    await fireEvent.input(screen.getAllByTestId('cart-sku')[0], { target: { value: '22423' } });
    await fireEvent.input(screen.getAllByTestId('cart-qty')[0], { target: { value: '5' } });
    await fireEvent.click(screen.getByTestId('tiers-check'));
    // 5 × 12.75 = 63.75, the 5+ tier: 10 % = 6.38 (rounded) off.
    expect((await screen.findByTestId('cart-total')).textContent).toContain('Subtotal £63.75, off £6.38, total £57.37');
    expect(screen.getByTestId('tiers-lookback').textContent).toContain('4 of 10 orders would have qualified');
    expect(screen.getByTestId('tiers-verdict').textContent).toBe('Keeps the margin floor');
    const sent = backend.calls.filter((c) => c === 'checkTiers');
    expect(sent).toHaveLength(1);

    await fireEvent.click(screen.getByTestId('tiers-save'));
    await waitFor(() => expect(screen.getByTestId('tiers-status').textContent).toBe('draft'));
    expect(backend.tiers[0].file.targets?.category).toBe('Lighting');
    expect(backend.tiers[0].file.tier.map((t) => [t.min_quantity, t.percent])).toEqual([[3, 5], [5, 10]]);
    await fireEvent.click(screen.getByTestId('tiers-launch'));
    await waitFor(() => expect(screen.getByTestId('tiers-status').textContent).toBe('live'));
    await fireEvent.click(screen.getByTestId('tiers-end'));
    await waitFor(() => expect(screen.getByTestId('tiers-status').textContent).toBe('ended'));
  });
});

describe('Sales calendar', () => {
  it('shows a sale on every shop day its window touches, by status', async () => {
    const backend = new MockBackend(demoShop);
    backend.clock = '2024-03-30T12:00:00Z';
    await backend.createSale({
      name: 'Easter', targets: { skus: ['85123A'], products: [], category: null, all: false },
      discount: { percent: 10, amount_off: null, sale_price: null },
      starts_at: '2024-03-30T22:00', ends_at: '2024-04-01T10:00', stock_cap: null, mode: 'discount', code: null, per_customer_limit: null,
    });
    await openPromotions(backend);
    expect((await screen.findByTestId('calendar-month')).textContent).toBe('March 2024');
    // 22:00 UTC on the 30th is still the 30th in London (GMT until the 31st).
    await waitFor(() => expect(screen.getByTestId('day-2024-03-30').textContent).toContain('Easter'));
    expect(screen.getByTestId('day-2024-03-31').textContent).toContain('Easter');
    expect(screen.getByTestId('day-2024-03-29').textContent).not.toContain('Easter');
    await fireEvent.click(screen.getByTestId('calendar-next'));
    expect(screen.getByTestId('calendar-month').textContent).toBe('April 2024');
    expect(screen.getByTestId('day-2024-04-01').textContent).toContain('Easter');
    expect(screen.getByTestId('day-2024-04-02').textContent).not.toContain('Easter');
  });
});

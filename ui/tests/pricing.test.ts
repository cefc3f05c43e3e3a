import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { MockBackend, demoShop } from './mock';
import { sortSignals, toMinor } from '../src/lib/pricing';

async function openPricing(backend: MockBackend) {
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByTestId('nav-pricing'));
}

describe('Pricing', () => {
  it('suggests a price with its reasons, takes the owner edit, applies it and reverts it', async () => {
    const backend = new MockBackend(demoShop);
    await openPricing(backend);
    // Enabled once the rule sets have loaded.
    await waitFor(() => expect((screen.getByTestId('rules-suggest') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('rules-suggest'));
    const row = await screen.findByTestId('proposal-row');
    expect(row.dataset.sku).toBe('85123A');
    // 2.95 × 1.05 = 3.0975 → 3.10, with the signal and the rule that made it.
    expect((within(row).getByTestId('proposal-price') as HTMLInputElement).value).toBe('3.10');
    expect(row.textContent).toContain('10 days of cover');
    expect(row.textContent).toContain('rule 1 (low stock)');
    expect(screen.getByTestId('apply-proposal').hasAttribute('disabled')).toBe(true);

    // Below the floor is refused, nothing changes.
    await fireEvent.input(within(row).getByTestId('proposal-price'), { target: { value: '1.00' } });
    await fireEvent.click(within(row).getByTestId('proposal-set'));
    expect((await screen.findByTestId('pricing-error')).textContent).toContain('below this item');
    expect(backend.proposalsMade[0].items[0].proposed_minor).toBe(310);

    await fireEvent.input(within(screen.getByTestId('proposal-row')).getByTestId('proposal-price'), { target: { value: '3.05' } });
    await fireEvent.click(within(screen.getByTestId('proposal-row')).getByTestId('proposal-set'));
    await waitFor(() => expect(screen.getByTestId('proposal-item-status').textContent).toBe('approved'));
    await fireEvent.click(screen.getByTestId('apply-proposal'));
    expect((await screen.findByTestId('pricing-notice')).textContent).toContain('1 new prices applied in journal batch 1');
    expect(backend.prices['85123A']).toBe(305);
    expect(screen.getByTestId('proposal-status').textContent).toBe('applied');

    await fireEvent.click(screen.getByTestId('revert-proposal'));
    await waitFor(() => expect(screen.getByTestId('pricing-notice').textContent).toContain('Reverted 1 price to what'));
    expect(backend.prices['85123A']).toBe(295);
  });

  it('compares current prices with a manual edit: totals, deltas and the fan chart', async () => {
    const backend = new MockBackend(demoShop);
    await openPricing(backend);
    await fireEvent.click(await screen.findByTestId('tab-whatif'));
    await fireEvent.click(screen.getByTestId('add-manual'));
    await fireEvent.input(screen.getByTestId('edit-which'), { target: { value: 'Lighting' } });
    await fireEvent.click(screen.getByTestId('compare'));
    const cards = await screen.findAllByTestId('compare-card');
    expect(cards).toHaveLength(2);
    // 30 days: today 2×30 + 1×30 = 90 units; −10 % on 85123A: 2×0.9^−2×30 = 74.07, + 30.
    expect(within(cards[0]).getByTestId('card-units').textContent).toContain('90');
    expect(within(cards[1]).getByTestId('card-units').textContent).toContain('104');
    expect(within(cards[1]).getByTestId('card-delta').textContent).toContain('+14 units');
    const rows = screen.getAllByTestId('delta-row');
    expect(rows).toHaveLength(1);
    // Money as the shop writes it, in the cards, the deltas and the table.
    expect(rows[0].textContent).toContain('£2.95 → £2.66');
    expect(rows[0].textContent).toContain('£117.00 → £122.50 (+£5.50)');
    // The elasticity with its uncertainty.
    expect(rows[0].textContent).toContain('-2.00 ± 0.30');
    expect(within(cards[1]).getByTestId('card-delta').textContent).toBe('+£5.50 profit, +14 units');
    expect(within(cards[1]).getByTestId('card-profit').textContent).toMatch(/^£[\d,]+\.\d\d \(£/);
    expect(screen.getByTestId('fan-band-1')).toBeTruthy();
    // The chart names its lines and dates its axis from the shop's next day.
    expect(screen.getByTestId('fan-legend').textContent).toContain('Current prices');
    expect(screen.getByTestId('fan-legend').textContent).toContain('p10–p90');
    expect(screen.getAllByTestId('fan-date')[0].textContent).toBe('10 Dec 2011');
    const call = backend.calls.filter((c) => c === 'compareScenarios');
    expect(call).toHaveLength(1);
  });

  it('sorts the signals table by a column, both ways', async () => {
    const backend = new MockBackend(demoShop);
    await openPricing(backend);
    await fireEvent.click(await screen.findByTestId('tab-signals'));
    await screen.findAllByTestId('signal-row');
    await fireEvent.click(screen.getByTestId('sort-price'));
    let rows = screen.getAllByTestId('signal-row');
    expect(rows[0].textContent).toContain('22423');
    await fireEvent.click(screen.getByTestId('sort-price'));
    rows = screen.getAllByTestId('signal-row');
    expect(rows[0].textContent).toContain('85123A');
  });

  it('shows each elasticity with its error, and says when it is only the prior', async () => {
    const backend = new MockBackend(demoShop);
    await openPricing(backend);
    await fireEvent.click(await screen.findByTestId('tab-signals'));
    await screen.findAllByTestId('signal-elasticity');
    const cells = screen.getAllByTestId('signal-elasticity');
    const bySku = new Map(screen.getAllByTestId('signal-row').map((r, i) => [r.querySelector('td')!.textContent!.trim(), cells[i]]));
    const own = bySku.get('85123A')!;
    expect(own.textContent!.trim()).toBe('−2.00 ± 0.30');
    expect(own.getAttribute('title')).toContain('From its own 52 weeks');
    expect(own.getAttribute('title')).toContain('between −2.38 and −1.62');
    const prior = bySku.get('22423')!;
    expect(prior.textContent).toContain('prior');
    expect(prior.getAttribute('title')).toContain('never moved enough');
  });

  it('puts unknown values last and reads typed amounts exactly', async () => {
    const backend = new MockBackend(demoShop);
    const s = await backend.pricingSignals();
    expect(sortSignals(s, 'competitor', false).map((x) => x.sku)).toEqual(['22423', '85123A']);
    expect(sortSignals(s, 'competitor', true).map((x) => x.sku)).toEqual(['22423', '85123A']);
    expect(toMinor('2.49', 2)).toBe(249);
    expect(toMinor('0.1', 2)).toBe(10);
    expect(toMinor('1.234', 2)).toBeNull();
    expect(toMinor('-1', 2)).toBeNull();
  });
});

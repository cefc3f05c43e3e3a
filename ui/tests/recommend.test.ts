import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { MockBackend, demoShop } from './mock';

describe('the Recommendations page', () => {
  it('builds, shows a product’s lists with reasons, pins, excludes and restores, and names a wrong SKU', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-recommendations'));
    await waitFor(() => expect(screen.getByTestId('rec-build').textContent).toContain('Not built yet'));
    // Before a build the list says how to get one.
    await fireEvent.input(screen.getByTestId('rec-sku'), { target: { value: '85123A' } });
    await fireEvent.click(screen.getByTestId('rec-show'));
    await waitFor(() => expect(screen.getByTestId('rec-list-error').textContent).toContain('build them first'));

    await fireEvent.click(screen.getByTestId('rec-build-button'));
    await waitFor(() => expect(screen.getByTestId('rec-notice').textContent).toContain('Built the lists of 4 products from 21,874 orders in 0.6 s'));
    await fireEvent.click(screen.getByTestId('rec-push'));
    await waitFor(() => expect(screen.getByTestId('rec-notice').textContent).toBe('8 lists sent to the storefront, 0 already there (4 products). Journal batch 7: revert it in the Journal to take them back.'));
    await fireEvent.click(screen.getByTestId('rec-show'));
    const table = await screen.findByTestId('rec-items');
    const rows = () => within(screen.getByTestId('rec-items')).getAllByRole('row').slice(1) as HTMLTableRowElement[];
    expect(rows().map((r) => r.cells[0].textContent)).toEqual(['21733', '22633', '84029E']);
    expect(rows()[0].textContent).toContain('bought together in 40 orders');
    // Money as the shop writes it; a missing cost is said, not shown as £0.
    expect(rows()[0].cells[2].textContent).toBe('£2.95');
    expect(rows()[0].cells[3].textContent).toBe('£1.45');
    expect(rows()[1].cells[3].textContent).toBe('no unit cost');
    expect(rows()[2].cells[3].textContent).toBe('£2.25');
    expect(table).toBeTruthy();

    // Exclude the first, pin the last: the pin leads, the exclusion waits below.
    await fireEvent.click(within(rows()[0]).getByText('Exclude'));
    await waitFor(() => expect(screen.getByTestId('rec-excluded').textContent).toContain('21733'));
    await fireEvent.click(within(rows()[1]).getByText('Pin'));
    await waitFor(() => expect(rows()[0].cells[0].textContent).toBe('84029E'));
    expect(rows()[0].textContent).toContain('pinned by you');
    expect(rows().map((r) => r.cells[0].textContent)).not.toContain('21733');
    await fireEvent.click(within(screen.getByTestId('rec-excluded')).getByText('Show again'));
    await waitFor(() => expect(rows().map((r) => r.cells[0].textContent)).toContain('21733'));

    // A SKU the shop does not have is named, in the owner's words.
    await fireEvent.input(screen.getByTestId('rec-pin-sku'), { target: { value: 'NOPE' } });
    await fireEvent.click(screen.getByTestId('rec-pin'));
    await waitFor(() => expect(screen.getByTestId('rec-list-error').textContent).toBe('no product with SKU NOPE'));
    await fireEvent.input(screen.getByTestId('rec-sku'), { target: { value: '  ' } });
    await fireEvent.click(screen.getByTestId('rec-show'));
    await waitFor(() => expect(screen.getByTestId('rec-list-error').textContent).toContain('Type a product’s SKU first'));

    // Picks for a customer, and one the shop does not know.
    await fireEvent.input(screen.getByTestId('rec-customer'), { target: { value: '17850' } });
    await fireEvent.click(screen.getByTestId('rec-picks-button'));
    await waitFor(() => expect(screen.getByTestId('rec-picks').textContent).toContain('you bought it in 30 orders'));
    await fireEvent.input(screen.getByTestId('rec-customer'), { target: { value: 'zed' } });
    await fireEvent.click(screen.getByTestId('rec-picks-button'));
    await waitFor(() => expect(screen.getByTestId('rec-picks-error').textContent).toContain('no customer zed'));
  });
});

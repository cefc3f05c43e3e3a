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
    await waitFor(() => expect(screen.getByTestId('rec-list-error').textContent).toBe('Type a product’s SKU first'));

    // Picks for a customer, and one the shop does not know.
    await fireEvent.input(screen.getByTestId('rec-customer'), { target: { value: '17850' } });
    await fireEvent.click(screen.getByTestId('rec-picks-button'));
    await waitFor(() => expect(screen.getByTestId('rec-picks').textContent).toContain('you bought it in 30 orders'));
    await fireEvent.input(screen.getByTestId('rec-customer'), { target: { value: 'zed' } });
    await fireEvent.click(screen.getByTestId('rec-picks-button'));
    await waitFor(() => expect(screen.getByTestId('rec-picks-error').textContent).toContain('no customer zed'));
  });
});

describe('the Bundles panel', () => {
  it('finds bundles with their margin, saves a draft, refuses one below the floor until a reason is given, launches and ends', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-recommendations'));
    await waitFor(() => expect(screen.getByTestId('bundles-empty').textContent).toContain('No bundles yet'));
    await fireEvent.click(screen.getByTestId('bundles-find'));
    await waitFor(() => expect(screen.getByTestId('bundles-figures').textContent).toContain('21,874 orders searched: 3 pairs and 0 triples are in 110 orders or more'));
    expect(screen.getByTestId('bundles-figures').textContent).toContain('1 more are left out');
    const rows = () => within(screen.getByTestId('bundles-suggestions')).getAllByRole('row').slice(1) as HTMLTableRowElement[];
    expect(rows()).toHaveLength(2);
    // £2.95 + £2.95, 10 % off the red heart (£2.655 to £2.66): £5.61, less costs £2.90.
    const first = rows()[0];
    expect(first.cells[0].textContent).toContain('85123A');
    expect(first.cells[1].textContent).toContain('21733');
    expect(first.cells[4].textContent).toContain('floor allows 41 %');
    expect([first.cells[5].textContent, first.cells[6].textContent]).toEqual(['£5.90 → £5.61', '£2.71']);
    expect(rows()[1].cells[6].textContent).toBe('no unit cost');

    // A percent that is not a whole number from 1 to 99 is named.
    const percent = within(first).getByTestId('bundles-percent');
    await fireEvent.input(percent, { target: { value: '12.5' } });
    await fireEvent.click(within(first).getByTestId('bundles-draft'));
    await waitFor(() => expect(screen.getByTestId('bundles-error').textContent).toBe('Percent off 21733: give a whole number from 1 to 99.'));
    expect(backend.bundleList).toHaveLength(0);

    // 60 % off goes below the floor: the draft is saved and its check says so.
    await fireEvent.input(percent, { target: { value: '60' } });
    await fireEvent.click(within(first).getByTestId('bundles-draft'));
    await waitFor(() => expect(screen.getByTestId('bundles-check').textContent).toContain('below the margin floor £1.80'));
    expect(backend.bundleList[0].file).toEqual({ name: 'White hanging heart t-light holder + Red hanging heart t-light holder', buy: ['85123A'], get: '21733', percent: 60, ends_at: null });
    await fireEvent.click(screen.getByTestId('bundles-launch'));
    await waitFor(() => expect(screen.getByTestId('bundles-drafts-error').textContent).toContain('was not launched'));
    expect(screen.getByTestId('bundles-status').textContent).toBe('Draft');
    const anyway = screen.getByTestId('bundles-launch-anyway') as HTMLButtonElement;
    expect(anyway.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('bundles-reason'), { target: { value: 'clearing old stock' } });
    await fireEvent.click(anyway);
    await waitFor(() => expect(screen.getByTestId('bundles-status').textContent).toBe('Live'));
    expect(backend.bundleList[0].override_reason).toBe('clearing old stock');
    expect(screen.getByTestId('bundles-drafts-notice').textContent).toContain('is live on the storefront (journal batch 9)');
    await fireEvent.click(screen.getByTestId('bundles-end'));
    await waitFor(() => expect(screen.getByTestId('bundles-status').textContent).toBe('Ended'));
  });
});

import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { MockBackend, demoShop } from './mock';

describe('the Subscriptions page', () => {
  it('shows the month, the plans and the book; pauses, skips, resumes and cancels; names a wrong month', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-subscriptions'));
    // The month of the shop's today, its MRR as the shop writes money.
    await waitFor(() => expect(screen.getByTestId('subs-mrr').textContent).toBe('£30.00'));
    expect((screen.getByTestId('subs-month-input') as HTMLInputElement).value).toBe('2011-12');
    expect(screen.getByTestId('subs-boxes-total').textContent).toBe('1');
    await waitFor(() => expect(screen.getByTestId('subs-calendar').textContent).toContain('2011-12-15S1 17850 (Gold, £30.00)'));
    const rows = () => within(screen.getByTestId('subs-list')).getAllByRole('row').slice(1) as HTMLTableRowElement[];
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(rows()[1].textContent).toContain('until 2012-01-05');
    // The next renewal due is after the pause, not the file's next_renewal_on.
    expect(rows()[1].cells[5].textContent).toBe('2012-01-10');
    expect(rows()[1].cells[4].textContent).toBe('£18.00 every 2 weeks');

    // Search narrows the book.
    await fireEvent.input(screen.getByTestId('subs-search'), { target: { value: '1304' } });
    await waitFor(() => expect(rows()).toHaveLength(1));
    await fireEvent.input(screen.getByTestId('subs-search'), { target: { value: '' } });

    // Skip, then cancel without a reason (named), then with one.
    await fireEvent.click(within(rows()[0]).getByTestId('subs-skip'));
    await waitFor(() => expect(screen.getByTestId('subs-notice').textContent).toBe('Subscription S1: the renewal of 2011-12-15 is skipped.'));
    await waitFor(() => expect(screen.getByTestId('subs-boxes-total').textContent).toBe('0'));
    await waitFor(() => expect(screen.getByTestId('subs-calendar').textContent).toContain('S1 17850 (Gold, £30.00), skipped'));
    expect(rows()[0].cells[5].textContent).toContain('2012-01-15');
    await fireEvent.click(within(rows()[0]).getByText('Cancel'));
    await fireEvent.click(screen.getByTestId('subs-cancel'));
    await waitFor(() => expect(screen.getByTestId('subs-error').textContent).toBe('Reason: say why it is cancelled.'));
    await fireEvent.input(screen.getByTestId('subs-reason'), { target: { value: 'moved abroad' } });
    await fireEvent.click(screen.getByTestId('subs-cancel'));
    await waitFor(() => expect(rows()[0].textContent).toContain('moved abroad'));
    await waitFor(() => expect(screen.getByTestId('subs-mrr').textContent).toBe('£0.00'));

    // Resume the paused one.
    await fireEvent.click(within(rows()[1]).getByText('Resume'));
    await waitFor(() => expect(rows()[1].cells[3].textContent).toContain('Active'));

    await fireEvent.input(screen.getByTestId('subs-month-input'), { target: { value: '2011-13' } });
    // Once the month has loaded again after the change.
    await waitFor(() => expect((screen.getByTestId('subs-month-show') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('subs-month-show'));
    await waitFor(() => expect(screen.getByTestId('subs-month-error').textContent).toBe('Month: write it as 2026-11.'));
  });
});

describe('failed renewals', () => {
  it('lists a past-due subscription with its next action, saves the plan (a wrong one named) and marks the customer contacted', async () => {
    const backend = new MockBackend(demoShop);
    backend.subs.push({ ...structuredClone(backend.subs[0]), id: 3, external_id: 'S3', customer: '12583', status: 'past_due' });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-subscriptions'));
    const queue = await screen.findByTestId('subs-queue');
    const row = within(queue).getAllByRole('row')[1] as HTMLTableRowElement;
    expect(row.cells[0].textContent).toBe('S3');
    expect(row.cells[2].textContent).toBe('2011-12-05');
    expect(row.cells[3].textContent).toContain('retry on 2011-12-12');
    expect((screen.getByTestId('subs-retry') as HTMLInputElement).value).toBe('1, 3, 7');

    await fireEvent.input(screen.getByTestId('subs-retry'), { target: { value: '1, three' } });
    await fireEvent.click(screen.getByTestId('subs-plan-save'));
    await waitFor(() => expect(screen.getByTestId('subs-dunning-error').textContent).toBe('Retry after (days): give whole days separated by commas, such as 1, 3, 7.'));
    await fireEvent.input(screen.getByTestId('subs-retry'), { target: { value: '2, 4, 8' } });
    await fireEvent.change(screen.getByTestId('subs-then'), { target: { value: 'cancel' } });
    await fireEvent.click(screen.getByTestId('subs-plan-save'));
    await waitFor(() => expect(backend.dunningPlan).toEqual({ retry_days: [2, 4, 8], final_action: 'cancel' }));

    await fireEvent.click(within(screen.getByTestId('subs-queue')).getByText('Mark contacted'));
    await waitFor(() => expect((within(screen.getByTestId('subs-queue')).getAllByRole('row')[1] as HTMLTableRowElement).cells[4].textContent).not.toBe('—'));
  });
});

describe('set-up, renewals and boxes', () => {
  it('saves the set-up (a wrong field named), runs the renewals due, plans the month’s boxes and saves the picking list', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-subscriptions'));
    const gold = await screen.findByTestId('subs-setup-Gold');
    // Renewals wait for "Merchant Desk bills".
    expect((screen.getByTestId('subs-renew-run') as HTMLButtonElement).disabled).toBe(true);

    // Items per box as a word: named before anything is sent.
    await fireEvent.input(within(gold).getByTestId('setup-items'), { target: { value: 'two' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-error').textContent).toBe('Gold: items per box: give a whole number from 0 to 50.'));
    // Items but nothing to make them of: the backend names it.
    await fireEvent.input(within(gold).getByTestId('setup-items'), { target: { value: '2' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-error').textContent).toBe('From categories: plan "Gold": name the categories or products its boxes are made of.'));
    await fireEvent.input(within(gold).getByTestId('setup-categories'), { target: { value: 'Teas' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-error').textContent).toContain('no product is in the category "Teas"'));
    await fireEvent.input(within(gold).getByTestId('setup-categories'), { target: { value: 'Tea' } });
    await fireEvent.change(screen.getByTestId('subs-billing'), { target: { value: 'desk' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-notice').textContent).toBe('Set-up saved.'));
    expect(backend.setup.plan[0]).toMatchObject({ name: 'Gold', items: 2, categories: ['Tea'], box_sku: null });

    // Each subscriber's plan goes to the storefront.
    await fireEvent.click(screen.getByTestId('subs-push-plans'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-notice').textContent).toBe('2 customers: 4 changes sent, 0 already so.'));
    expect(screen.queryByTestId('subs-benefits')).toBeNull();

    // What Gold brings: wrong fields named, then the codes it gets.
    const perks = screen.getByTestId('subs-benefits-Gold');
    await fireEvent.input(within(perks).getByTestId('setup-discount'), { target: { value: '95' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-error').textContent).toBe('Gold: member discount %: give a whole number from 0 to 90.'));
    await fireEvent.input(within(perks).getByTestId('setup-discount'), { target: { value: '10' } });
    await fireEvent.input(within(perks).getByTestId('setup-multiplier'), { target: { value: 'double' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-error').textContent).toBe('Gold: points multiplier: give a number from 1 to 10, such as 1.5.'));
    await fireEvent.input(within(perks).getByTestId('setup-multiplier'), { target: { value: '1.5' } });
    await fireEvent.input(within(perks).getByTestId('setup-early'), { target: { value: '24' } });
    await fireEvent.click(within(perks).getByTestId('setup-shipping'));
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-notice').textContent).toBe('Set-up saved.'));
    expect(backend.setup.plan[0]).toMatchObject({ discount_percent: 10, free_shipping: true, early_access_hours: 24, points_multiplier: '1.5' });
    await fireEvent.click(screen.getByTestId('subs-push-plans'));
    const member = await screen.findByTestId('benefit-GOLD-MEMBERS');
    expect(member.textContent).toContain('created, for 2 customers; 1 item left out.');
    expect(member.textContent).toContain('T2 at £4.50 with it, floor £4.80');
    expect(screen.getByTestId('benefit-GOLD-SHIPPING').textContent).toContain('free shipping): created, for 2 customers.');

    // Renewals: without a box product the renewal is not sent, and says why.
    await waitFor(() => expect((screen.getByTestId('subs-renew-run') as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(screen.getByTestId('subs-renew-run'));
    const renewals = await screen.findByTestId('subs-renewals');
    expect(renewals.textContent).toContain('Not sent');
    expect(renewals.textContent).toContain('plan "Gold" has no box product');
    await fireEvent.input(within(gold).getByTestId('setup-box'), { target: { value: 'BOX-G' } });
    await fireEvent.click(screen.getByTestId('subs-setup-save'));
    await waitFor(() => expect(screen.getByTestId('subs-setup-notice').textContent).toBe('Set-up saved.'));
    await fireEvent.click(screen.getByTestId('subs-renew-run'));
    await waitFor(() => expect(screen.getByTestId('subs-renew-notice').textContent).toBe('1 billed, 0 failed, 0 being processed, 0 not sent.'));
    expect(screen.getByTestId('subs-renewals').textContent).toContain('Billed: order S1-20111215');
    // Contracts need a connected Shopify store: said in the owner's words.
    await fireEvent.click(screen.getByTestId('subs-sync'));
    await waitFor(() => expect(screen.getByTestId('subs-renew-error').textContent).toContain('no Shopify store is connected'));

    // Boxes: December's one box, most stock first, with the picking totals.
    await waitFor(() => expect(screen.getByTestId('curation-summary').textContent).toContain('1 due and not planned yet'));
    await fireEvent.click(screen.getByTestId('curation-plan'));
    await waitFor(() => expect(screen.getByTestId('curation-notice').textContent).toBe('1 box planned; their items are reserved.'));
    const box = within(screen.getByTestId('curation-boxes')).getAllByRole('row')[1] as HTMLTableRowElement;
    expect(box.cells[4].textContent).toBe('T3 — Tea T3T1 — Tea T1');
    const pick = within(screen.getByTestId('curation-picking')).getAllByRole('row').slice(1).map((r) => (r as HTMLTableRowElement).cells[0].textContent);
    expect(pick).toEqual(['T1', 'T3']);
    // Planning again plans nothing more.
    await fireEvent.click(screen.getByTestId('curation-plan'));
    await waitFor(() => expect(screen.getByTestId('curation-notice').textContent).toBe('Every box due this month is planned already.'));
    // The picking list needs a place; then it is saved.
    await fireEvent.click(screen.getByTestId('picking-save'));
    await waitFor(() => expect(screen.getByTestId('curation-error').textContent).toBe('Save to: choose where the picking list goes.'));
    await fireEvent.click(screen.getByText('Choose…', { selector: '[data-testid="subs-curation"] button' }));
    await waitFor(() => expect((screen.getByTestId('picking-path') as HTMLInputElement).value).toBe('/tmp/picking-2011-12.csv'));
    await fireEvent.click(screen.getByTestId('picking-save'));
    await waitFor(() => expect(screen.getByTestId('curation-notice').textContent).toBe('Picking list saved to /tmp/picking-2011-12.csv.'));
    expect(backend.savedFiles['/tmp/picking-2011-12.csv'].split('\n')[1]).toBe('2011-12-15,S1,17850,a@example.com,Gold,T3,Tea T3');
    // A wrong month is named.
    await fireEvent.input(screen.getByTestId('curation-month'), { target: { value: 'December' } });
    await fireEvent.click(screen.getByTestId('curation-plan'));
    await waitFor(() => expect(screen.getByTestId('curation-error').textContent).toBe('Month: write it as 2026-12.'));
  });
});

describe('the last twelve months', () => {
  it('draws MRR month by month and the cohorts as shares of who started', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-subscriptions'));
    const chart = await screen.findByTestId('subs-mrr-chart');
    const points = chart.querySelectorAll('circle');
    expect(points).toHaveLength(12);
    expect(points[11].querySelector('title')!.textContent).toBe('2011-12: MRR £30.00, 2 active, 0 new, 0 cancelled');
    const rows = within(screen.getByTestId('subs-cohorts')).getAllByRole('row').slice(1) as HTMLTableRowElement[];
    // Only the months something started in; January's share in its month.
    expect(rows.map((r) => r.cells[0].textContent)).toEqual(['2011-01', '2011-03']);
    expect(rows[0].cells[2].textContent).toBe('100 %');
  });
});

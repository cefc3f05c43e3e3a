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
    expect(screen.getByTestId('subs-boxes-total').textContent).toBe('0');
    expect(rows()[0].cells[5].textContent).toContain('2012-01-15');
    await fireEvent.click(within(rows()[0]).getByText('Cancel'));
    await fireEvent.click(screen.getByTestId('subs-cancel'));
    await waitFor(() => expect(screen.getByTestId('subs-error').textContent).toBe('Reason: say why it is cancelled.'));
    await fireEvent.input(screen.getByTestId('subs-reason'), { target: { value: 'moved abroad' } });
    await fireEvent.click(screen.getByTestId('subs-cancel'));
    await waitFor(() => expect(rows()[0].textContent).toContain('moved abroad'));
    expect(screen.getByTestId('subs-mrr').textContent).toBe('£0.00');

    // Resume the paused one.
    await fireEvent.click(within(rows()[1]).getByText('Resume'));
    await waitFor(() => expect(rows()[1].cells[3].textContent).toContain('Active'));

    await fireEvent.input(screen.getByTestId('subs-month-input'), { target: { value: '2011-13' } });
    await fireEvent.click(screen.getByTestId('subs-month-show'));
    await waitFor(() => expect(screen.getByTestId('subs-month-error').textContent).toBe('Month: write it as 2026-11.'));
  });
});

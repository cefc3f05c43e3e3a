import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { MockBackend, demoShop } from './mock';
import { BackendError } from '../src/lib/transport';

describe('App', () => {
  it('offers the demo shop when no shop is set up, then shows its dashboard', async () => {
    const backend = new MockBackend(null);
    render(App, { props: { backend } });
    const button = await screen.findByTestId('open-demo');
    await fireEvent.click(button);
    expect(await screen.findByTestId('kpi-gross_sales-value')).toHaveProperty('textContent', '£1,234.56');
    expect(screen.getByTestId('kpi-orders-value').textContent).toBe('4');
    expect(screen.getByTestId('kpi-aov-value').textContent).toBe('£308.64');
    // Net sales rose from £1,000.00 to £1,224.56.
    expect(within(screen.getByTestId('kpi-net_sales')).getByText(/\+22\.5%/)).toBeTruthy();
    expect(screen.getByTestId('demo-note').textContent).toContain('demo assumptions');
    expect(backend.calls).toContain('openDemo');
  });

  it('asks for the 30 days ending on the shop\'s today', async () => {
    const backend = new MockBackend(demoShop);
    const seen: unknown[] = [];
    const original = backend.dashboard.bind(backend);
    backend.dashboard = async (request) => {
      seen.push(request);
      return original(request);
    };
    render(App, { props: { backend } });
    await screen.findByTestId('kpi-orders-value');
    expect(seen[0]).toEqual({ range: { from: '2011-11-10', to: '2011-12-09' }, granularity: 'day' });
  });

  it('sorts the top products by any column', async () => {
    render(App, { props: { backend: new MockBackend(demoShop) } });
    const table = await screen.findByTestId('top-products');
    const firstTitle = () => within(table).getAllByRole('row')[1].children[1].textContent;
    expect(firstTitle()).toBe('REGENCY CAKESTAND 3 TIER');
    await fireEvent.click(screen.getByTestId('sort-units'));
    expect(firstTitle()).toBe('WHITE HANGING HEART T-LIGHT HOLDER');
    await fireEvent.click(screen.getByTestId('sort-units'));
    expect(firstTitle()).toBe('REGENCY CAKESTAND 3 TIER');
    await fireEvent.click(screen.getByTestId('sort-title'));
    expect(firstTitle()).toBe('PARTY BUNTING');
  });

  it('shows honest empty states for sections not built yet', async () => {
    render(App, { props: { backend: new MockBackend(demoShop) } });
    await fireEvent.click(await screen.findByTestId('nav-customers'));
    expect(screen.getByTestId('empty-state').textContent).toContain('Not built yet');
  });

  it('shows a backend error message from its code and message', async () => {
    const backend = new MockBackend(null);
    render(App, { props: { backend } });
    backend.failNextWith = new BackendError({ code: 'io', message: 'disk full' });
    await fireEvent.click(await screen.findByTestId('open-demo'));
    await waitFor(() => expect(screen.getByTestId('welcome-error').textContent).toBe('disk full'));
  });

  it('reports an import with its skipped rows by reason and line', async () => {
    render(App, { props: { backend: new MockBackend(demoShop) } });
    await fireEvent.click(await screen.findByTestId('nav-import'));
    await fireEvent.input(screen.getByTestId('import-path'), { target: { value: '/tmp/orders.csv' } });
    await fireEvent.click(screen.getByTestId('import-start'));
    const report = await screen.findByTestId('import-report');
    expect(report.textContent).toContain('Imported 2 of 3 rows from orders.csv');
    expect(report.textContent).toContain('quantity is zero or negative');
  });
});

describe('Dashboard day fields', () => {
  it('read and write days in the shop order and apply on Enter or leaving the field', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    const from = (await screen.findByTestId('range-from')) as HTMLInputElement;
    await waitFor(() => expect(from.value).toBe('10/11/2011'));
    const calls = () => backend.calls.filter((c) => c === 'dashboard').length;
    const before = calls();
    // Typing does nothing until Enter: a UK shop reads 12/09/2011 as 12 September.
    for (const partial of ['1', '12/0', '12/09/2011']) await fireEvent.input(from, { target: { value: partial } });
    expect(calls()).toBe(before);
    await fireEvent.keyDown(from, { key: 'Enter' });
    await waitFor(() => expect(backend.lastDashboard?.range?.from).toBe('2011-09-12'));
    // A day that does not exist is refused, with the pattern to type.
    await fireEvent.input(from, { target: { value: '31/02/2011' } });
    await fireEvent.blur(from);
    expect((await screen.findByTestId('range-error')).textContent).toContain('From: give a day as DD/MM/YYYY (or 2011-12-09).');
    expect(backend.lastDashboard?.range?.from).toBe('2011-09-12');
  });
});

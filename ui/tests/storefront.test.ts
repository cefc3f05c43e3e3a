import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { MOCK_TOKEN, MockBackend } from './mock';

async function fillConnect(secret: string) {
  await fireEvent.input(await screen.findByTestId('connect-shop'), { target: { value: 'mock-gifts.myshopify.com' } });
  await fireEvent.input(screen.getByTestId('connect-secret'), { target: { value: secret } });
}

/** A backend whose next sync waits until the returned function is called. */
function gated(backend: MockBackend): () => void {
  let open = () => {};
  backend.syncGate = new Promise<void>((resolve) => (open = resolve));
  return () => {
    backend.syncGate = null;
    open();
  };
}

describe('Storefront connection and sync', () => {
  it('tests the credentials, connects, and pulls the store with a progress bar and cancel', async () => {
    const backend = new MockBackend(null);
    render(App, { props: { backend } });
    await fillConnect('shpat_wrong');
    await fireEvent.click(screen.getByTestId('connect-test'));
    const refused = await screen.findByTestId('connect-error');
    expect(refused.textContent).toContain('refused the credentials');
    expect(refused.textContent).not.toContain('shpat_wrong');

    await fillConnect(MOCK_TOKEN);
    await fireEvent.click(screen.getByTestId('connect-test'));
    expect((await screen.findByTestId('connect-tested')).textContent).toBe(
      'Connected to Mock Gift Shop: prices in GBP, time zone Europe/London.',
    );
    expect(backend.connection).toBeNull();

    // Connecting starts the first sync; cancel it halfway.
    const release = gated(backend);
    await fireEvent.click(screen.getByTestId('connect-save'));
    const bar = await screen.findByTestId('progress');
    expect(bar.textContent).toContain('Pulling all products');
    expect(bar.textContent).toContain('3 records written');
    expect(screen.getByTestId('nav-syncing').textContent).toContain('pulling all products');
    await fireEvent.click(screen.getByTestId('cancel-job'));
    release();
    expect((await screen.findByTestId('sync-error')).textContent).toContain('Sync cancelled');
    await waitFor(() => expect(screen.getByTestId('last-sync').textContent).toContain('Last sync: cancelled'));
    expect(screen.getByTestId('shop-name-label').textContent).toBe('Mock Gift Shop');
    expect(screen.getByTestId('storefront-connected').textContent).toContain('https://mock-gifts.myshopify.com');
    expect(screen.getByTestId('storefront-connected').textContent).toContain('your system keyring');

    await fireEvent.click(screen.getByTestId('sync-full'));
    await fireEvent.click(screen.getByTestId('sync-now'));
    expect((await screen.findByTestId('sync-report')).textContent).toBe(
      'Full sync done in 1.5 s: 3 products, 2 customers, 5 orders, 1 discount written.',
    );
    await waitFor(() => expect(screen.getByTestId('last-sync').textContent).toContain('Last sync: completed 1 Jan 2024, 10:01'));
    expect(backend.calls.filter((c) => c === 'syncNow')).toHaveLength(2);
  });

  it('asks before disconnecting, then offers to connect again', async () => {
    const backend = new MockBackend(null);
    render(App, { props: { backend } });
    await fillConnect(MOCK_TOKEN);
    await fireEvent.click(screen.getByTestId('connect-save'));
    await screen.findByTestId('sync-report');
    await fireEvent.click(screen.getByTestId('disconnect'));
    expect(backend.connection).not.toBeNull();
    await fireEvent.click(screen.getByTestId('disconnect-confirm'));
    await screen.findByTestId('connect-form');
    expect(backend.connection).toBeNull();
  });
});

describe('Change journal', () => {
  it('pushes a price, lists it, and reverts it after asking about an upstream change', async () => {
    const backend = new MockBackend(null);
    render(App, { props: { backend } });
    await fillConnect(MOCK_TOKEN);
    await fireEvent.click(screen.getByTestId('connect-save'));
    await screen.findByTestId('sync-report');
    await fireEvent.click(screen.getByTestId('nav-journal'));
    expect((await screen.findByTestId('journal-empty')).textContent).toContain('Nothing has been pushed');

    await fireEvent.input(screen.getByTestId('push-sku'), { target: { value: 'NOPE' } });
    await fireEvent.input(screen.getByTestId('push-price'), { target: { value: '1' } });
    await fireEvent.click(screen.getByTestId('push-submit'));
    expect((await screen.findByTestId('journal-error')).textContent).toContain('no product with SKU NOPE');

    // A price that looks like a slip waits for a yes, and "Change it" sends nothing.
    await fireEvent.input(screen.getByTestId('push-sku'), { target: { value: '85123A' } });
    await fireEvent.input(screen.getByTestId('push-price'), { target: { value: '30.00' } });
    await fireEvent.click(screen.getByTestId('push-submit'));
    expect((await screen.findByTestId('push-unusual')).textContent).toContain('more than ten times the current price £2.95');
    expect(backend.prices['85123A']).toBe(295);
    await fireEvent.click(screen.getByText('Change it'));
    expect(screen.queryByTestId('push-unusual')).toBeNull();
    expect(backend.entries).toHaveLength(0);

    await fireEvent.input(screen.getByTestId('push-sku'), { target: { value: '85123A' } });
    await fireEvent.input(screen.getByTestId('push-price'), { target: { value: '3.45' } });
    await fireEvent.input(screen.getByTestId('push-reason'), { target: { value: 'test a higher price' } });
    await fireEvent.click(screen.getByTestId('push-submit'));
    expect((await screen.findByTestId('journal-notice')).textContent).toBe('Price of 85123A is now £3.45.');
    const row = await screen.findByTestId('journal-row-1');
    expect(row.textContent).toContain('£2.95');
    expect(row.textContent).toContain('manual: test a higher price');
    expect(screen.getByTestId('journal-status-1').textContent).toBe('confirmed');
    expect(backend.prices['85123A']).toBe(345);

    // Someone changes the price in the store: reverting asks first.
    backend.prices['85123A'] = 399;
    await fireEvent.click(screen.getByTestId('revert-1'));
    expect((await screen.findByTestId('revert-conflict')).textContent).toContain('changed in the store since');
    expect(backend.prices['85123A']).toBe(399);
    await fireEvent.click(screen.getByTestId('revert-force'));
    expect((await screen.findByTestId('journal-notice')).textContent).toBe('Reverted: Price of 85123A is £2.95 again.');
    expect(backend.prices['85123A']).toBe(295);
    expect(screen.getByTestId('journal-status-1').textContent).toBe('reverted');
    expect(screen.getByTestId('journal-row-2').textContent).toContain('revert: revert of entry 1');
    expect(screen.queryByTestId('revert-conflict')).toBeNull();
  });
});

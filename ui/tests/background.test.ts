import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import type { Notice } from '../src/lib/bindings/Notice';
import { MockBackend } from './mock';

function connectedBackend(): MockBackend {
  const backend = new MockBackend({
    name: 'Mock Gift Shop',
    platform: 'shopify',
    currency: 'GBP',
    time_zone: 'Europe/London',
    demo: false,
    fixed_today: null,
  });
  backend.connection = {
    platform: 'shopify',
    shop_url: 'https://mock-gifts.myshopify.com',
    auth: 'token',
    client_id: null,
    secret_env: null,
    api_version: '2026-10',
    connected_at: '2024-01-01T09:00:00Z',
  };
  return backend;
}

const started: Notice = {
  id: 7,
  created_at: '2024-01-01T10:00:00Z',
  kind: 'started',
  subject: 'sale',
  subject_id: 3,
  title: 'Sale “Winter warmers” started',
  body: 'Launched at its start.',
  read: false,
};

describe('The background loop in the side bar', () => {
  it('counts a new notification, lists it, and marks it read when opened', async () => {
    const backend = connectedBackend();
    render(App, { props: { backend } });
    expect((await screen.findByTestId('background-sync')).textContent).toContain('Next 1 Jan 2024, 10:15');
    expect(screen.queryByTestId('notices-unread')).toBeNull();

    backend.emit({ kind: 'sync_started' });
    expect((await screen.findByTestId('background-syncing')).textContent).toContain('Syncing in the background');
    backend.emit({ kind: 'round', round: { notices: [started], synced: null, skipped: false } });
    expect((await screen.findByTestId('notices-unread')).textContent).toBe('1');
    expect(screen.queryByTestId('background-syncing')).toBeNull();

    await fireEvent.click(screen.getByTestId('notices-button'));
    const listed = await screen.findAllByTestId('notice');
    expect(listed).toHaveLength(1);
    expect(listed[0].textContent).toContain('Sale “Winter warmers” started');
    expect(listed[0].textContent).toContain('1 Jan 2024, 10:00');
    await waitFor(() => expect(screen.queryByTestId('notices-unread')).toBeNull());
    expect(backend.notices.every((n) => n.read)).toBe(true);
  });

  it('sets the interval in Settings and refuses what is not a number of minutes', async () => {
    const backend = connectedBackend();
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-settings'));
    const field = await screen.findByTestId('sync-every');
    for (const wrong of ['abc', '-1', '2.5', '5000']) {
      await fireEvent.input(field, { target: { value: wrong } });
      await fireEvent.click(screen.getByTestId('sync-every-save'));
      expect((await screen.findByTestId('sync-every-error')).textContent).toBe('Sync every: give a whole number from 0 to 1440.');
    }
    expect(backend.syncEvery).toBe(15);
    await fireEvent.input(field, { target: { value: '0' } });
    await fireEvent.click(screen.getByTestId('sync-every-save'));
    await waitFor(() => expect(backend.syncEvery).toBe(0));
    expect((await screen.findByTestId('background-sync')).textContent).toContain('Background sync off');
  });
});

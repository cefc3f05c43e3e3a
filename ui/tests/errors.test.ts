// The UI tells errors apart by their code, never by their words.
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from '../src/App.svelte';
import { BackendError, toBackendError } from '../src/lib/transport';
import { MockBackend, demoShop } from './mock';

async function draftSale(backend: MockBackend) {
  backend.clock = '2024-01-01T12:00:00Z';
  await backend.createSale({
    name: 'Winter', targets: { skus: ['85123A'], products: [], category: null, all: false },
    discount: { percent: 10, amount_off: null, sale_price: null },
    starts_at: '2024-01-02T09:00', ends_at: '2024-01-02T21:00', stock_cap: null, mode: 'discount', code: null, per_customer_limit: null,
  });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByTestId('nav-promotions'));
  await waitFor(() => expect(screen.getByTestId('sale-status').textContent).toBe('draft'));
}

describe('Error codes', () => {
  it('offers the floor override on floor_override_required, whatever the message says', async () => {
    const backend = new MockBackend(demoShop);
    await draftSale(backend);
    backend.failOn.set('launchSale', new BackendError({ code: 'floor_override_required', message: 'Lampe: 0.89 is below the margin floor 1.20' }));
    await fireEvent.click(screen.getByTestId('sale-launch'));
    expect((await screen.findByTestId('promo-error')).textContent).toContain('below the margin floor 1.20');
    expect(screen.getByTestId('override-reason')).toBeTruthy();
  });

  it('does not offer it on another code, even with the same words', async () => {
    const backend = new MockBackend(demoShop);
    await draftSale(backend);
    backend.failOn.set('launchSale', new BackendError({ code: 'invalid_input', message: 'the sale ends before it starts (to go below the margin floor anyway, give the reason)' }));
    await fireEvent.click(screen.getByTestId('sale-launch'));
    expect((await screen.findByTestId('promo-error')).textContent).toContain('ends before it starts');
    expect(screen.queryByTestId('override-reason')).toBeNull();
  });

  it('turns the shell refusing an argument into invalid_input in the owner\'s words', () => {
    const e = toBackendError('invalid args `request` for command `compare_scenarios`: invalid type: null, expected usize');
    expect(e.code).toBe('invalid_input');
    expect(e.message).not.toMatch(/usize|invalid type|compare_scenarios/);
    const passed = toBackendError({ code: 'conflict', message: 'changed upstream' });
    expect([passed.code, passed.message]).toEqual(['conflict', 'changed upstream']);
  });
});

describe('Fields checked before they are sent', () => {
  it('names an empty Days field and leaves no results of other inputs on screen', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-pricing'));
    await fireEvent.click(await screen.findByTestId('tab-whatif'));
    await fireEvent.click(screen.getByTestId('add-manual'));
    await fireEvent.input(screen.getByTestId('edit-which'), { target: { value: 'Lighting' } });
    await fireEvent.click(screen.getByTestId('compare'));
    expect(await screen.findAllByTestId('compare-card')).toHaveLength(2);
    const sent = backend.calls.filter((c) => c === 'compareScenarios').length;

    await fireEvent.input(screen.getByTestId('whatif-days'), { target: { value: '' } });
    await fireEvent.click(screen.getByTestId('compare'));
    expect((await screen.findByTestId('whatif-error')).textContent).toBe('Days: give a whole number from 1 to 365.');
    expect(screen.queryAllByTestId('compare-card')).toHaveLength(0);
    expect(backend.calls.filter((c) => c === 'compareScenarios').length).toBe(sent);
  });

  it('names a cart quantity that is a word', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-promotions'));
    await fireEvent.input(await screen.findByTestId('tiers-target'), { target: { value: 'Lighting' } });
    await fireEvent.input(screen.getAllByTestId('cart-sku')[0], { target: { value: '22423' } });
    await fireEvent.input(screen.getAllByTestId('cart-qty')[0], { target: { value: 'six' } });
    await fireEvent.click(screen.getByTestId('tiers-check'));
    expect((await screen.findByTestId('tiers-error')).textContent).toBe('Units of 22423: give a whole number 1 or more.');
    expect(backend.calls).not.toContain('checkTiers');
  });
});

describe('Rule set fields', () => {
  it('names a guardrail left empty before the rules are sent', async () => {
    const { checkRules } = await import('../src/lib/pricing');
    const backend = new MockBackend(demoShop);
    const rules = structuredClone((await backend.ruleSets()).starter);
    expect(() => checkRules(rules)).not.toThrow();
    (rules.guardrails as { max_change_percent: unknown }).max_change_percent = null;
    expect(() => checkRules(rules)).toThrow('Max change per step %: give a number.');
    rules.guardrails.max_change_percent = 10;
    rules.horizon_days = 0;
    expect(() => checkRules(rules)).toThrow('Horizon (days): give a whole number from 1 to 365.');
  });
});

import { describe, expect, it } from 'vitest';
import { makeReward, makeRule, pageRange, rewardKind, ruleKind, ruleValue, starterProgramme } from '../src/lib/loyalty';

describe('the loyalty editor and members table', () => {
  it('reads and writes rules and rewards as a kind and a value', () => {
    expect(ruleKind({ spend: '1000' })).toBe('spend');
    expect(ruleValue({ months_in_a_row: 3 })).toBe('3');
    expect(makeRule('categories', '4')).toEqual({ categories: 4 });
    expect(makeRule('spend', ' 250.50 ')).toEqual({ spend: '250.50' });
    // Not a whole number: kept as typed, for the core's check to name.
    expect(makeRule('orders', 'five')).toEqual({ orders: 'five' });
    expect(makeReward('percent', '10')).toEqual({ percent: 10 });
    expect(makeReward('free_shipping', '')).toEqual({ free_shipping: true });
    expect(rewardKind(makeReward('amount', '7.50'))).toBe('amount');
  });

  it('starts a year before the shop\'s today', () => {
    expect(starterProgramme('2011-12-09').starts_on).toBe('2010-12-01');
  });

  it('says which members a page shows', () => {
    expect(pageRange(0, 200, 2639)).toBe('1–200 of 2,639');
    expect(pageRange(2600, 39, 2639)).toBe('2,601–2,639 of 2,639');
    expect(pageRange(0, 0, 0)).toBe('none of 0');
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import App from '../src/App.svelte';
import { MockBackend, demoShop } from './mock';

describe('the Loyalty page', () => {
  it('checks as the owner types, needs a reason past the floor, then lists members to award and redeem', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-loyalty'));
    await waitFor(() => expect(screen.getByTestId('programme-check').textContent).toContain('£5 off: keeps the margin floor'));
    // A wrong date is named before anything is saved.
    await fireEvent.input(screen.getByTestId('p-start'), { target: { value: '1 Jan' } });
    await waitFor(() => expect(screen.getByTestId('programme-check').textContent).toContain('is not a date'));
    expect((screen.getByTestId('launch') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(screen.getByTestId('p-start'), { target: { value: '2011-01-01' } });
    // A reward past the mock's floor: launching asks for a reason.
    await fireEvent.input(screen.getByLabelText('Discount'), { target: { value: '7.50' } });
    await waitFor(() => expect(screen.getByTestId('programme-check').textContent).toContain('below the margin floor'));
    await fireEvent.click(screen.getByTestId('simulate'));
    await waitFor(() => expect(screen.getByTestId('sim-cost').textContent).toContain('£3.06'));
    await fireEvent.click(screen.getByTestId('launch'));
    await waitFor(() => expect(screen.getByTestId('loyalty-error').textContent).toContain('give a reason'));
    await fireEvent.input(screen.getByTestId('override-reason'), { target: { value: 'worth it' } });
    await fireEvent.click(screen.getByTestId('override-launch'));
    await waitFor(() => expect(screen.getAllByTestId('member-row')).toHaveLength(2));
    expect(backend.programmes.map((p) => [p.status, p.floor_override])).toEqual([['live', 'worth it']]);
    await fireEvent.click(screen.getAllByTestId('member-row')[0]);
    await waitFor(() => expect(screen.getByTestId('member-ledger').textContent).toContain('alice: Bronze, 900 points to spend'));
    await fireEvent.click(screen.getByTestId('redeem'));
    await waitFor(() => expect(screen.getByTestId('member-notice').textContent).toContain('400 points left'));
    await fireEvent.click(screen.getByTestId('redeem'));
    await waitFor(() => expect(screen.getByTestId('member-error').textContent).toContain('has 400 points to spend'));
    // Back on the page later: the live programme opens as it is, members paged.
    await fireEvent.click(screen.getByTestId('nav-dashboard'));
    await fireEvent.click(await screen.findByTestId('nav-loyalty'));
    await waitFor(() => expect(screen.getByTestId('members-range').textContent).toBe('1–2 of 2'));
    expect(screen.queryByTestId('loyalty-error')).toBeNull();
    await fireEvent.input(screen.getByTestId('member-search'), { target: { value: 'BOB' } });
    await waitFor(() => expect(screen.getByTestId('members-range').textContent).toBe('1–1 of 1'));
  });

  it('launches the programme as edited after a refusal, not the draft refused', async () => {
    const backend = new MockBackend(demoShop);
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByTestId('nav-loyalty'));
    await fireEvent.input(await screen.findByLabelText('Discount'), { target: { value: '7.50' } });
    await waitFor(() => expect(screen.getByTestId('programme-check').textContent).toContain('below the margin floor'));
    await fireEvent.click(screen.getByTestId('launch'));
    await waitFor(() => expect(screen.getByTestId('loyalty-error').textContent).toContain('give a reason'));
    // The owner lowers the reward instead, then presses the same button.
    await fireEvent.input(screen.getByLabelText('Discount'), { target: { value: '4.00' } });
    await fireEvent.input(screen.getByTestId('override-reason'), { target: { value: 'just in case' } });
    await fireEvent.click(screen.getByTestId('override-launch'));
    await waitFor(() => expect(backend.programmes.some((p) => p.status === 'live')).toBe(true));
    const live = backend.programmes.find((p) => p.status === 'live')!;
    expect(live.programme.reward[0].discount).toEqual({ amount: '4.00' });
    expect(live.floor_override).toBeNull();
    expect(backend.programmes.map((p) => p.status)).toEqual(['draft', 'live']);
  });
});

import { describe, expect, it } from 'vitest';
import { dayOrder, readDateTime, readDay, writeDateTime, writeDay } from '../src/lib/dates';

describe('days in the shop order', () => {
  it('follow where the shop is', () => {
    expect(dayOrder({ time_zone: 'Europe/London', currency: 'GBP' })).toBe('dmy');
    expect(dayOrder({ time_zone: 'America/New_York', currency: 'USD' })).toBe('mdy');
    expect(dayOrder({ time_zone: 'America/Toronto', currency: 'CAD' })).toBe('dmy');
  });
  it('read what a UK and a US owner type, and refuse days that do not exist', () => {
    expect(readDay('12/09/2011', 'dmy')).toBe('2011-09-12');
    expect(readDay('12/09/2011', 'mdy')).toBe('2011-12-09');
    expect(readDay('2011-12-09', 'mdy')).toBe('2011-12-09');
    expect(readDay('9.12.2011', 'dmy')).toBe('2011-12-09');
    for (const bad of ['31/02/2011', '13/13/2011', '2011-02-29', '', '12/09', 'yesterday']) expect(readDay(bad, 'dmy')).toBeNull();
    expect(writeDay('2011-12-09', 'dmy')).toBe('09/12/2011');
    expect(writeDay('2011-12-09', 'mdy')).toBe('12/09/2011');
  });
  it('read and write moments for the sale window', () => {
    expect(writeDateTime('2011-12-10T09:00', 'dmy')).toBe('10/12/2011 09:00');
    expect(readDateTime('10/12/2011 09:00', 'dmy')).toBe('2011-12-10T09:00');
    expect(readDateTime('10/12/2011, 9:05', 'dmy')).toBe('2011-12-10T09:05');
    expect(readDateTime('2011-12-10T21:00', 'dmy')).toBe('2011-12-10T21:00');
    for (const bad of ['10/12/2011', '10/12/2011 24:00', '10/12/2011 09:60', '31/02/2011 09:00']) expect(readDateTime(bad, 'dmy')).toBeNull();
  });
});

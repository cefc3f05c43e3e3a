// Calendar days as the shop writes them. A browser's date field follows the
// machine's language (a UK shop on an American system reads 12/09/2011 as
// 9 December), so the app's day fields are text in the shop's order: day
// first for a shop in Europe and most of the world, month first for one in
// the United States, and ISO (2011-12-09) always understood.
import type { Shop } from './bindings/Shop';

export type DayOrder = 'dmy' | 'mdy';

/** The shop's order of day and month, from where it is. */
export function dayOrder(shop: Pick<Shop, 'time_zone' | 'currency'>): DayOrder {
  const usZones = /^(America\/(New_York|Chicago|Denver|Phoenix|Los_Angeles|Anchorage|Detroit|Boise|Indiana\/.*|Kentucky\/.*|North_Dakota\/.*|Juneau|Sitka|Nome|Adak|Menominee|Yakutat|Metlakatla)|Pacific\/Honolulu|US\/.*)$/;
  return usZones.test(shop.time_zone) ? 'mdy' : 'dmy';
}

/** `2011-12-09` → `09/12/2011` (dmy) or `12/09/2011` (mdy). */
export function writeDay(day: string, order: DayOrder): string {
  const [y, m, d] = day.split('-');
  return order === 'mdy' ? `${m}/${d}/${y}` : `${d}/${m}/${y}`;
}

/** The day the owner typed, in the shop's order or as ISO; null when it is
 * not a real calendar day. */
export function readDay(text: string, order: DayOrder): string | null {
  const t = text.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  const local = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(t);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (local) {
    const [a, b] = [Number(local[1]), Number(local[2])];
    [d, m] = order === 'mdy' ? [b, a] : [a, b];
    y = Number(local[3]);
  } else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** What to type, for a field's placeholder and its error. */
export function dayPattern(order: DayOrder): string {
  return order === 'mdy' ? 'MM/DD/YYYY' : 'DD/MM/YYYY';
}

/** `2011-12-09T09:00` → `09/12/2011 09:00` (dmy) or `12/09/2011 09:00` (mdy). */
export function writeDateTime(local: string, order: DayOrder): string {
  const [day, time = '00:00'] = local.split('T');
  return `${writeDay(day, order)} ${time.slice(0, 5)}`;
}

/** A shop-time moment the owner typed (`09/12/2011 09:00`, `09/12/2011, 9:00`,
 * or ISO `2011-12-09T09:00`) → `2011-12-09T09:00`; null when it is not one. */
export function readDateTime(text: string, order: DayOrder): string | null {
  const m = /^\s*(\S+?)[,\s]*(?:[T\s,]+(\d{1,2}):(\d{2}))\s*$/.exec(text.replace('T', ' '));
  if (!m) return null;
  const day = readDay(m[1], order);
  const [h, min] = [Number(m[2]), Number(m[3])];
  if (!day || h > 23 || min > 59) return null;
  return `${day}T${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
}

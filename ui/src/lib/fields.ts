// Checks of what the owner typed, before it is sent: a field left empty or
// holding a word is named by its label on screen, never passed on for the
// backend to choke on.

/** A field's value that cannot be used; its message names the field. */
export class FieldError extends Error {}

/** The number a number input (empty: null) or a text field holds; NaN when none. */
function numberIn(value: unknown): number {
  const text = typeof value === 'string' ? value.trim() : value;
  return typeof text === 'number' ? text : text === '' || text === null || text === undefined ? NaN : Number(text);
}

/** A whole number in [min, max] from a number input (empty: null) or text. */
export function wholeNumber(value: unknown, label: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = numberIn(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new FieldError(`${label}: give a whole number ${range}.`);
  }
  return n;
}

/** A decimal number (a percentage, a rate) from a number input or text. */
export function decimal(value: unknown, label: string): number {
  const n = numberIn(value);
  if (!Number.isFinite(n)) throw new FieldError(`${label}: give a number.`);
  return n;
}

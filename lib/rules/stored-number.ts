/**
 * Numbers as DynamoDB stores them (decimal text, up to 38 digits, up to ±1e125) against what a
 * JavaScript number holds. A rule edited by hand in the console may hold a number no JavaScript
 * number is: the rule store reads it as an `UnrepresentableNumber` instead of failing the whole
 * read, and `checkRule` reports it, so only that rule is skipped.
 */

/**
 * A stored number no JavaScript number is exactly: a whole number beyond ±9007199254740991
 * (`123456789012345678901234567890`, `1e40`), or more digits than a double keeps
 * (`1.00000000000000000000000000001`, which would read as 1). Printed and exported as written.
 */
export class UnrepresentableNumber {
  constructor(readonly written: string) {}

  toString(): string {
    return this.written;
  }

  toJSON(): string {
    return this.written;
  }
}

/** The number `written` (a DynamoDB N) is, or an `UnrepresentableNumber` when no JavaScript number is exactly it. */
export function storedNumber(written: string): number | UnrepresentableNumber {
  const value = Number(written);
  const canonical = canonicalDecimal(written);
  const exact =
    Math.abs(value) <= Number.MAX_SAFE_INTEGER &&
    canonical !== undefined &&
    canonical === canonicalDecimal(String(value));
  return exact ? value : new UnrepresentableNumber(written);
}

/** Why a stored number cannot be used, for the problem that names the rule and the field. */
export function unrepresentableReason(written: string): string {
  const value = Number(written);
  if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    return `${written} is too large: whole numbers are held exactly only up to ±${Number.MAX_SAFE_INTEGER}`;
  }
  return `${written} has more digits than a number holds here (it would read as ${value})`;
}

/** The decimal's value as `[-]digitsEexponent`, with no leading or trailing zeros ("0" for zero). */
function canonicalDecimal(text: string): string | undefined {
  const parts = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!parts) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = parts;
  if (whole === '' && fraction === '') return undefined;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  const scale = BigInt(exponent) - BigInt(fraction.length) + BigInt(digits.length - significant.length);
  return `${sign === '-' ? '-' : ''}${significant}E${scale}`;
}

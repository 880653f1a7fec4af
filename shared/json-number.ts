/**
 * Whether a JSON number survives parsing: values are stored as JSON text that
 * the router re-serializes after parsing, so a number a double cannot carry
 * (`1e400`, `12345678901234567890`, `-0`) would be stored changed. Such a number
 * is refused instead of altered.
 *
 * "Exactly" means the same decimal value, not the same spelling: `1.0` and `1e2`
 * are stored as `1` and `100`, which are the numbers the client sent.
 */
export function isExactNumber(source: string, value: number): boolean {
  if (!Number.isFinite(value) || Object.is(value, -0)) return false;
  return decimal(source) === decimal(String(value));
}

/**
 * A cheap test that `text` may hold a number that does not survive parsing:
 * 16 or more significant digits, an exponent, or a negative zero. Everything
 * else (up to 15 digits, no exponent) a double carries exactly, so the checked
 * (slower) parse runs only when this says so. It may also match inside strings;
 * that costs only the checked parse.
 */
export function mayHoldInexactNumber(text: string): boolean {
  return SUSPECT.test(text);
}

const SUSPECT = /\d(?:\.?\d){15}|\d[eE]|-0/;

/** A number's decimal value in one spelling: sign, digits without leading or trailing zeros, exponent. */
function decimal(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) return text;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  let digits = (whole + fraction).replace(/^0+/, "");
  let exp = Number(exponent) - fraction.length;
  if (digits === "") return "0";
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  return `${sign}${digits}e${exp}`;
}

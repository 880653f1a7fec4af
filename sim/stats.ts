/** Mean of the values; NaN for none, so that a missing figure is visible rather than 0. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

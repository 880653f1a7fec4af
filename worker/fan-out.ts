/** A Worker invocation has 6 simultaneous outgoing connections (a Workers platform limit): at most that many nodes at once. */
export const FAN_OUT = 6;

/** `call` for every item, at most `width` at a time, results in the items' order. */
export async function inBatches<T, R>(items: readonly T[], width: number, call: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await call(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

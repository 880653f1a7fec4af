/**
 * Key order as SQLite's (UTF-8 bytes, which is code point order). JavaScript's
 * `<` compares UTF-16 units, which differs only where a surrogate meets a unit
 * of U+E000-U+FFFF: the surrogate's code point is the larger one.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

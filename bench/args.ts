/** `KEY=VALUE` command-line pairs (`--var`, `--variant`), in the order given. */
export function keyValues(pairs: readonly string[] | undefined, flag: string): [string, string][] {
  return (pairs ?? []).map((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new Error(`${flag} KEY=VALUE, got ${pair}`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

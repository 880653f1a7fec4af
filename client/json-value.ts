/**
 * Whether a JavaScript value is a JSON value that ringkv stores unchanged.
 *
 * ringkv stores a value as JSON text. `JSON.stringify` changes or drops what
 * JSON cannot carry without saying so: -0 becomes 0, NaN and Infinity become
 * null, `undefined`, functions and symbols vanish from objects (and become null
 * in arrays), a Date becomes a string, a Map or an Error `{}`, an array's hole
 * null; it throws on a BigInt or a cycle. A value reached through the service
 * binding or given to the client is a JavaScript value, not JSON text, so each
 * of those would be stored silently changed. This names the first one instead.
 *
 * Shared by the `RingKV` binding (worker/request.ts, the authoritative check)
 * and the client (before a value is sent); dependency-free, like all of client/.
 */

/** How deeply a stored value may nest (arrays and objects inside each other). */
export const MAX_JSON_DEPTH = 1000;

/** Why `value` would not be stored as given (`invalid_value`), naming where in it; undefined if it would. */
export function jsonValueProblem(value: unknown): string | undefined {
  // Depth first with an explicit stack (no recursion limit on deep values).
  // `leave` marks the end of an object's members, so `open` holds exactly the
  // objects being walked: a cycle, not an object met twice, is refused.
  type Step = { readonly value: unknown; readonly path: string } | { readonly leave: object };
  const stack: Step[] = [{ value, path: "value" }];
  const open = new Set<object>();
  while (stack.length > 0) {
    const step = stack.pop()!;
    if ("leave" in step) {
      open.delete(step.leave);
      continue;
    }
    const { value: v, path } = step;
    const scalar = scalarProblem(v, path);
    if (scalar !== undefined) return scalar;
    if (typeof v !== "object" || v === null) continue;
    if (open.has(v)) return `${path} refers back to itself (a cycle)`;
    const shape = objectProblem(v, path);
    if (shape !== undefined) return shape;
    open.add(v);
    // `open` holds the objects on the path to this one: its size is the depth.
    if (open.size > MAX_JSON_DEPTH) return `value nests deeper than ${MAX_JSON_DEPTH} levels`;
    stack.push({ leave: v });
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: `${path}[${i}]` });
    } else {
      const record = v as Record<string, unknown>;
      for (const name of Object.keys(record).reverse()) stack.push({ value: record[name], path: member(path, name) });
    }
  }
  return undefined;
}

function scalarProblem(v: unknown, path: string): string | undefined {
  switch (typeof v) {
    case "string":
    case "boolean":
    case "object":
      return undefined;
    case "number":
      if (Number.isNaN(v)) return `${path} is NaN, which JSON cannot hold (it would be stored as null)`;
      if (!Number.isFinite(v)) return `${path} is ${String(v)}, which JSON cannot hold (it would be stored as null)`;
      if (Object.is(v, -0)) return `${path} is -0, which JSON stores as 0`;
      return undefined;
    case "bigint":
      return `${path} is a BigInt, which JSON cannot hold: send it as a string`;
    case "undefined":
    case "function":
    case "symbol":
      return `${path} is ${typeof v === "undefined" ? "undefined" : `a ${typeof v}`}, which JSON cannot hold`;
  }
}

function objectProblem(v: object, path: string): string | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!(i in v)) return `${path} has a hole at index ${i} (it would be stored as null)`;
    return undefined;
  }
  // A plain object's prototype is some realm's Object.prototype (itself without one), or null.
  const prototype = Object.getPrototypeOf(v) as object | null;
  const plain =
    prototype === null || (Object.getPrototypeOf(prototype) === null && Object.prototype.toString.call(v) === "[object Object]");
  if (!plain) return `${path} is ${kind(v)}, not a plain object or array (JSON would not store it as it is)`;
  if (Object.getOwnPropertySymbols(v).length > 0) return `${path} has symbol keys, which JSON cannot hold`;
  return undefined;
}

function kind(v: object): string {
  const name = (v.constructor as { name?: unknown } | undefined)?.name;
  if (typeof name !== "string" || name === "" || name === "Object") return "an object with a prototype of its own";
  return `a ${name} object`;
}

function member(path: string, name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

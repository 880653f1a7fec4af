import type { IRequest } from "itty-router";
import { badRequest } from "./http";

/**
 * The query string, decoded strictly, for every route (a `before` step of the
 * router). `URLSearchParams` decodes invalid percent-encoding and invalid UTF-8
 * to U+FFFD, so `?key=victim-%FE` would name the key `victim-\uFFFD`, and it
 * keeps every repeat of a parameter, so `?key=&key=victim` would be read as one
 * of them: two different requests meaning the same key. Both are refused here.
 */
export function strictQuery(request: IRequest): void {
  request.query = parseQuery(new URL(request.url).search);
}

/**
 * `?a=1&b=2` (or a form body, `a=1&b=2`) to `{a: "1", b: "2"}`; a parameter
 * given twice or badly encoded is a 400, with the code `codes` gives its name
 * (`invalid_query` for a name it does not list); the message calls it a `noun`.
 */
export function parseQuery(
  search: string,
  codes: Readonly<Record<string, string>> = QUERY_CODES,
  noun: "parameter" | "field" = "parameter",
): Record<string, string> {
  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  const codeFor = (name: string) => (Object.hasOwn(codes, name) ? codes[name]! : "invalid_query");
  for (const part of search.replace(/^\?/, "").split("&")) {
    if (part === "") continue;
    const equals = part.indexOf("=");
    const name = decode(equals < 0 ? part : part.slice(0, equals), `a ${noun} name`, "invalid_query");
    const value = decode(equals < 0 ? "" : part.slice(equals + 1), `${noun} ${name}`, codeFor(name));
    if (name in query) throw badRequest(`give the ${name} ${noun} once`, codeFor(name));
    query[name] = value;
  }
  return query;
}

/** Each parameter's errors keep the code its route gives for a bad value. */
const QUERY_CODES: Readonly<Record<string, string>> = { key: "invalid_key", r: "invalid_consistency", w: "invalid_consistency" };

function decode(text: string, what: string, code: string): string {
  try {
    // Form encoding writes a space as "+"; decodeURIComponent throws on bad escapes and invalid UTF-8.
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    throw badRequest(`${what} is not valid percent-encoded UTF-8: ${JSON.stringify(text)}`, code);
  }
}

/**
 * Refuses a parameter the route does not take: a misspelt `w` (`?W=all`) would
 * otherwise be dropped and the write made at the default level. A read's `w`
 * or a write's `r` says which one the route takes (`misplacedLevel`).
 */
export function onlyParams(query: Readonly<Record<string, unknown>>, allowed: readonly string[], misplacedLevel?: string): void {
  const name = firstUnknown(query, allowed);
  if (name === undefined) return;
  if ((name === "r" || name === "w") && misplacedLevel !== undefined) throw badRequest(misplacedLevel, "invalid_consistency");
  throw badRequest(`unknown parameter ${JSON.stringify(name)}; this route takes ${allowed.join(", ")}`, "invalid_query");
}

/**
 * The first name in `fields` that `allowed` lacks: the one check behind unknown
 * query parameters, body fields and binding options. A field set to undefined
 * is no field: JSON never carries one, and the binding's structured clone does.
 */
export function firstUnknown(fields: object, allowed: readonly string[]): string | undefined {
  return Object.entries(fields).find(([name, value]) => value !== undefined && !allowed.includes(name))?.[0];
}

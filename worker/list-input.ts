import { decodeCursor } from "../shared/listing";
import { badRequest } from "./http";
import { utf8Length } from "./request";

/**
 * What a page of a listing asks for, checked: from `GET /s/keys`'s query
 * (listQuery, text) or the binding's `list` options (listFromOptions, typed
 * values), with the same limits and error codes.
 */

/** Limits of a page: keys alone, or keys with their values. */
export const MAX_LIMIT = 1000;
export const MAX_LIMIT_WITH_VALUES = 100;
const DEFAULT_LIMIT = 100;

export interface ListInput {
  readonly prefix: string;
  readonly limit: number;
  /** The key the cursor says the last page ended at; "" for the first page. */
  readonly after: string;
  readonly values: boolean;
}

/** `prefix`, `limit`, `cursor` and `values` as query-string text. */
export function listQuery(query: Record<string, string | undefined>, maxKeyBytes: number): ListInput {
  checkPrefix(query.prefix ?? "", maxKeyBytes);
  const values = query.values === undefined ? false : query.values === "true" ? true : query.values === "false" ? false : undefined;
  if (values === undefined) throw badRequest('values must be "true" or "false"', "invalid_values");
  const max = values ? MAX_LIMIT_WITH_VALUES : MAX_LIMIT;
  if (query.limit !== undefined && !/^\d+$/.test(query.limit)) throw badLimit(max, values);
  const limit = query.limit === undefined ? undefined : Number(query.limit);
  return checked(query.prefix, limit, query.cursor, values);
}

/** The binding's `{prefix?: string, limit?: number, cursor?: string, values?: boolean}`; an unknown option is a 400. */
export function listFromOptions(options: unknown, maxKeyBytes: number): ListInput {
  if (options !== undefined && options !== null && (typeof options !== "object" || Array.isArray(options))) {
    throw badRequest('options must be an object like {"prefix": "user:", "limit": 100}');
  }
  const fields = (options ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!["prefix", "limit", "cursor", "values"].includes(name) && fields[name] !== undefined) {
      throw badRequest(`unknown option ${JSON.stringify(name)}; the options are {prefix, limit, cursor, values}`);
    }
  }
  const { prefix, limit, cursor, values = false } = fields;
  if (prefix !== undefined && typeof prefix !== "string") throw badRequest("prefix must be a string", "invalid_prefix");
  checkPrefix(prefix ?? "", maxKeyBytes);
  if (typeof values !== "boolean") throw badRequest("values must be true or false", "invalid_values");
  if (limit !== undefined && typeof limit !== "number") throw badLimit(values ? MAX_LIMIT_WITH_VALUES : MAX_LIMIT, values);
  if (cursor !== undefined && typeof cursor !== "string") throw invalidCursor();
  return checked(prefix, limit, cursor, values);
}

function checkPrefix(prefix: string, maxKeyBytes: number): void {
  const bytes = utf8Length(prefix);
  if (bytes < 0 || prefix.includes("\0")) throw badRequest("prefix is not valid as the start of a key", "invalid_prefix");
  if (bytes > maxKeyBytes) throw badRequest(`prefix is ${bytes} bytes; a key is at most ${maxKeyBytes}`, "invalid_prefix");
}

/** The limit and cursor, once the prefix and values are known good. */
function checked(prefix = "", limit: number | undefined, cursor: string | undefined, values: boolean): ListInput {
  const max = values ? MAX_LIMIT_WITH_VALUES : MAX_LIMIT;
  const size = limit ?? Math.min(DEFAULT_LIMIT, max);
  if (!Number.isInteger(size) || size < 1 || size > max) throw badLimit(max, values);
  let after = "";
  if (cursor !== undefined) {
    const decoded = decodeCursor(cursor, prefix);
    if (decoded === undefined) throw invalidCursor();
    after = decoded;
  }
  return { prefix, limit: size, after, values };
}

const badLimit = (max: number, values: boolean) =>
  badRequest(`limit must be a whole number from 1 to ${max}${values ? " with values=true" : ""}`, "invalid_limit");

const invalidCursor = () => badRequest("cursor was not issued by ringkv for this prefix", "invalid_cursor");

import { jsonValueProblem, MAX_JSON_DEPTH } from "../client/json-value";
import { jsonTextDepth } from "../shared/json-depth";
import type { Limits } from "../shared/config";
import { parseExpiry } from "../shared/expiry";
import { isExactNumber, mayHoldInexactNumber } from "../shared/json-number";
import { badRequest, HttpError, tooLarge } from "./http";
import { firstUnknown, parseQuery } from "./query";

/**
 * Parsing and validation of client input. Everything a client sends is checked
 * here, before any replica is contacted, so bad input never reaches storage.
 *
 * Hand-written rather than a schema library: the shapes are two fields, the
 * checks are byte limits a schema library would need custom code for anyway, and
 * this runs on every request (see docs/architecture.md).
 */

export interface WriteInput {
  readonly key: string;
  /** The value as compact JSON text, ready to store. */
  readonly value: string;
  /** Unix seconds, from `ttl` or `expires_at`; absent: the value never expires. */
  readonly expiresAt?: number;
}

type Query = Record<string, string | string[] | undefined>;

/** A key from the query string (`GET`/`DELETE /s/key?key=K`). */
export function keyFromQuery(query: Query, limits: Limits): string {
  return checkKey(queryKey(query), limits);
}

/** The query's key parameter, unchecked (the operation checks it), refusing one given twice. */
export function queryKey(query: Query): string | undefined {
  const key = query.key;
  if (Array.isArray(key)) throw badRequest("give the key parameter once", "invalid_key");
  return key;
}

/**
 * The arguments of the service binding's `put` to a WriteInput, checked as a
 * request body is. The value is a JavaScript value, not JSON text: one that
 * JSON.stringify would change or drop (-0, NaN, undefined, a BigInt, a Date...)
 * is refused (`invalid_value`), never stored changed.
 */
export function writeFromValue(
  key: unknown,
  value: unknown,
  limits: Limits,
  expiry: { readonly ttl?: unknown; readonly expiresAt?: unknown } = {},
  nowMs = Date.now(),
): WriteInput {
  const checked = checkKey(key, limits);
  const problem = jsonValueProblem(value);
  if (problem !== undefined) throw badRequest(`value is not JSON as given: ${problem}`, "invalid_value");
  // jsonValueProblem walked it: within MAX_JSON_DEPTH.
  const text = checkValue(valueText(value, true), limits);
  return withExpiry({ key: checked, value: text }, expiry.ttl, expiry.expiresAt, nowMs);
}

/**
 * The body of `POST /s/key`. JSON `{"key","value"}` whatever the content type
 * says, because curl's `-d` labels JSON text as a form; a body that is not JSON
 * and is labelled as a form is read as `key=..&value=..`, as the seed accepted it.
 */
export async function writeFromBody(request: Request, limits: Limits, queryKey?: string): Promise<WriteInput> {
  const text = await readBody(request, limits.maxBodyBytes);
  const input = writeFromText(text, request.headers.get("content-type") ?? "", limits);
  if (queryKey !== undefined && queryKey !== input.key) {
    throw badRequest(
      `the key is given twice and they differ: ${JSON.stringify(queryKey)} in the query, ${JSON.stringify(input.key)} in the body`,
      "invalid_key",
    );
  }
  return input;
}

/** The body text of `POST /s/key` (already read and decoded) to a WriteInput. */
export function writeFromText(text: string, type: string, limits: Limits, nowMs = Date.now()): WriteInput {
  const trimmed = text.trimStart();
  // A media type's name is case-insensitive (RFC 9110 8.3.1).
  if (!trimmed.startsWith("{") && type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return fromForm(text, limits, nowMs);
  }
  const { body, inexact, shallow } = parseJsonMarking(text);
  if (inexact !== undefined) throw inexactNumber(inexact);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest('body must be a JSON object {"key": ..., "value": ...}', "malformed_json");
  }
  return writeFromFields(body as Record<string, unknown>, limits, nowMs, WRITE_FIELDS, shallow);
}

/** The fields of a write as HTTP names them (a batch's put adds `op`). */
export const WRITE_FIELDS = ["key", "value", "ttl", "expires_at"] as const;

/**
 * `{"key","value","ttl"?,"expires_at"?}`, parsed, to a WriteInput: one write of
 * a request or of a batch. `shallow`: the body it came in nests no deeper than
 * MAX_JSON_DEPTH (`parseJsonMarking` measured it), so the value need not be measured again.
 */
export function writeFromFields(
  fields: Record<string, unknown>,
  limits: Limits,
  nowMs: number,
  allowed: readonly string[],
  shallow: boolean,
): WriteInput {
  onlyFields(fields, allowed, "a write");
  const key = checkKey(fields.key, limits);
  if (!("value" in fields)) throw badRequest('body has no "value"', "missing_value");
  const value = checkValue(valueText(fields.value, shallow), limits);
  return withExpiry({ key, value }, fields.ttl, fields.expires_at, nowMs);
}

/** The write with the expiry its `ttl` or expiry time asks for; `400 invalid_ttl` for a bad one. */
function withExpiry(write: WriteInput, ttl: unknown, expiresAt: unknown, nowMs: number): WriteInput {
  const expiry = parseExpiry(ttl, expiresAt, nowMs);
  if (!expiry.ok) throw badRequest(expiry.message, "invalid_ttl");
  return expiry.expiresAt === undefined ? write : { ...write, expiresAt: expiry.expiresAt };
}

/**
 * Stands in for a number that would not survive parsing, so that a batch can
 * say which operation held it; never stored (the batch is refused).
 */
export const INEXACT: unique symbol = Symbol("inexact number");

/**
 * JSON.parse marking numbers it would change with `INEXACT` (see
 * shared/json-number.ts); `inexact` is the first one's source text. The reviver
 * sees each number's source text; it runs only when the text may hold such a
 * number, so a plain value costs one ordinary parse. `depth` is the body's
 * (`bodyDepth`), measured once; `shallow`: no value in it nests past MAX_JSON_DEPTH.
 */
export function parseJsonMarking(text: string, depth = bodyDepth(text)): { body: unknown; inexact: string | undefined; shallow: boolean } {
  let inexact: string | undefined;
  const mark = (_key: string, value: unknown, context?: { source?: string }): unknown => {
    if (typeof value !== "number" || context?.source === undefined || isExactNumber(context.source, value)) return value;
    inexact ??= context.source;
    return INEXACT;
  };
  // Bounded before parsing: the reviver recurses, and whether it runs depends on the text.
  if (depth > MAX_BODY_DEPTH) throw tooDeep();
  try {
    const body: unknown = mayHoldInexactNumber(text) ? JSON.parse(text, mark) : JSON.parse(text);
    return { body, inexact, shallow: depth <= MAX_JSON_DEPTH };
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep();
    throw badRequest(`body is not valid JSON: ${(error as Error).message}`, "malformed_json");
  }
}

/**
 * A value's JSON text, nesting at most MAX_JSON_DEPTH levels (`invalid_value`
 * past it; measured here unless `shallow` says its body was within that). The
 * body was bounded first (`parseJsonMarking`), or the value walked
 * (`jsonValueProblem`), so serializing, which recurses, stays far inside the
 * stack; a RangeError is still refused rather than answered 500.
 */
function valueText(value: unknown, shallow: boolean): string {
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) throw tooDeep();
    throw error;
  }
  if (!shallow && bodyDepth(text) > MAX_JSON_DEPTH) throw tooDeep();
  return text;
}

/** The deepest a body may nest: a batch's `{"ops":[{..."value": V}]}` adds 3 levels to its values'. */
export const MAX_BODY_DEPTH = MAX_JSON_DEPTH + 3;

/** How deeply JSON text nests, read once; 0 for text too short to nest past MAX_JSON_DEPTH (a level takes two characters). */
export function bodyDepth(text: string): number {
  return text.length > 2 * MAX_JSON_DEPTH ? jsonTextDepth(text) : 0;
}

function tooDeep(): HttpError {
  return badRequest(`the value nests deeper than ${MAX_JSON_DEPTH} levels (arrays and objects); flatten it`, "invalid_value");
}

export function inexactNumber(source: string): HttpError {
  return badRequest(
    `the number ${source} cannot be stored exactly (JSON numbers are IEEE doubles here); send it as a string`,
    "inexact_number",
  );
}

/**
 * `key=k&value=v&ttl=s`: decoded strictly, as a query is (worker/query.ts), so
 * bad percent-encoding is refused rather than read as U+FFFD, and a field given
 * twice is refused rather than read as one of them. Form fields are text: the
 * value is stored as a JSON string, and `ttl` and `expires_at` are read as numbers.
 */
function fromForm(text: string, limits: Limits, nowMs: number): WriteInput {
  const form = parseQuery(text, FORM_CODES, "field");
  onlyFields(form, WRITE_FIELDS, "a write");
  const key = checkKey(form.key, limits);
  const value = form.value;
  if (value === undefined) throw badRequest('form has no "value" field', "missing_value");
  return withExpiry({ key, value: checkValue(JSON.stringify(value), limits) }, formNumber(form.ttl), formNumber(form.expires_at), nowMs);
}

/** A form field's errors keep the code the same field's JSON error has. */
const FORM_CODES: Readonly<Record<string, string>> = {
  key: "invalid_key",
  value: "invalid_value",
  ttl: "invalid_ttl",
  expires_at: "invalid_ttl",
};

/** A numeric form field as a number, so the expiry rules see what JSON would carry; text that is no number stays text (and is refused there). */
function formNumber(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : text;
}

/** Refuses a field the operation does not take (`unknown_field`): a misspelt `ttl` would otherwise be dropped without a word. */
export function onlyFields(fields: object, allowed: readonly string[], what: string): void {
  const name = firstUnknown(fields, allowed);
  if (name !== undefined) throw badRequest(`unknown field ${JSON.stringify(name)}; ${what} takes ${allowed.join(", ")}`, "unknown_field");
}

export function checkKey(key: unknown, limits: Limits): string {
  if (key === undefined || key === null) throw badRequest('missing "key"', "missing_key");
  if (typeof key !== "string") throw badRequest('"key" must be a string', "invalid_key");
  if (key.length === 0) throw badRequest('"key" must not be empty', "invalid_key");
  if (key.includes("\0")) throw badRequest('"key" must not contain NUL (U+0000)', "invalid_key");
  const bytes = utf8Length(key);
  if (bytes < 0) throw badRequest('"key" is not valid Unicode (it has a lone surrogate)', "invalid_key");
  if (bytes > limits.maxKeyBytes) {
    throw tooLarge(`key is ${bytes} bytes; the limit is ${limits.maxKeyBytes} bytes (UTF-8)`, "key_too_large");
  }
  return key;
}

function checkValue(text: string, limits: Limits): string {
  // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, two units,
  // is 4), so short text cannot be over the limit: skip counting its bytes.
  if (text.length * 3 <= limits.maxValueBytes) return text;
  const bytes = utf8Length(text);
  if (bytes > limits.maxValueBytes) {
    throw tooLarge(`value is ${bytes} bytes serialized; the limit is ${limits.maxValueBytes} bytes`, "value_too_large");
  }
  return text;
}

/** Reads the body, refusing it as soon as it is known to exceed `max` bytes. */
export async function readBody(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > max) throw tooLarge(`body is ${declared} bytes; the limit is ${max} bytes`, "body_too_large");
  if (request.body === null) throw badRequest('empty body: send {"key": ..., "value": ...}', "malformed_json");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await readChunk(reader);
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await drain(reader);
      throw tooLarge(`body exceeds the limit of ${max} bytes`, "body_too_large");
    }
    chunks.push(value);
  }
  if (size < declared) throw incompleteBody();
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(concat(chunks, size));
  } catch {
    throw badRequest("body is not valid UTF-8", "malformed_json");
  }
}

/** A read that fails means the client hung up before sending the whole body: its fault, not ours. */
async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<ReadableStreamReadResult<Uint8Array>> {
  try {
    return await reader.read();
  } catch {
    throw incompleteBody();
  }
}

const incompleteBody = (): HttpError =>
  badRequest("the body ended before its Content-Length (the client closed the connection)", "incomplete_body");

/**
 * Reads the rest of an oversized body and discards it before the 413 goes out.
 * Cancelling it instead leaves `wrangler dev`'s proxy stuck: the next request
 * waits until yet another one arrives. The platform's own request size limit
 * bounds this read.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done) {
      // discard
    }
  } catch {
    // The client hung up: nothing left to drain.
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * UTF-8 byte length without encoding: the common all-ASCII case costs one pass.
 * Returns -1 for text with a lone surrogate, which has no UTF-8 form: SQLite
 * would store it as U+FFFD and the key would change on its way to disk.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c < 0xd800 || c > 0xdfff) bytes += 2;
    else if (c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A surrogate pair: two code units, four bytes.
      bytes += 2;
      i++;
    } else return -1;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

import type { Limits } from "../shared/config";
import { badRequest, tooLarge } from "./http";

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
}

/** A key from the query string (`GET`/`DELETE /s/key?key=K`). */
export function keyFromQuery(query: Record<string, string | string[] | undefined>, limits: Limits): string {
  const key = query.key;
  if (Array.isArray(key)) throw badRequest("give the key parameter once", "invalid_key");
  return checkKey(key, limits);
}

/**
 * The body of `POST /s/key`. JSON `{"key","value"}` whatever the content type
 * says, because curl's `-d` labels JSON text as a form; a body that is not JSON
 * and is labelled as a form is read as `key=..&value=..`, as the seed accepted it.
 */
export async function writeFromBody(request: Request, limits: Limits): Promise<WriteInput> {
  const text = await readBody(request, limits.maxBodyBytes);
  return writeFromText(text, request.headers.get("content-type") ?? "", limits);
}

/** The body text of `POST /s/key` (already read and decoded) to a WriteInput. */
export function writeFromText(text: string, type: string, limits: Limits): WriteInput {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{") && type.startsWith("application/x-www-form-urlencoded")) {
    return fromForm(text, limits);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw badRequest(`body is not valid JSON: ${(error as Error).message}`, "malformed_json");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw badRequest('body must be a JSON object {"key": ..., "value": ...}', "malformed_json");
  }
  const fields = body as Record<string, unknown>;
  const key = checkKey(fields.key, limits);
  if (!("value" in fields)) throw badRequest('body has no "value"', "missing_value");
  return { key, value: checkValue(JSON.stringify(fields.value), limits) };
}

function fromForm(text: string, limits: Limits): WriteInput {
  const form = new URLSearchParams(text);
  if (form.getAll("key").length > 1) throw badRequest("give the key field once", "invalid_key");
  const key = checkKey(form.get("key") ?? undefined, limits);
  const value = form.get("value");
  if (value === null) throw badRequest('form has no "value" field', "missing_value");
  // Form fields are text, so the value is stored as a JSON string.
  return { key, value: checkValue(JSON.stringify(value), limits) };
}

function checkKey(key: unknown, limits: Limits): string {
  if (key === undefined || key === null) throw badRequest('missing "key"', "missing_key");
  if (typeof key !== "string") throw badRequest('"key" must be a string', "invalid_key");
  if (key.length === 0) throw badRequest('"key" must not be empty', "invalid_key");
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
async function readBody(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > max) throw tooLarge(`body is ${declared} bytes; the limit is ${max} bytes`, "body_too_large");
  if (request.body === null) throw badRequest('empty body: send {"key": ..., "value": ...}', "malformed_json");
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(`body exceeds the limit of ${max} bytes`, "body_too_large");
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(concat(chunks, size));
  } catch {
    throw badRequest("body is not valid UTF-8", "malformed_json");
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

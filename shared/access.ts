/**
 * Who may use the data API: the DATA_AUTH mode, the data tokens of DATA_TOKENS
 * and the browser origins of CORS_ORIGINS, parsed and checked once at start, and
 * the rule deciding whether a token covers an operation on a key.
 *
 * Pure: comparing a presented token with these (in constant time) is the
 * Worker's job (worker/secret.ts, worker/auth.ts).
 */

export type DataAuth = "open" | "token";
export type Access = "read" | "write";
/** What a request does to a key: a read needs read access, a write or a delete needs write access. */
export type Operation = "read" | "write" | "delete";

export interface DataToken {
  readonly token: string;
  readonly access: Access;
  /** Keys this token covers start with this; "" covers every key. */
  readonly prefix: string;
  /** A label for messages and logs; never the token itself. */
  readonly name: string;
}

export interface AccessConfig {
  readonly dataAuth: DataAuth;
  readonly tokens: readonly DataToken[];
  /** Origins (scheme://host[:port]) whose web pages may call the API. */
  readonly corsOrigins: readonly string[];
}

/** What a caller may do: a token's access and prefix, or everything (open mode, the service binding). */
export interface Grant {
  readonly access: Access;
  readonly prefix: string;
  readonly name: string;
}

export const FULL_GRANT: Grant = { access: "write", prefix: "", name: "full access" };

export type Refusal = { readonly reason: "access" | "prefix"; readonly message: string };

/**
 * Why `grant` does not cover `operation` on `key`, or undefined when it does.
 * Without a key only the access is checked (a write is refused before its body is read).
 */
export function refusal(grant: Grant, operation: Operation, key?: string): Refusal | undefined {
  if (operation !== "read" && grant.access === "read") {
    return { reason: "access", message: `token "${grant.name}" is read-only: it cannot ${operation}` };
  }
  if (key !== undefined && !key.startsWith(grant.prefix)) {
    return {
      reason: "prefix",
      message: `token "${grant.name}" covers keys starting with ${JSON.stringify(grant.prefix)}; ${JSON.stringify(key)} is outside it`,
    };
  }
  return undefined;
}

/** The vars as wrangler hands them over. */
type Vars = Partial<Record<string, unknown>>;

const TOKEN_FIELDS = new Set(["token", "access", "prefix", "name"]);
/** A bearer token travels in a header: printable ASCII without spaces. */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;
const MIN_TOKEN_LENGTH = 16;

/** Parses the access vars; throws an Error whose message names the var at fault. */
export function parseAccess(vars: Vars, adminToken: string | undefined): AccessConfig {
  const mode = vars.DATA_AUTH ?? "token";
  if (mode !== "token" && mode !== "open") {
    throw new Error(`DATA_AUTH must be "token" or "open", got ${JSON.stringify(mode)}`);
  }
  const tokens = parseTokens(vars.DATA_TOKENS);
  if (adminToken !== undefined && tokens.some((t) => sameText(t.token, adminToken))) {
    throw new Error("DATA_TOKENS contains ADMIN_TOKEN: the admin token must not also be a data token");
  }
  return { dataAuth: mode, tokens, corsOrigins: parseOrigins(vars.CORS_ORIGINS) };
}

function parseTokens(raw: unknown): DataToken[] {
  if (raw === undefined || raw === "") return [];
  let list: unknown = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw);
    } catch {
      // Not the parser's message: it quotes the text around the error, which holds tokens.
      throw new Error(`DATA_TOKENS is not valid JSON (${raw.length} characters); expected [{"token": "...", "access": "read" | "write"}]`);
    }
  }
  if (!Array.isArray(list)) throw new Error('DATA_TOKENS must be a JSON array of {"token", "access", "prefix"?, "name"?}');
  const tokens = list.map((item, i) => parseToken(item, i));
  if (tokens.some((t, i) => tokens.some((u, j) => j > i && sameText(t.token, u.token)))) throw new Error("DATA_TOKENS lists a token twice");
  return tokens;
}

/**
 * Whether two tokens are equal, in time that depends on their lengths only:
 * every token comparison is constant-time, these at start-up included (the
 * request path compares digests with crypto.subtle.timingSafeEqual, worker/secret.ts).
 */
export function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

function parseToken(item: unknown, i: number): DataToken {
  const at = `DATA_TOKENS[${i}]`;
  if (typeof item !== "object" || item === null || Array.isArray(item)) throw new Error(`${at} must be an object`);
  const fields = item as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !TOKEN_FIELDS.has(k));
  if (unknown.length > 0) throw new Error(`${at} has unknown field(s) ${unknown.join(", ")}; fields are token, access, prefix, name`);
  const { token, access, prefix = "", name = `#${i}` } = fields;
  if (typeof token !== "string" || token.length < MIN_TOKEN_LENGTH || !TOKEN_TEXT.test(token)) {
    throw new Error(`${at}.token must be at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces`);
  }
  if (access !== "read" && access !== "write") throw new Error(`${at}.access must be "read" or "write", got ${JSON.stringify(access)}`);
  if (typeof prefix !== "string") throw new Error(`${at}.prefix must be a string`);
  if (typeof name !== "string" || name === "") throw new Error(`${at}.name must be a non-empty string`);
  return { token, access, prefix, name };
}

function parseOrigins(raw: unknown): string[] {
  if (raw === undefined || raw === "") return [];
  if (typeof raw !== "string") throw new Error("CORS_ORIGINS must be a comma-separated list of origins");
  const origins = raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      throw new Error(
        `CORS_ORIGINS contains ${JSON.stringify(origin)}: list origins as scheme://host[:port], e.g. https://app.example.com`,
      );
    }
  }
  return origins;
}

function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.origin === text;
  } catch {
    return false;
  }
}

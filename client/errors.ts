import { jsonValueProblem } from "./json-value";

/**
 * The one error every ringkv call fails with, over HTTP (RingKVClient) or
 * through the service binding (`RingKVError.fromBinding`): the HTTP status, the
 * error code of the body (`unauthorized`, `forbidden`, `quorum_not_reached`,
 * `invalid_key`, ...), its message, and for quorum failures how many replicas
 * acknowledged and how many were required. `status` is 0 when no answer came
 * (code `network_error` or `timeout`).
 */
export class RingKVError extends Error {
  override readonly name = "RingKVError";
  readonly acked: number | undefined;
  readonly required: number | undefined;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Every other field of the error body (`reason`, `replicas`, `failures`, ...). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.acked = typeof details.acked === "number" ? details.acked : undefined;
    this.required = typeof details.required === "number" ? details.required : undefined;
  }

  /** From an error body `{"error":{"code","message",...}}` and its status. */
  static fromBody(status: number, body: unknown): RingKVError {
    const error = (body as { error?: unknown } | null)?.error;
    if (typeof error !== "object" || error === null) return new RingKVError(status, "http_error", `HTTP ${status} without an error body`);
    const { code, message, ...details } = error as Record<string, unknown>;
    return new RingKVError(status, String(code ?? "http_error"), String(message ?? `HTTP ${status}`), details);
  }

  /**
   * The error ringkv answers a value JSON cannot carry unchanged with (400
   * `invalid_value`), raised before the value is sent; undefined for a good value.
   */
  static invalidValue(value: unknown): RingKVError | undefined {
    const problem = jsonValueProblem(value);
    return problem === undefined ? undefined : new RingKVError(400, "invalid_value", `value is not JSON as given: ${problem}`);
  }

  /**
   * The first operation of a batch ringkv would refuse for what the wire would
   * lose, as it refuses the batch: 400 with its `index`, for a field the
   * operation does not take (`unknown_field`; a field set to undefined is no
   * field; HTTP's `expires_at` is `invalid_ttl`, as the binding says) or a put
   * whose value JSON cannot carry unchanged (`invalid_value`), in ringkv's order
   * (fields, then the value). An operation ringkv refuses on grounds the wire
   * keeps (not an object, an unknown op, no key, a put without a value) ends
   * the check: ringkv names it, and no later one may be named before it.
   */
  static invalidOp(ops: readonly { readonly op: string; readonly value?: unknown }[]): RingKVError | undefined {
    if (!Array.isArray(ops)) return undefined;
    for (const [index, op] of ops.entries()) {
      const reshaped = reshapedField(op);
      if (reshaped !== undefined) {
        const code = reshaped === "op" ? "invalid_batch" : "invalid_key";
        return new RingKVError(400, code, `ops[${index}]: "${reshaped}" must be a string`, { index });
      }
      if (!looksWhole(op)) return undefined;
      const fields = op as Record<string, unknown>;
      const allowed = op.op === "put" ? PUT_FIELDS : KEY_FIELDS;
      const extra = Object.keys(fields).find((k) => !allowed.includes(k) && fields[k] !== undefined);
      if (extra === "expires_at" && op.op === "put") {
        return new RingKVError(400, "invalid_ttl", `ops[${index}]: give expiresAt, not expires_at`, { index });
      }
      if (extra !== undefined) {
        const message = `ops[${index}]: unknown field ${JSON.stringify(extra)}; a ${op.op} takes ${allowed.join(", ")}`;
        return new RingKVError(400, "unknown_field", message, { index });
      }
      const invalid = op.op === "put" ? RingKVError.invalidValue(op.value) : undefined;
      if (invalid !== undefined) return new RingKVError(400, invalid.code, `ops[${index}]: ${invalid.message}`, { index });
    }
    return undefined;
  }

  /**
   * From an error the `RingKV` service binding threw. Workers RPC keeps only an
   * error's message, so ringkv writes the error body on the message's second
   * line; anything else (the binding itself failing) becomes `binding_error`.
   */
  static fromBinding(error: unknown): RingKVError {
    const message = error instanceof Error ? error.message : String(error);
    const line = message.split("\n").find((l) => l.startsWith(BODY_MARK));
    if (line !== undefined) {
      try {
        const { status, ...body } = JSON.parse(line.slice(BODY_MARK.length)) as Record<string, unknown>;
        return RingKVError.fromBody(typeof status === "number" ? status : 500, { error: body });
      } catch {
        // not ours after all: fall through
      }
    }
    return new RingKVError(0, "binding_error", message);
  }
}

/** The mark ringkv's binding puts before the JSON body in a thrown error's message (worker/binding.ts). */
const BODY_MARK = "ringkv-error ";

const PUT_FIELDS = ["op", "key", "value", "ttl", "expiresAt"];
const KEY_FIELDS = ["op", "key"];

/**
 * `op` or `key` given as an object (a String, a Date, anything with toJSON): JSON
 * would send it as a string ringkv takes, so the check cannot stop there and
 * leave a later value for JSON to change. Refused here, as the binding refuses it.
 */
function reshapedField(op: unknown): "op" | "key" | undefined {
  if (typeof op !== "object" || op === null || Array.isArray(op)) return undefined;
  const { op: kind, key } = op as Record<string, unknown>;
  if (typeof kind === "object" && kind !== null) return "op";
  if (typeof key === "object" && key !== null) return "key";
  return undefined;
}

/** An operation of a kind ringkv knows, with a key, and a put with its value: what ringkv itself would refuse first is none of these. */
function looksWhole(op: unknown): op is { readonly op: string; readonly key: string; readonly value?: unknown } {
  if (typeof op !== "object" || op === null || Array.isArray(op)) return false;
  const { op: kind, key } = op as Record<string, unknown>;
  if (typeof key !== "string" || key === "") return false;
  return kind === "get" || kind === "delete" || (kind === "put" && "value" in op);
}

import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../client/json-value";
import { batchFromText, batchFromValues } from "../../worker/batch-input";
import { HttpError } from "../../worker/http";

const limits = { maxKeyBytes: 512, maxValueBytes: 131_072, maxBodyBytes: 262_144 };
const NOW = 1_800_000_000_500;

function refusal(parse: () => unknown): { status: number; code: string; message: string; details: Record<string, unknown> } {
  try {
    parse();
  } catch (error) {
    if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error("accepted");
}

describe("batchFromText (POST /s/batch)", () => {
  it("checks each operation as its single request, values as JSON text, ttl or expires_at", () => {
    const text = JSON.stringify({
      ops: [
        { op: "get", key: "a" },
        { op: "put", key: "a", value: { n: [1] }, ttl: 10 },
        { op: "put", key: "b", value: "x", expires_at: 1_800_000_100 },
        { op: "delete", key: "a" },
      ],
    });
    expect(batchFromText(text, limits, NOW)).toEqual([
      { op: "get", key: "a" },
      { op: "put", key: "a", value: '{"n":[1]}', expiresAt: 1_800_000_011 },
      { op: "put", key: "b", value: '"x"', expiresAt: 1_800_000_100 },
      { op: "delete", key: "a" },
    ]);
  });

  it("refuses the whole batch at its first bad operation, naming the index", () => {
    const ops = (...rest: unknown[]) => JSON.stringify({ ops: [{ op: "get", key: "a" }, ...rest] });
    expect(refusal(() => batchFromText(ops({ op: "copy", key: "a" }), limits, NOW))).toMatchObject({
      status: 400,
      code: "invalid_batch",
      message: expect.stringMatching(/^ops\[1\]: unknown op "copy"/),
      details: { index: 1 },
    });
    expect(refusal(() => batchFromText(ops({ op: "put", key: "a", value: 1, ttl: 0 }), limits, NOW))).toMatchObject({
      code: "invalid_ttl",
      details: { index: 1 },
    });
    expect(refusal(() => batchFromText('{"ops":{}}', limits, NOW))).toMatchObject({ code: "invalid_batch" });
    // A key or value over its limit keeps its single request's 413.
    expect(refusal(() => batchFromText(ops({ op: "get", key: "k".repeat(513) }), limits, NOW))).toMatchObject({
      status: 413,
      code: "key_too_large",
      details: { index: 1 },
    });
    expect(
      refusal(() => batchFromText(JSON.stringify({ ops: Array.from({ length: 101 }, () => ({ op: "get", key: "a" })) }), limits, NOW)),
    ).toMatchObject({
      code: "invalid_batch",
      message: expect.stringContaining("at most 100"),
    });
  });
});

describe("batchFromText and batchFromValues: fields an operation does not take", () => {
  it("refuses them, naming the field and the index, rather than drop them", () => {
    const ops = (...rest: unknown[]) => JSON.stringify({ ops: [{ op: "get", key: "a" }, ...rest] });
    expect(refusal(() => batchFromText(ops({ op: "put", key: "a", value: 1, tll: 5 }), limits, NOW))).toMatchObject({
      status: 400,
      code: "unknown_field",
      message: expect.stringContaining('"tll"'),
      details: { index: 1 },
    });
    expect(refusal(() => batchFromText(ops({ op: "delete", key: "a", value: 1 }), limits, NOW))).toMatchObject({
      code: "unknown_field",
      details: { index: 1 },
    });
    expect(refusal(() => batchFromText(JSON.stringify({ ops: [], w: "all" }), limits, NOW))).toMatchObject({
      code: "unknown_field",
      message: expect.stringContaining('"w"'),
    });
    // Over the binding, structured clone keeps a field set to undefined: it is no field there either.
    expect(batchFromValues([{ op: "delete", key: "a", value: undefined }], limits, NOW)).toEqual([{ op: "delete", key: "a" }]);
    expect(batchFromValues([{ op: "put", key: "a", value: 1, expires_at: undefined }], limits, NOW)).toHaveLength(1);
    expect(refusal(() => batchFromValues([{ op: "put", key: "a", value: 1, ttlSeconds: 5 }], limits, NOW))).toMatchObject({
      code: "unknown_field",
      details: { index: 0 },
    });
  });
});

describe("batchFromText: a value nesting past MAX_JSON_DEPTH", () => {
  it("refuses the batch naming the operation's index, as for any bad operation", () => {
    const deep = "[".repeat(MAX_JSON_DEPTH + 1) + "1" + "]".repeat(MAX_JSON_DEPTH + 1);
    const text = `{"ops":[{"op":"get","key":"a"},{"op":"put","key":"b","value":${deep}}]}`;
    expect(refusal(() => batchFromText(text, limits, NOW))).toMatchObject({ status: 400, code: "invalid_value", details: { index: 1 } });
    const atLimit = "[".repeat(MAX_JSON_DEPTH) + "1" + "]".repeat(MAX_JSON_DEPTH);
    expect(batchFromText(`{"ops":[{"op":"put","key":"b","value":${atLimit}}]}`, limits, NOW)).toHaveLength(1);
  });
});

describe("batchFromValues (the binding's batch)", () => {
  it("takes JavaScript values and expiresAt, serialized once", () => {
    expect(
      batchFromValues(
        [
          { op: "put", key: "a", value: [1, "é"], expiresAt: 1_800_000_100 },
          { op: "put", key: "b", value: null, ttl: 1 },
          { op: "get", key: "b" },
        ],
        limits,
        NOW,
      ),
    ).toEqual([
      { op: "put", key: "a", value: '[1,"é"]', expiresAt: 1_800_000_100 },
      { op: "put", key: "b", value: "null", expiresAt: 1_800_000_002 },
      { op: "get", key: "b" },
    ]);
  });

  it("refuses what JSON would change, a missing value, HTTP's expires_at and a non-array, with the same codes as HTTP", () => {
    expect(
      refusal(() =>
        batchFromValues(
          [
            { op: "get", key: "a" },
            { op: "put", key: "a", value: -0 },
          ],
          limits,
          NOW,
        ),
      ),
    ).toMatchObject({
      code: "invalid_value",
      message: "ops[1]: value is not JSON as given: value is -0, which JSON stores as 0",
      details: { index: 1 },
    });
    expect(refusal(() => batchFromValues([{ op: "put", key: "a" }], limits, NOW))).toMatchObject({
      code: "missing_value",
      details: { index: 0 },
    });
    expect(refusal(() => batchFromValues([{ op: "put", key: "a", value: 1, expires_at: 1_800_000_100 }], limits, NOW))).toMatchObject({
      code: "invalid_ttl",
    });
    expect(
      refusal(() => batchFromValues([{ op: "put", key: "a", value: 1, ttl: 5, expiresAt: 1_800_000_100 }], limits, NOW)),
    ).toMatchObject({
      code: "invalid_ttl",
    });
    expect(refusal(() => batchFromValues({ ops: [] }, limits, NOW))).toMatchObject({ code: "invalid_batch" });
    expect(refusal(() => batchFromValues([null], limits, NOW))).toMatchObject({ code: "invalid_batch", details: { index: 0 } });
  });
});

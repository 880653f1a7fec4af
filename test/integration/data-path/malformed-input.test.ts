import { afterEach, describe, expect, it, vi } from "vitest";
import { api, expectError, freshKey, get, put } from "../helpers";

/**
 * Inputs that would make two different requests mean the same key, or store a
 * value other than the one sent. Each is refused with its own body, and each
 * test checks that the data it aimed at did not change.
 */

const postJson = (body: BodyInit, path = "/s/key", headers: Record<string, string> = {}) =>
  api(path, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

async function valueOf(key: string): Promise<unknown> {
  const response = await get(key);
  expect(response.status).toBe(200);
  return (await response.json<{ value: unknown }>()).value;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("keys that alias another key", () => {
  it("400 invalid_key for invalid percent-encoding or invalid UTF-8 on every route; the look-alike key is untouched", async () => {
    const victim = `${freshKey("victim")}-\uFFFD`;
    await put(victim, "kept");
    const prefix = encodeURIComponent(victim.slice(0, -1));
    for (const bad of ["%FE", "%C3", "%ED%A0%80", "%zz", "%"]) {
      const query = `?key=${prefix}${bad}`;
      const bodies = [
        await expectError(await api(`/s/key${query}`, { method: "DELETE" }), 400, "invalid_key"),
        await expectError(await api(`/s/key${query}`), 400, "invalid_key"),
        await expectError(await postJson(JSON.stringify({ key: victim, value: "changed" }), `/s/key${query}`), 400, "invalid_key"),
      ];
      for (const body of bodies) expect(body.error.message).toContain("percent-encoded UTF-8");
    }
    expect(await valueOf(victim)).toBe("kept");
  });

  it("400 for any repeated query parameter, whichever value is empty", async () => {
    const victim = freshKey("repeat");
    await put(victim, "kept");
    const k = encodeURIComponent(victim);
    await expectError(await api(`/s/key?key=&key=${k}`, { method: "DELETE" }), 400, "invalid_key");
    await expectError(await api(`/s/key?key=${k}&key=${k}`, { method: "DELETE" }), 400, "invalid_key");
    const r = await expectError(await api(`/s/key?key=${k}&r=&r=one`), 400, "invalid_consistency");
    expect(r.error.message).toBe("give the r parameter once");
    await expectError(await api(`/s/key?key=${k}&w=&w=one`, { method: "DELETE" }), 400, "invalid_consistency");
    const other = await expectError(await api(`/s/key?key=${k}&x=1&x=2`, { method: "DELETE" }), 400, "invalid_query");
    expect(other.error.message).toBe("give the x parameter once");
    expect(await valueOf(victim)).toBe("kept");
  });

  it("400 invalid_key for a form body's invalid percent-encoding: the look-alike key is untouched", async () => {
    const victim = `${freshKey("form-victim")}\uFFFD`;
    await put(victim, "kept");
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const body = `key=${encodeURIComponent(victim.slice(0, -1))}%FF&value=changed`;
    await expectError(await api("/s/key", { method: "POST", body, headers: form }), 400, "invalid_key");
    expect(await valueOf(victim)).toBe("kept");
  });

  it("400 for a parameter or a field the request does not take, and nothing is applied", async () => {
    const key = freshKey("unknown");
    await put(key, "kept");
    const k = encodeURIComponent(key);
    await expectError(await postJson(JSON.stringify({ key, value: "changed" }), "/s/key?W=all"), 400, "invalid_query");
    await expectError(await api(`/s/key?key=${k}&force=1`, { method: "DELETE" }), 400, "invalid_query");
    await expectError(await api("/s/keys?r=one"), 400, "invalid_query");
    const batch = JSON.stringify({ ops: [{ op: "put", key, value: "changed" }] });
    await expectError(await postJson(batch, "/s/batch?x=1"), 400, "invalid_query");
    const typo = await expectError(await postJson(JSON.stringify({ key, value: "changed", tll: 5 })), 400, "unknown_field");
    expect(typo.error.message).toContain('"tll"');
    expect(await valueOf(key)).toBe("kept");
  });

  it("400 invalid_key for a key in the query and in the body that differ; the same key twice is fine", async () => {
    const [a, b] = [freshKey("query-key"), freshKey("body-key")];
    await put(a, "a");
    await put(b, "b");
    const body = await expectError(
      await postJson(JSON.stringify({ key: b, value: "x" }), `/s/key?key=${encodeURIComponent(a)}`),
      400,
      "invalid_key",
    );
    expect(body.error.message).toContain("differ");
    expect([await valueOf(a), await valueOf(b)]).toEqual(["a", "b"]);
    expect((await postJson(JSON.stringify({ key: a, value: "a2" }), `/s/key?key=${encodeURIComponent(a)}`)).status).toBe(200);
    expect(await valueOf(a)).toBe("a2");
  });

  it("400 invalid_key for a key holding NUL, in the body or the query", async () => {
    const base = freshKey("nul");
    await put(base, "kept");
    const body = await expectError(await postJson(JSON.stringify({ key: `${base}\u0000x`, value: 1 })), 400, "invalid_key");
    expect(body.error.message).toContain("NUL");
    await expectError(await api(`/s/key?key=${encodeURIComponent(base)}%00x`, { method: "DELETE" }), 400, "invalid_key");
    await expectError(await api(`/s/key?key=${encodeURIComponent(base)}%00`), 400, "invalid_key");
    expect(await valueOf(base)).toBe("kept");
  });

  it("compares keys byte for byte: no Unicode normalisation", async () => {
    const [composed, decomposed] = [`${freshKey("nfc")}-\u00e9`, ""];
    const other = composed.slice(0, -1) + "e\u0301";
    await put(composed, "composed");
    await expectError(await get(other), 404, "not_found");
    await put(other, "decomposed");
    expect([await valueOf(composed), await valueOf(other), decomposed]).toEqual(["composed", "decomposed", ""]);
  });
});

describe("bodies that end early", () => {
  it("400 incomplete_body, without an error log, when the body ends before its Content-Length", async () => {
    const key = freshKey("hangup");
    await put(key, "kept");
    const errors = vi.spyOn(console, "error");
    // The runtime ends the stream where the client stopped sending.
    const hungUp = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`{"key":${JSON.stringify(key)},"value":"x"}`));
        controller.close();
      },
    });
    const response = await postJson(hungUp, "/s/key", { "content-length": "1000" });
    const body = await expectError(response, 400, "incomplete_body");
    expect(body.error.message).toContain("Content-Length");
    expect(errors).not.toHaveBeenCalled();
    expect(await valueOf(key)).toBe("kept");
  });

  it("413 to an oversized streamed body after reading it to its end, so the connection is free for the next request", async () => {
    const key = freshKey("oversized");
    await put(key, "kept");
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const chunks = 8; // 512 KiB, twice the body limit
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ < chunks) controller.enqueue(chunk);
        else controller.close();
      },
    });
    await expectError(await postJson(stream), 413, "body_too_large");
    // Every chunk was taken, and the end seen: the body was consumed, not cancelled.
    expect(pulled).toBe(chunks + 1);
    expect(await valueOf(key)).toBe("kept");
  });
});

describe("numbers a JSON value cannot carry exactly", () => {
  it("400 inexact_number, value unchanged, for 1e400, 12345678901234567890, -0 and their kin", async () => {
    const key = freshKey("numbers");
    await put(key, "kept");
    for (const number of ["1e400", "-1e400", "12345678901234567890", "-0", "-0.0", "0.10000000000000001", "1e-400", "9007199254740993"]) {
      for (const value of [number, `[1, {"deep": ${number}}]`]) {
        const response = await postJson(`{"key":${JSON.stringify(key)},"value":${value}}`);
        const body = await expectError(response, 400, "inexact_number");
        expect(body.error.message).toContain(number);
      }
    }
    expect(await valueOf(key)).toBe("kept");
  });

  it("stores numbers a double carries exactly, as the numbers sent", async () => {
    const cases: [string, unknown][] = [
      ["9007199254740992", 9007199254740992],
      ["0.1", 0.1],
      ["1.0", 1],
      ["1e2", 100],
      ["-5e-324", -5e-324],
      ["1.7976931348623157e308", 1.7976931348623157e308],
      ["0", 0],
      ['"-0 and 12345678901234567890 in a string"', "-0 and 12345678901234567890 in a string"],
    ];
    for (const [text, expected] of cases) {
      const key = freshKey("exact");
      const response = await postJson(`{"key":${JSON.stringify(key)},"value":${text}}`);
      expect(response.status, text).toBe(200);
      expect(await valueOf(key)).toEqual(expected);
    }
  });
});

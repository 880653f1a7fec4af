import { describe, expect, it } from "vitest";
import { createLogger, LogThrottle } from "../../shared/log";

function sink() {
  const lines: { stream: string; line: string }[] = [];
  return {
    lines,
    log: (line: string) => lines.push({ stream: "log", line }),
    warn: (line: string) => lines.push({ stream: "warn", line }),
    error: (line: string) => lines.push({ stream: "error", line }),
  };
}

describe("createLogger", () => {
  it("writes one JSON object per line with level, node, event and the fields", () => {
    const out = sink();
    createLogger("node-2", out).log("warn", "dead", { member: "node-3", incarnation: 4 });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]!.stream).toBe("warn");
    expect(JSON.parse(out.lines[0]!.line)).toEqual({ level: "warn", node: "node-2", event: "dead", member: "node-3", incarnation: 4 });
  });

  it("keeps an error's name and message, and sends errors to the error stream", () => {
    const out = sink();
    createLogger("router", out).log("error", "job_failed", { error: new TypeError("boom") });
    expect(out.lines[0]!.stream).toBe("error");
    expect(JSON.parse(out.lines[0]!.line)).toMatchObject({ error: { name: "TypeError", message: "boom" } });
  });

  it("does not let a field overwrite level, node or event", () => {
    const out = sink();
    createLogger("node-1", out).log("info", "joined", { node: "spoof", level: "error" });
    expect(JSON.parse(out.lines[0]!.line)).toMatchObject({ level: "info", node: "node-1", event: "joined" });
  });
});

describe("LogThrottle", () => {
  it("lets one line per key through each interval, and the next one says how many were suppressed", () => {
    let now = 1_000;
    const throttle = new LogThrottle(10_000, () => now);
    expect(throttle.admit("node-2|read|timeout")).toBe(0);
    now += 1;
    expect(throttle.admit("node-2|read|timeout")).toBeUndefined();
    now += 9_998;
    expect(throttle.admit("node-2|read|timeout")).toBeUndefined();
    // Another key is not suppressed by the first.
    expect(throttle.admit("node-3|read|timeout")).toBe(0);
    now += 1;
    expect(throttle.admit("node-2|read|timeout")).toBe(2);
    expect(throttle.admit("node-2|read|timeout")).toBeUndefined();
  });

  it("lets a line through when the clock went back", () => {
    let now = 50_000;
    const throttle = new LogThrottle(10_000, () => now);
    expect(throttle.admit("k")).toBe(0);
    now = 40_000;
    expect(throttle.admit("k")).toBe(0);
  });

  it("forgets its oldest key past maxKeys, so its memory stays bounded", () => {
    const throttle = new LogThrottle(10_000, () => 0, 2);
    expect(throttle.admit("a")).toBe(0);
    expect(throttle.admit("b")).toBe(0);
    expect(throttle.admit("c")).toBe(0);
    // "a" was forgotten: its next line passes; "c" is still suppressed.
    expect(throttle.admit("a")).toBe(0);
    expect(throttle.admit("c")).toBeUndefined();
  });
});

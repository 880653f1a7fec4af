import { describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log";

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

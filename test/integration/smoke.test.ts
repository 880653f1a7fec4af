import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("writes and reads", async () => {
    const w = await exports.default.fetch("http://x/s/key", { method: "POST", body: JSON.stringify({ key: "a", value: { x: 1 } }) });
    console.log(w.status, await w.text());
    const r = await exports.default.fetch("http://x/s/key?key=a");
    console.log(r.status, await r.text());
    expect(r.status).toBe(200);
  });
});

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { ADMIN, allUp, api, apiWith as withVars, expectError, freshKey, plantOnReplicas, put, replicaCopy, replicasOf } from "./helpers";

afterEach(allUp);

const faultDown = { method: "POST", body: JSON.stringify({ mode: "down" }) };

describe("admin authentication", () => {
  it("401 without a token or with a wrong one, and nothing changes", async () => {
    const missing = await api("/admin/nodes/node-1/fault", faultDown);
    await expectError(missing, 401, "unauthorized");
    expect(missing.headers.get("www-authenticate")).toContain("Bearer");
    await expectError(
      await api("/admin/nodes/node-1/fault", { ...faultDown, headers: { authorization: "Bearer nope-nope-nope" } }),
      401,
      "unauthorized",
    );
    await expectError(
      await api("/admin/nodes/node-1/fault", { ...faultDown, headers: { authorization: `Basic ${env.ADMIN_TOKEN}` } }),
      401,
      "unauthorized",
    );
    await expectError(await api("/admin/nodes/node-1/d/read?key=k"), 401, "unauthorized");
    expect((await env.RING_NODE.getByName("node-1").stats()).fault).toEqual({ mode: "up" });
  });

  it("403 for every admin route when no ADMIN_TOKEN is configured", async () => {
    for (const token of [undefined, ""]) {
      await expectError(
        await withVars({ ADMIN_TOKEN: token }, "/admin/nodes/node-1/fault", { ...faultDown, headers: ADMIN }),
        403,
        "admin_disabled",
      );
      await expectError(
        await withVars({ ADMIN_TOKEN: token }, "/admin/nodes/node-1/d/read?key=k", { headers: ADMIN }),
        403,
        "admin_disabled",
      );
    }
  });

  it("403 for fault injection where FAULTS_ENABLED is false, as in a production deploy", async () => {
    const response = await withVars({ FAULTS_ENABLED: "false" }, "/admin/nodes/node-1/fault", { ...faultDown, headers: ADMIN });
    await expectError(response, 403, "faults_disabled");
    expect((await env.RING_NODE.getByName("node-1").stats()).fault).toEqual({ mode: "up" });
  });
});

describe("POST /admin/nodes/:name/fault", () => {
  const fault = (node: string, body: unknown) =>
    api(`/admin/nodes/${node}/fault`, { method: "POST", headers: ADMIN, body: JSON.stringify(body) });

  it("sets and clears a fault, and says what is now in force", async () => {
    expect(await (await fault("node-2", { mode: "down" })).json()).toEqual({ node: "node-2", fault: { mode: "down" } });
    expect(await (await fault("node-2", { mode: "slow", delayMs: 50 })).json()).toEqual({
      node: "node-2",
      fault: { mode: "slow", delayMs: 50 },
    });
    expect(await (await fault("node-2", { mode: "up" })).json()).toEqual({ node: "node-2", fault: { mode: "up" } });
  });

  it("400 for an unknown mode or a bad delay, 404 for an unknown node", async () => {
    await expectError(await fault("node-1", { mode: "sideways" }), 400, "invalid_fault");
    await expectError(await fault("node-1", {}), 400, "invalid_fault");
    await expectError(await fault("node-1", { mode: "slow", delayMs: -5 }), 400, "invalid_fault");
    await expectError(await fault("node-1", { mode: "slow", delayMs: 10 ** 9 }), 400, "invalid_fault");
    await expectError(await api("/admin/nodes/node-1/fault", { method: "POST", headers: ADMIN, body: "{oops" }), 400, "invalid_fault");
    await expectError(await fault("node-99", { mode: "down" }), 404, "unknown_node");
  });
});

describe("DELETE /admin/nodes/:name", () => {
  it("refuses to leave the ring with fewer nodes than a key has replicas: 409 too_few_nodes, and the node stays", async () => {
    // A router configured for N=5 on the 5-node ring: any leave would leave too few.
    const response = await withVars({ REPLICAS: "5" }, "/admin/nodes/node-1", { method: "DELETE", headers: ADMIN });
    const body = await expectError(response, 409, "too_few_nodes");
    expect(body.error).toMatchObject({ members: 5, live: 4, replicas: 5 });
    expect((await env.RING_NODE.getByName("node-1").stats()).swim?.state).toBe("alive");
  });
});

describe("GET /admin/nodes/:name/d/read", () => {
  it("shows one replica's own copy: value and version, tombstone, or absence", async () => {
    const key = freshKey("inspect");
    const { version } = await (await put(key, { n: 1 }, "?w=all")).json<{ version: string }>();
    const [replica] = replicasOf(key);
    expect(await replicaCopy(replica!, key)).toEqual({ node: replica, key, present: true, tombstone: false, value: { n: 1 }, version });
    const outsider = ["node-1", "node-2", "node-3", "node-4", "node-5"].find((n) => !replicasOf(key).includes(n))!;
    expect(await replicaCopy(outsider, key)).toEqual({ node: outsider, key, present: false, tombstone: false });
  });

  it("shows the stored value as it is, however deeply it nests, as a read does, with its expiry", async () => {
    const key = freshKey("deep");
    // Planted as stored text, deep, and with members a parse and re-serialize would reorder ("2" before "b"):
    // the answer carries the text as stored.
    const text = `{"b":1,"2":${"[".repeat(100_000)}1${"]".repeat(100_000)}}`;
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await plantOnReplicas(key, { kind: "value", value: text, version: { wall: Date.now(), logical: 0, writer: "test" }, expiresAt });
    const [replica] = replicasOf(key);
    const response = await api(`/admin/nodes/${replica}/d/read?key=${encodeURIComponent(key)}`, { headers: ADMIN });
    expect(response.status).toBe(200);
    const answer = await response.text();
    expect(answer).toContain(`"value":${text}`);
    expect(answer).toContain(`"expires_at":${expiresAt}`);
  });

  it("says when the replica cannot answer", async () => {
    await api("/admin/nodes/node-3/fault", { method: "POST", headers: ADMIN, body: JSON.stringify({ mode: "down" }) });
    const body = await expectError(await api("/admin/nodes/node-3/d/read?key=k", { headers: ADMIN }), 502, "replica_unavailable");
    expect(body.error.message).toContain("node-3 is down");
  });

  it("validates the key like the public API", async () => {
    await expectError(await api("/admin/nodes/node-1/d/read", { headers: ADMIN }), 400, "missing_key");
  });
});

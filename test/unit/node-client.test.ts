import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import { NodeClient, type NodeNamespace } from "../../worker/node-client";
import { manualTimers } from "./support/manual-timers";

const timeouts = { data: 3000, membership: 500, stats: 500, admin: 5000 };
const entry: Entry = { kind: "value", value: "v", version: { wall: 1, logical: 0, writer: "w" } };

/** A namespace whose stubs answer at once, on manual timers (which count the timers armed). */
function harness(transport: "rpc" | "fetch" = "rpc") {
  const timers = manualTimers();
  const stub = {
    read: async () => ({ entry, digest: "d" }),
    write: async () => ({ applied: true, version: entry.version, digest: "d" }),
    fetch: async () => Response.json({ entry, digest: "d" }),
  };
  const namespace = { getByName: () => stub } as unknown as NodeNamespace;
  return { client: new NodeClient(namespace, transport, timeouts, timers.schedule), timers };
}

describe("NodeClient", () => {
  it("arms no timer for a replica read (the gather that makes it races it against the replica timeout)", async () => {
    for (const transport of ["rpc", "fetch"] as const) {
      const { client, timers } = harness(transport);
      await expect(client.read("node-1", "k")).resolves.toMatchObject({ entry });
      expect(timers.scheduled()).toBe(0);
    }
  });

  it("arms one timer for a write, since repairs and hints are made outside any gather, and clears it", async () => {
    const { client, timers } = harness();
    await expect(client.write("node-1", "k", entry)).resolves.toMatchObject({ applied: true });
    expect(timers.scheduled()).toBe(1);
    expect(timers.armed()).toEqual([]);
  });
});

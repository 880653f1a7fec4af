import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { CONFIG_VARS, ConfigError, parseConfig } from "../../shared/config";

const NODES = "n1,n2,n3,n4,n5";

describe("parseConfig", () => {
  it("has the seed's defaults: N=3, R=2, W=2, 128 virtual nodes, RPC transport", () => {
    expect(parseConfig({ NODES })).toMatchObject({
      nodes: ["n1", "n2", "n3", "n4", "n5"],
      replicas: 3,
      readQuorum: 2,
      writeQuorum: 2,
      virtualNodes: 128,
      transport: "rpc",
      faultsEnabled: false,
      adminToken: undefined,
      limits: { maxKeyBytes: 512, maxValueBytes: 131072 },
      speculativeRetry: { kind: "percentile", quantile: 0.99 },
    });
    expect(parseConfig({ NODES, SPECULATIVE_RETRY: "off" }).speculativeRetry).toEqual({ kind: "off" });
    expect(parseConfig({ NODES, SPECULATIVE_RETRY: "50" }).speculativeRetry).toEqual({ kind: "fixed", ms: 50 });
    expect(parseConfig({ NODES }).readOrder).toBe("latency");
    expect(parseConfig({ NODES, READ_ORDER: "ring" }).readOrder).toBe("ring");
  });

  it.each([
    [{ NODES, READ_QUORUM: "4" }, "READ_QUORUM=4 exceeds REPLICAS=3"],
    [{ NODES, WRITE_QUORUM: "5" }, "WRITE_QUORUM=5 exceeds REPLICAS=3"],
    [{ NODES: "a,b", REPLICAS: "3" }, "REPLICAS=3 but NODES lists only 2 node(s)"],
    [{ NODES: "" }, "NODES must list at least one node"],
    [{ NODES: "a,a,b" }, "NODES lists a node twice"],
    [{ NODES: "a,b/c,d" }, 'NODES contains "b/c"'],
    [{ NODES: "a,router,d" }, 'NODES contains "router"'],
    [{ NODES, REPLICAS: "three" }, 'REPLICAS must be an integer from 1 to 64, got "three"'],
    [{ NODES, READ_REPAIR_CHANCE: "2" }, "READ_REPAIR_CHANCE must be a number from 0 to 1"],
    [{ NODES, SPECULATIVE_RETRY: "fast" }, 'SPECULATIVE_RETRY: expected "p99"'],
    [{ NODES, READ_ORDER: "fastest" }, 'READ_ORDER must be "latency" or "ring"'],
    [{ NODES, REPLICA_TRANSPORT: "grpc" }, 'REPLICA_TRANSPORT must be "rpc" or "fetch"'],
    [{ NODES, FAULTS_ENABLED: "yes" }, 'FAULTS_ENABLED must be "true" or "false"'],
    [{ NODES, ADMIN_TOKEN: "short" }, "ADMIN_TOKEN must be a string of at least 8 characters"],
  ])("refuses %j: %s", (vars, message) => {
    expect(() => parseConfig(vars)).toThrow(ConfigError);
    expect(() => parseConfig(vars)).toThrow(message);
  });

  it("treats an empty ADMIN_TOKEN as none: the admin API stays off", () => {
    expect(parseConfig({ NODES, ADMIN_TOKEN: "" }).adminToken).toBeUndefined();
  });
});

describe("the vars the configuration reads", () => {
  const text = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
  const declaredIn = (path: string): Set<string> => new Set([...text(path).matchAll(/^\s*([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1]!));

  it("are exactly the names parseConfig reads", () => {
    // shared/access.ts reads the access vars for parseConfig.
    const source = text("shared/config.ts") + text("shared/access.ts");
    const read = new Set([...source.matchAll(/vars\.([A-Z][A-Z0-9_]*)|\(vars, "([A-Z][A-Z0-9_]*)"/g)].map((m) => m[1] ?? m[2]!));
    expect([...read].sort()).toEqual([...CONFIG_VARS].sort());
  });

  it("are each declared in wrangler.toml (or, for a secret, in env.d.ts) and typed on the generated Env", () => {
    const toml = new Set([...text("wrangler.toml").matchAll(/^([A-Z][A-Z0-9_]*) = /gm)].map((m) => m[1]!));
    const secrets = declaredIn("env.d.ts");
    const generated = declaredIn("worker-configuration.d.ts");
    for (const name of CONFIG_VARS) {
      expect(toml.has(name) || secrets.has(name), `${name} in wrangler.toml [vars] or env.d.ts`).toBe(true);
      expect(generated.has(name) || secrets.has(name), `${name} on Env`).toBe(true);
    }
  });
});

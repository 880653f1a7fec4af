import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { buildSync } from "esbuild";
import { defineConfig, defineProject } from "vitest/config";
import { buildDashboard } from "./scripts/build-dashboard.ts";

// The Worker's static assets (wrangler.toml `[assets]`) must exist before any project loads the config.
buildDashboard();

/**
 * Three kinds of tests:
 * - unit: pure logic of shared/ and the simulator, in Node;
 * - integration: the real router and ring node objects in workerd (vitest-pool-workers),
 *   once per replica transport, plus a project that reads every replica on every read;
 * - e2e: a real `wrangler dev` process driven over HTTP.
 */

// Shared test settings: a replica timeout short enough that "slow" costs little time, long
// enough that a loaded CI machine running test files in parallel does not trip it;
// no random read-repair rolls so each test decides what it reads.
//
// SWIM periods are 10 minutes, so node alarms never fire on their own during a test:
// tests step protocol periods with runDurableObjectAlarm, and an alarm run early acts at
// its due time (see durable/scheduler.ts). Every other protocol duration keeps its
// production ratio to the period (1 s period: 500 ms ping timeout, 30 s push-pull...).
const PERIOD = 600_000;
const testVars = {
  ADMIN_TOKEN: "test-admin-token",
  // The data API unauthenticated, as under `npm run dev`; test/integration/access runs token mode.
  DATA_AUTH: "open",
  FAULTS_ENABLED: "true",
  REPLICA_TIMEOUT_MS: "1000",
  READ_REPAIR_CHANCE: "0",
  // Which replicas a read asks is decided by the ring, not by latencies measured on a busy
  // test machine (a cold object's first answer is slow); test/integration/read-order.test.ts
  // specifies the latency order itself.
  READ_ORDER: "ring",
  PROTOCOL_PERIOD_MS: String(PERIOD),
  PING_TIMEOUT_MS: String(PERIOD / 2),
  PUSH_PULL_INTERVAL_MS: String(PERIOD * 30),
  JOIN_RETRY_MS: String(PERIOD * 2),
  DEAD_MEMBER_RETENTION_MS: String(PERIOD * 3600),
  // A dead node keeps its place on the ring through any test that does not step this far;
  // test/integration/membership/grace.test.ts (project "grace") lets a grace end.
  DEAD_NODE_GRACE_MS: String(PERIOD * 100),
  REPAIR_INTERVAL_MS: String(PERIOD * 10),
  // Long enough that only a replica's view digest makes a router refresh early.
  MEMBERSHIP_TTL_MS: "600000",
};

function workersProject(name: string, include: string[], vars: Record<string, string>, exclude: string[] = [], miniflare = {}) {
  return defineProject({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { ...testVars, ...vars }, ...miniflare },
      }),
    ],
    test: { name, include, exclude, testTimeout: 20_000 },
  });
}

/**
 * examples/consumer as an auxiliary worker next to ringkv (the test runner, named after its
 * project), bound to its RingKV entrypoint as its wrangler.toml binds it; tests reach it as CONSUMER.
 */
function withConsumer(project: string) {
  const bundle = buildSync({ entryPoints: ["examples/consumer/src/index.ts"], bundle: true, format: "esm", write: false });
  return {
    serviceBindings: { CONSUMER: "ringkv-consumer" },
    workers: [
      {
        name: "ringkv-consumer",
        modules: true,
        script: bundle.outputFiles[0]!.text,
        compatibilityDate: "2026-04-01",
        serviceBindings: { KV: { name: `vitest-pool-workers-runner-${project}`, entrypoint: "RingKV" } },
      },
    ],
  };
}

export default defineConfig({
  test: {
    projects: [
      defineProject({
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node", testTimeout: 60_000 },
      }),
      workersProject("rpc", ["test/integration/**/*.test.ts"], { REPLICA_TRANSPORT: "rpc" }, [
        "test/integration/read-repair-chance.test.ts",
        "test/integration/node-full.test.ts",
        "test/integration/binding/**",
        "test/integration/membership/grace.test.ts",
      ]),
      workersProject("grace", ["test/integration/membership/grace.test.ts"], { DEAD_NODE_GRACE_MS: String(PERIOD * 12) }),
      // Every read a SQLite lookup: the data path, rebalancing and a graceful leave with no cache.
      workersProject(
        "no-cache",
        [
          "test/integration/data-path/**/*.test.ts",
          "test/integration/rebalancer.test.ts",
          "test/integration/membership/join-leave.test.ts",
          "test/integration/membership/leave-large.test.ts",
        ],
        { CACHE_BYTES: "0" },
      ),
      workersProject("node-full", ["test/integration/node-full.test.ts"], { MAX_NODE_BYTES: "200000" }),
      // The HTTP data API closed (token mode, no tokens): the binding needs none.
      workersProject("binding", ["test/integration/binding/**/*.test.ts"], { DATA_AUTH: "token" }, [], withConsumer("binding")),
      workersProject("fetch", ["test/integration/data-path/**/*.test.ts"], { REPLICA_TRANSPORT: "fetch" }),
      workersProject("read-all", ["test/integration/read-repair-chance.test.ts"], { READ_REPAIR_CHANCE: "1" }),
      defineProject({
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 120_000 },
      }),
    ],
  },
});

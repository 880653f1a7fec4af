import { describe, expect, it } from "vitest";
import { Rng } from "../../../sim/random";
import { ADMIN, api, config, get, put } from "../helpers";
import { ClusterDriver, fault } from "./harness";

/**
 * Read-your-writes over random fault schedules: crash, recover, partition,
 * heal, a sixth node joining and leaving, with writes and reads at quorum
 * (R + W = 4 > N = 3) in between. No read that starts after a write was
 * acknowledged returns an older value of its key. A read may fail (503: too few
 * caught-up replicas); it may not be wrong.
 */
/** Change it to explore another schedule; a failure names the schedule it found. */
const SEED = 20261202;
const KEYS = Array.from({ length: 12 }, (_, i) => `ryw-${i}`);
const driver = new ClusterDriver();

describe("read-your-writes under random faults", () => {
  it(`holds for a random schedule (seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rng.next() * items.length)]!;
    await driver.start();
    const crashed = new Set<string>();
    const partitioned = new Set<string>();
    let sixth: "absent" | "member" | "left" = "absent";
    /** Per key, the newest value a write was acknowledged with. */
    const acked = new Map<string, number>();
    let counter = 0;
    const stale: string[] = [];
    const log: string[] = [];
    let served = 0;

    const faultStep = async () => {
      const base = config.nodes;
      const roll = rng.next();
      if (roll < 0.25 && crashed.size < 2) {
        const node = pick(base.filter((n) => !crashed.has(n)));
        await fault(node, { mode: "crash" });
        crashed.add(node);
        log.push(`crash ${node}`);
      } else if (roll < 0.5 && crashed.size > 0) {
        const node = pick([...crashed]);
        await fault(node, { mode: "recover" });
        crashed.delete(node);
        log.push(`recover ${node}`);
      } else if (roll < 0.65 && partitioned.size === 0) {
        const node = pick(base.filter((n) => !crashed.has(n)));
        const peers = base.filter((n) => n !== node);
        await fault(node, { mode: "partition", peers });
        partitioned.add(node);
        log.push(`isolate ${node}`);
      } else if (roll < 0.8 && partitioned.size > 0) {
        const node = [...partitioned][0]!;
        await fault(node, { mode: "up" });
        partitioned.delete(node);
        log.push(`heal ${node}`);
      } else if (roll < 0.9 && sixth === "absent") {
        const introducer = pick(base.filter((n) => !crashed.has(n) && !partitioned.has(n)));
        const response = await api("/admin/nodes", {
          method: "POST",
          headers: ADMIN,
          body: JSON.stringify({ name: "node-6", introducer }),
        });
        if (response.status === 201) {
          sixth = "member";
          driver.nodes.add("node-6");
        }
        log.push(`join node-6 via ${introducer}: ${response.status}`);
      } else if (sixth === "member") {
        const response = await api("/admin/nodes/node-6", { method: "DELETE", headers: ADMIN });
        if (response.status === 200) sixth = "left";
        log.push(`leave node-6: ${response.status}`);
      }
    };

    const dataStep = async () => {
      const key = pick(KEYS);
      if (rng.next() < 0.5) {
        const value = ++counter;
        const response = await put(key, value);
        if (response.status === 200) acked.set(key, Math.max(acked.get(key) ?? 0, value));
        else expect(response.status, await response.text()).toBe(503);
        return;
      }
      const floor = acked.get(key) ?? 0;
      const response = await get(key);
      const text = await response.text();
      if (response.status === 503) return;
      served++;
      const value = response.status === 404 ? 0 : (JSON.parse(text) as { value: number }).value;
      if (response.status !== 200 && response.status !== 404) throw new Error(`read of ${key} answered ${response.status}: ${text}`);
      if (value < floor) stale.push(`after [${log.join(", ")}]: ${key} read ${value}, acknowledged ${floor}`);
    };

    for (let round = 0; round < 40; round++) {
      await faultStep();
      for (let i = 0; i < 6; i++) await dataStep();
      const steps = 1 + Math.floor(rng.next() * 12);
      for (let i = 0; i < steps && (await driver.step()); i++) await dataStep();
    }
    console.log(`seed ${SEED}: ${served} reads served, ${acked.size} keys acknowledged; schedule: ${log.join(", ")}`);
    expect(served).toBeGreaterThan(40);
    expect(stale).toEqual([]);
  }, 600_000);
});

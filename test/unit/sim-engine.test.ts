import { describe, expect, it } from "vitest";
import { DEFAULT_SWIM_CONFIG } from "../../shared/swim";
import { SimCluster } from "../../sim/cluster";
import { EventQueue } from "../../sim/heap";
import { Network } from "../../sim/network";
import { Rng } from "../../sim/random";

describe("EventQueue", () => {
  it("pops in time order, and events at the same time in insertion order", () => {
    const q = new EventQueue<string>();
    const rng = new Rng(7);
    const pushed: [number, string][] = [];
    for (let i = 0; i < 1_000; i++) {
      const t = rng.int(50);
      pushed.push([t, `e${i}`]);
      q.push(t, `e${i}`);
    }
    const expected = [...pushed].sort((a, b) => a[0] - b[0]).map(([, e]) => e); // Array.sort is stable
    const popped: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) popped.push(e);
    expect(popped).toEqual(expected);
  });

  it("interleaves pushes and pops correctly", () => {
    const q = new EventQueue<number>();
    q.push(5, 5);
    q.push(1, 1);
    expect(q.pop()).toBe(1);
    q.push(3, 3);
    q.push(9, 9);
    expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([3, 5, 9, undefined]);
  });
});

describe("Rng", () => {
  it("is reproducible from its seed, and forks are independent streams", () => {
    const draw = (rng: Rng) => Array.from({ length: 5 }, () => rng.uint32());
    expect(draw(new Rng(1))).toEqual(draw(new Rng(1)));
    expect(draw(new Rng(1))).not.toEqual(draw(new Rng(2)));
    const parent = new Rng(1);
    expect(draw(parent.fork())).not.toEqual(draw(parent.fork()));
  });

  it("is roughly uniform on [0, 1)", () => {
    const rng = new Rng(3);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(rng.next() * 10)]!++;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe("Network", () => {
  it("loses the configured fraction of messages", () => {
    const net = new Network({ loss: 0.1, latencyMinMs: 1, latencyMeanExtraMs: 4 }, new Rng(5));
    let lost = 0;
    for (let i = 0; i < 20_000; i++) if (net.transit(0, 1) === undefined) lost++;
    expect(lost / 20_000).toBeCloseTo(0.1, 1);
  });

  it("cuts links and splits groups, and an overloaded member receives late", () => {
    const net = new Network({ loss: 0, latencyMinMs: 1, latencyMeanExtraMs: 0 }, new Rng(5));
    net.cutLink(0, 1);
    expect(net.transit(1, 0)).toBeUndefined();
    expect(net.transit(0, 2)).toBe(1);
    net.split(Int32Array.from([0, 0, 1]));
    expect(net.transit(0, 2)).toBeUndefined();
    net.split(undefined);
    net.overload(2, 3_000);
    let total = 0;
    for (let i = 0; i < 2_000; i++) total += net.transit(0, 2)!;
    expect(total / 2_000).toBeGreaterThan(2_500);
  });
});

describe("SimCluster", () => {
  it("the same seed gives the same run, message for message", () => {
    const run = (seed: number) => {
      const cluster = new SimCluster({ size: 30, seed, config: DEFAULT_SWIM_CONFIG, network: { loss: 0.05 } });
      const events: string[] = [];
      cluster.observe((observer, e) => events.push(`${cluster.now} ${observer} ${e.type} ${e.member}@${e.incarnation}`));
      cluster.runFor(60_000);
      cluster.crash(3);
      cluster.runFor(60_000);
      return { sent: { ...cluster.sent }, events };
    };
    const first = run(11);
    expect(first.events.length).toBeGreaterThan(0);
    expect(run(11)).toEqual(first);
    expect(run(12)).not.toEqual(first);
  });
});

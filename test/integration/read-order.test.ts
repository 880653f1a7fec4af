import { describe, expect, it } from "vitest";
import type { Entry } from "../../shared/entry";
import type { MemberStatus } from "../../shared/swim";
import { parseSpeculativeRetry, type SpeculativeRetry } from "../../shared/speculation";
import { HybridClock } from "../../shared/version";
import type { ReadReply, WriteReply } from "../../shared/wire";
import { Coordinator } from "../../worker/coordinator";
import { buildView, type MembershipSource } from "../../worker/membership";
import { ReplicaLatency } from "../../worker/read-order";
import type { ReadOrder } from "../../shared/config";
import { deferred, flush, manualTimers } from "../unit/support/manual-timers";

/**
 * The router's reads with latency knowledge (worker/read-order.ts), on fake replicas and manual
 * timers: which replica a read asks first, when it speculates, and what it
 * repairs afterwards. Pure, but run in workerd: the coordinator's types reach
 * the ring node's through the replica client, which only the Workers types check.
 */
const KEY = "k";
const entry = (wall: number, value: string): Entry => ({ kind: "value", value, version: { wall, logical: 0, writer: "w" } });

function cluster(options: { retry?: string; suspects?: string[]; order?: ReadOrder } = {}) {
  const timers = manualTimers();
  const members: MemberStatus[] = ["a", "b", "c"].map((name) => ({
    name,
    state: options.suspects?.includes(name) ? "suspect" : "alive",
    incarnation: 0,
  }));
  const view = buildView(members, { virtualNodes: 8, replicas: 3 });
  const membership: MembershipSource = { view: async () => view, observe: () => undefined };
  const reads: { node: string; answer: (e: Entry | null) => void }[] = [];
  const repairs: [string, Entry][] = [];
  const latency = new ReplicaLatency(policy(options.retry ?? "p99"), 1000, timers.now, options.order);
  const coordinator = new Coordinator({
    membership,
    replicas: {
      read: (node) => {
        const reply = deferred<ReadReply>();
        reads.push({ node, answer: (e) => reply.resolve({ entry: e, digest: view.digest }) });
        return reply.promise;
      },
      write: async (node, _key, written): Promise<WriteReply> => {
        repairs.push([node, written]);
        return { applied: true, version: written.version, digest: view.digest };
      },
      batch: () => Promise.reject(new Error("no batches in this spec")),
      hint: () => Promise.reject(new Error("no hints in this spec")),
    },
    clock: new HybridClock("test", timers.now),
    schedule: timers.schedule,
    random: () => 0.5,
    replicaTimeoutMs: 1000,
    readRepairChance: 0,
    latency,
  });
  const background: Promise<unknown>[] = [];
  const read = () => coordinator.read(KEY, 2, (p) => background.push(p));
  /** The replica asked `i`-th answers. */
  const answer = async (i: number, e: Entry | null = entry(1, '"v"')) => {
    await flush();
    reads[i]!.answer(e);
    await flush();
  };
  /** Teaches the isolate each node's latency: `rounds` reads where every replica answers after its time. */
  const teach = async (ms: Record<string, number>, rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      reads.length = 0;
      const pending = read();
      await flush();
      const byTime = [...reads].sort((x, y) => ms[x.node]! - ms[y.node]!);
      let elapsed = 0;
      for (const asked of byTime) {
        await timers.advance(ms[asked.node]! - elapsed);
        elapsed = ms[asked.node]!;
        asked.answer(entry(1, '"v"'));
        await flush();
      }
      await pending;
    }
    reads.length = 0;
  };
  return { view, reads, repairs, background, read, answer, teach, timers, asked: () => reads.map((r) => r.node) };
}

function policy(raw: string): SpeculativeRetry {
  const parsed = parseSpeculativeRetry(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

describe("latency-aware read order", () => {
  it("asks the key's first two replicas in preference order while none is known to be slow", async () => {
    const c = cluster();
    void c.read();
    await flush();
    expect(c.asked()).toEqual(c.view.ring.preferenceList(KEY).slice(0, 2));
  });

  it("stops asking a replica first once it has been answering much slower than the others", async () => {
    const c = cluster({ retry: "off" });
    const [first, second, third] = c.view.ring.preferenceList(KEY) as [string, string, string];
    await c.teach({ [first]: 300, [second]: 2, [third]: 3 }, 3);
    void c.read();
    await flush();
    expect(c.asked()).toEqual([second, third]);
  });

  it("with READ_ORDER=ring, keeps asking the preference list's first replicas however slow they were", async () => {
    const c = cluster({ retry: "off", order: "ring" });
    const [first, second] = c.view.ring.preferenceList(KEY) as [string, string, string];
    await c.teach({ [first]: 300, [second]: 2 }, 3);
    void c.read();
    await flush();
    expect(c.asked()).toEqual([first, second]);
  });

  it("still asks suspect members last, however fast they were", async () => {
    const preference = cluster().view.ring.preferenceList(KEY);
    const c = cluster({ retry: "off", suspects: [preference[0]!] });
    void c.read();
    await flush();
    expect(c.asked()).toEqual([preference[1], preference[2]]);
  });
});

describe("speculative reads", () => {
  it("asks the third replica when one of the first two is silent for the fixed delay, and answers from the first two replies", async () => {
    const c = cluster({ retry: "20" });
    const preference = c.view.ring.preferenceList(KEY);
    const result = c.read();
    await c.answer(0, entry(5, '"new"'));
    await c.timers.advance(19);
    expect(c.asked()).toEqual(preference.slice(0, 2));
    await c.timers.advance(1);
    expect(c.asked()).toEqual(preference);
    await c.answer(2, entry(5, '"new"'));
    expect((await result).entry).toEqual(entry(5, '"new"'));
  });

  it("sends no third request when the first two answer within the delay", async () => {
    const c = cluster({ retry: "20" });
    const result = c.read();
    await c.answer(0);
    await c.answer(1);
    await result;
    await c.timers.advance(1000);
    expect(c.asked()).toHaveLength(2);
  });

  it("read-repairs every replica that answered, the slow one included, after a speculative read", async () => {
    const c = cluster({ retry: "20" });
    const result = c.read();
    const newest = entry(9, '"newest"');
    await c.answer(0, newest);
    await c.timers.advance(20);
    await c.answer(2, entry(3, '"older"'));
    expect((await result).entry).toEqual(newest);
    await c.answer(1, null);
    await Promise.all(c.background);
    expect(c.repairs.sort()).toEqual(
      [
        [c.asked()[1], newest],
        [c.asked()[2], newest],
      ].sort(),
    );
  });

  it("with p99, waits for the replica timeout until enough answers are known, then speculates at their p99", async () => {
    const c = cluster();
    const preference = c.view.ring.preferenceList(KEY);
    void c.read();
    await c.answer(0);
    await c.timers.advance(999);
    expect(c.asked()).toHaveLength(2);

    const d = cluster();
    await d.teach({ [preference[0]!]: 4, [preference[1]!]: 4, [preference[2]!]: 4 }, 16);
    void d.read();
    await d.answer(0);
    await d.timers.advance(3);
    expect(d.asked()).toHaveLength(2);
    await d.timers.advance(1);
    expect(d.asked()).toHaveLength(3);
  });
});

import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { MemberStatus } from "../../../shared/swim";
import { accepted, api, ADMIN, config } from "../helpers";

/**
 * Steps a cluster of real ring node objects through SWIM protocol periods,
 * deterministically: a discrete-event loop over the nodes' alarms. Each step
 * runs the alarm due soonest among all nodes; the node acts at the alarm's due
 * time (see durable/scheduler.ts), so virtual time is the due time of the last
 * alarm run. Periods are configured long enough (vitest.config.ts) that no
 * alarm fires on its own.
 */
export const PERIOD = config.swim.protocolPeriodMs;

export class ClusterDriver {
  /** Virtual time: the due time of the last alarm run. */
  now = 0;
  readonly nodes = new Set(config.nodes);

  private started: Promise<void> | undefined;

  /**
   * Wakes every node (a configured node bootstraps on first contact) and starts the clock,
   * once: a later call waits for the first, so each test can ask for a started cluster.
   */
  start(): Promise<void> {
    return (this.started ??= this.wake());
  }

  private async wake(): Promise<void> {
    const views = await Promise.all([...this.nodes].map(async (node) => accepted(await stub(node).membership())));
    for (const view of views) expect(view.members.length).toBe(config.nodes.length);
    this.now = Date.now();
  }

  /** When `node`'s alarm is armed for, or null. */
  alarmOf(node: string): Promise<number | null> {
    return runInDurableObject(stub(node), (_instance, state) => state.storage.getAlarm());
  }

  /** Runs the alarm due soonest; false when no node has one. */
  async step(): Promise<boolean> {
    const due = await Promise.all([...this.nodes].map(async (node) => [node, await this.alarmOf(node)] as const));
    const next = due.filter((d): d is readonly [string, number] => d[1] !== null).sort((a, b) => a[1] - b[1])[0];
    if (next === undefined) return false;
    this.now = Math.max(this.now, next[1]);
    await runDurableObjectAlarm(stub(next[0]));
    return true;
  }

  /** Steps until `done` holds; returns the virtual time that took, in protocol periods. */
  async until(done: () => Promise<boolean>, maxPeriods: number): Promise<number> {
    const start = this.now;
    while (!(await done())) {
      if (this.now - start > maxPeriods * PERIOD) {
        throw new Error(`not done within ${maxPeriods} protocol periods`);
      }
      if (!(await this.step())) throw new Error("no node has an alarm: the cluster stopped");
    }
    return (this.now - start) / PERIOD;
  }

  /** Steps `periods` protocol periods of virtual time. */
  async run(periods: number): Promise<void> {
    const end = this.now + periods * PERIOD;
    while (this.now < end && (await this.step()));
  }

  /** What `node` believes about `member`. */
  async stateOf(node: string, member: string): Promise<MemberStatus | undefined> {
    const view = accepted(await stub(node).membership());
    return view.members.find((m) => m.name === member);
  }

  /** Whether every node in `observers` sees `member` in `state`. */
  async allSee(observers: Iterable<string>, member: string, state: MemberStatus["state"]): Promise<boolean> {
    for (const node of observers) if ((await this.stateOf(node, member))?.state !== state) return false;
    return true;
  }

  /**
   * A whole cluster for a test to start from: started, every fault cleared, every node
   * holding every node alive, and none catching up (a node back from a crash, or that joined,
   * catches up on its alarm, before its reads count again); steps up to `maxPeriods` until it is.
   */
  async healthy(maxPeriods = 40): Promise<void> {
    await this.start();
    // Through each node's stub: the router may not know a node that joined yet.
    for (const node of this.nodes) expect((await stub(node).setFault({ mode: "up" })).fault).toEqual({ mode: "up" });
    await this.until(async () => {
      for (const member of this.nodes) if (!(await this.allSee(this.nodes, member, "alive"))) return false;
      for (const node of this.nodes) if ((await stub(node).stats()).catchUp !== null) return false;
      return true;
    }, maxPeriods);
  }
}

export function stub(node: string) {
  return env.RING_NODE.getByName(node);
}

export async function fault(node: string, body: Record<string, unknown>): Promise<Response> {
  const response = await api(`/admin/nodes/${node}/fault`, { method: "POST", headers: ADMIN, body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).toBe(200);
  return response;
}

export interface ClusterBody {
  nodes: {
    name: string;
    state: string;
    incarnation: number | null;
    reachable: boolean;
    keys?: number;
    self?: { state: string; incarnation: number } | null;
  }[];
  viewsAgree: boolean;
}

/** GET /cluster, through the shared router or another (`routerWith`: one whose view is fetched afresh). */
export async function clusterView(router: (path: string) => Promise<Response> = api): Promise<ClusterBody> {
  const response = await router("/cluster");
  expect(response.status).toBe(200);
  return response.json<ClusterBody>();
}

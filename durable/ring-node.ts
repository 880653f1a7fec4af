import { DurableObject } from "cloudflare:workers";
import { parseConfig, type ClusterConfig } from "../shared/config";
import { isEntry, type Entry } from "../shared/entry";
import { createLogger, type Logger } from "../shared/log";
import { RecentEvents } from "../shared/recent-events";
import { Ring } from "../shared/ring";
import { isEnvelope, MAX_WIRE_MEMBERS, type Envelope, type MembershipEvent } from "../shared/swim";
import type { MetricFamily } from "../shared/metrics";
import { BadArgument, refusal, type NodeApi, type Refusable, type Refusal, type WriteOrigin } from "../shared/node-api";
import { isVersion } from "../shared/version";
import { ringDigest, ringMembers } from "../shared/view";
import type {
  AntiEntropyReply,
  BatchItem,
  BatchReply,
  CatchUpReply,
  CatchUpPart,
  HintReply,
  ListReply,
  FaultRequest,
  KeyedEntry,
  KeyVersion,
  LeaveResult,
  MembershipReply,
  NodeStats,
  ReadReply,
  ApplyEntriesReply,
  WriteReply,
} from "../shared/wire";
import { MAX_PEER_ITEMS } from "../shared/wire";
import { checkBatchItems } from "./batch";
import { CatchUpRun } from "./catch-up";
import { HintStore } from "./hints";
import { checkHintWrites } from "./hint-writes";
import { HintHandover } from "./hint-handover";
import { FaultSwitch } from "./fault-switch";
import { serveInternalApi } from "./internal-api";
import { NodeMetrics } from "./node-metrics";
import { PeriodicWork } from "./periodic-work";
import { ownName } from "./own-name";
import { rpcTransport, type PeerTransport } from "./peer-transport";
import { Rebalancer } from "./rebalancer";
import { ReplicaOps } from "./replica-ops";
import { ReplicaStore } from "./replica-store";
import { migrate } from "./schema";
import { SwimHost } from "./swim-host";

/** The most live keys a node returns for one page of a listing. */
const MAX_LIST_LIMIT = 1000;

/**
 * One node of the ring: a replica of every key whose preference list names it,
 * and a SWIM member that watches the others.
 *
 * Its operations are the RPC methods below; `fetch` serves the replica
 * operations as an internal HTTP API. Neither is reachable from the public
 * routes: only code holding the RING_NODE binding (the router, other nodes) can
 * reach an object.
 *
 * Its periodic work (the SWIM period and timers, repair, rebalancing, catch-up)
 * shares the object's one alarm (durable/periodic-work.ts), whose `now` is also
 * the protocol's time; which job runs when is decided by `JobRules`
 * (shared/jobs.ts). Every call it makes to a peer goes through one
 * `PeerTransport`, gated once by the fault switch. What it persists is declared
 * in durable/schema.ts, whose migrations run first.
 */
export class RingNode extends DurableObject<Env> implements NodeApi {
  private readonly config: ClusterConfig;
  private readonly store: ReplicaStore;
  private readonly hints: HintStore;
  private readonly handover: HintHandover;
  private readonly transport: PeerTransport;
  private readonly catchUp: CatchUpRun;
  private readonly faults: FaultSwitch;
  private readonly gossip: SwimHost;
  private readonly rebalancer: Rebalancer;
  /** The periodic work on the alarm; public so a test can schedule a job (`work.rules`) and see what is scheduled. */
  readonly work: PeriodicWork;
  private readonly replica: ReplicaOps;
  private readonly events = new RecentEvents();
  /** In memory: they start from zero with the object (see durable/node-metrics.ts). */
  private readonly counters = new NodeMetrics();
  private readonly logger: Logger;
  private ring: Ring | undefined;
  private digest = "";
  /** When (protocol time) this node's ring last changed. */
  private ringSince = 0;

  /** The name the router addressed this object by: its ring member name. */
  readonly name: string;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage);
    this.name = ownName(ctx);
    this.logger = createLogger(this.name, console);
    this.config = parseConfig(env);
    // Reads the stored counts only: the entries stay in SQLite until asked for.
    const { cacheBytes, maxNodeBytes } = this.config.storage;
    this.store = new ReplicaStore(ctx.storage, { node: this.name, cacheBytes, maxBytes: maxNodeBytes });
    this.hints = new HintStore(ctx.storage.sql);
    this.faults = new FaultSwitch(ctx.storage.kv);
    // Bulk calls get a few replica timeouts: a slow peer must not hold a sweep (or the alarm) for long.
    const rpc = rpcTransport({
      self: this.name,
      stub: (peer) => env.RING_NODE.getByName(peer),
      bulkTimeoutMs: this.config.replicaTimeoutMs * 3,
    });
    this.transport = this.faults.gate(rpc);
    this.handover = new HintHandover({
      hints: this.hints,
      transport: this.transport,
      absorb: (entries) => void this.store.applyAll(entries),
      logger: this.logger,
      absorbed: () => this.work.rebalanceSoon(),
    });
    this.catchUp = new CatchUpRun({
      kv: ctx.storage.kv,
      pull: (peer, part, after) => this.transport.catchUpPage(peer, this.ring?.members ?? [], part, after),
      apply: (entries) => void this.store.applyAll(entries),
      // The peer holds our ring, and has long enough that routers have learnt it too.
      counts: (page) => page.digest === this.digest && page.ringAgeMs >= this.config.membershipTtlMs,
      wallNow: Date.now,
    });
    this.gossip = new SwimHost({
      self: this.name,
      config: this.config.swim,
      kv: ctx.storage.kv,
      random: Math.random,
      now: () => this.work.now(),
      link: (envelope, timeoutMs) => this.transport.swim(envelope, timeoutMs),
      onChange: (events) => this.membershipChanged(events),
      onDeathRefuted: () => this.work.beginCatchUp("recovering"),
      onMessage: (direction, type) => this.counters.swimMessages.inc({ direction, type }),
    });
    this.rebalancer = new Rebalancer(this.name, this.store, this.transport, this.config.tombstoneTtlMs, Date.now, this.counters);
    this.work = new PeriodicWork({
      self: this.name,
      storage: ctx.storage,
      timing: {
        protocolPeriodMs: this.config.swim.protocolPeriodMs,
        repairIntervalMs: this.config.repairIntervalMs,
        repairBatch: this.config.repairBatch,
      },
      gossip: this.gossip,
      catchUp: this.catchUp,
      handover: this.handover,
      rebalancer: this.rebalancer,
      crashed: () => this.faults.crashed,
      ring: () => this.ring,
      refreshRing: () => this.refreshRing(),
      logger: this.logger,
      counters: this.counters,
    });
    this.replica = new ReplicaOps({
      name: this.name,
      store: this.store,
      hints: this.hints,
      counters: this.counters,
      maxNodeBytes,
      member: () => this.gossip.active,
      notMember: () => this.notMember(),
      flags: () => (this.catchUp.active ? { digest: this.digest, catchingUp: true } : { digest: this.digest }),
      buildRing: (members) => this.buildRing(members),
      heldRing: () => {
        this.refreshRing();
        return { digest: this.digest, ringAgeMs: this.work.now() - this.ringSince };
      },
      countReceived: (entries) => this.rebalancer.countReceived(entries),
    });
    if (!this.faults.crashed) this.start();
  }

  // ---- replica operations (the router) -------------------------------------
  // Arguments are checked, then the caller admitted, then the work done (durable/replica-ops.ts).

  async read(key: string): Promise<Refusable<ReadReply>> {
    requireKey(key);
    return (await this.admitData()) ?? this.replica.read(key);
  }

  async write(key: string, entry: Entry, origin: WriteOrigin = "client"): Promise<Refusable<WriteReply>> {
    requireKey(key);
    if (!isEntry(entry)) throw new BadArgument("write: malformed entry");
    if (origin !== "client" && origin !== "repair") throw new BadArgument("write: origin must be client or repair");
    return (await this.admitData()) ?? this.replica.write({ key, entry }, origin);
  }

  /** A client batch's operations on keys this node replicates, in order (see durable/batch.ts). */
  async batch(items: readonly BatchItem[]): Promise<Refusable<BatchReply>> {
    checkBatchItems(items);
    return (await this.admitData()) ?? this.replica.batch(items);
  }

  /** A page of a listing: this node's keys after `after` with `prefix` (see shared/listing.ts). */
  async list(prefix: string, after: string, limit: number): Promise<Refusable<ListReply>> {
    if (typeof prefix !== "string" || typeof after !== "string" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new BadArgument("list: expected a prefix, a key to start after and a limit");
    }
    return (await this.admitData()) ?? this.replica.list(prefix, after, limit);
  }

  async applyEntries(entries: readonly KeyedEntry[], from?: string): Promise<Refusable<ApplyEntriesReply>> {
    if (!Array.isArray(entries) || entries.length > MAX_PEER_ITEMS) {
      throw new BadArgument(`applyEntries: expected an array of at most ${MAX_PEER_ITEMS} entries`);
    }
    for (const item of entries) {
      requireKey(item?.key);
      if (!isEntry(item.entry)) throw new BadArgument("applyEntries: malformed entry");
    }
    const refused = from === undefined ? await this.admitData() : this.admitPeer(from);
    return refused ?? this.replica.applyEntries(entries, from !== undefined);
  }

  /** Keeps writes for `target`, a home replica of their keys that is down (see durable/hints.ts). */
  async hint(target: string, writes: readonly KeyedEntry[]): Promise<Refusable<HintReply>> {
    requireKey(target);
    if (target === this.name) throw new BadArgument("hint: a node does not hold hints for itself");
    checkHintWrites(writes);
    return (await this.admitData()) ?? this.replica.hint(target, writes);
  }

  /** A page of what `target`, catching up, should have from this node (see shared/catch-up.ts). */
  async catchUpPage(target: string, ring: readonly string[], part: CatchUpPart, after: string): Promise<Refusable<CatchUpReply>> {
    requireKey(target);
    if (!Array.isArray(ring) || ring.length > MAX_WIRE_MEMBERS || !ring.every((n) => typeof n === "string") || typeof after !== "string") {
      throw new BadArgument("catchUpPage: expected the target's ring members and a key to start after");
    }
    return this.admitPeer(target) ?? this.replica.catchUpPage(target, ring, part, after);
  }

  /**
   * Data operations reach only members: a node that left (or never joined)
   * refuses them, so a router with an older view fails over to the next replica
   * and, from the replies of the others, learns the newer view.
   */
  private async admitData(): Promise<Refusal | undefined> {
    return (await this.faults.admitData(this.name)) ?? (this.gossip.active ? undefined : this.notMember());
  }

  private admitPeer(from: string): Refusal | undefined {
    return this.faults.admitPeer(this.name, from) ?? (this.gossip.active ? undefined : this.notMember());
  }

  private notMember(): Refusal {
    return refusal("not_member", `${this.name} is not a member of the cluster (it left, or never joined)`);
  }

  /** Anti-entropy: a peer's versions of some keys against ours. */
  async antiEntropy(items: readonly KeyVersion[], from: string): Promise<Refusable<AntiEntropyReply>> {
    requireKey(from);
    if (!Array.isArray(items) || items.length > MAX_PEER_ITEMS || !items.every((i) => typeof i?.key === "string" && isVersion(i.version))) {
      throw new BadArgument(`antiEntropy: expected at most ${MAX_PEER_ITEMS} keys with versions`);
    }
    return this.admitPeer(from) ?? this.rebalancer.answerAntiEntropy(items);
  }

  // ---- membership (other nodes, the router, operators) ---------------------

  /**
   * A SWIM message from a peer; returns our replies to it, or null when a fault
   * drops the message. Null rather than an exception: a thrown error is logged
   * as uncaught by the runtime, and a crashed node would flood the log with one
   * per probe, while silence is exactly what SWIM expects of a lost message.
   */
  async swim(envelope: Envelope): Promise<Envelope[] | null> {
    if (!isEnvelope(envelope)) throw new BadArgument("swim: malformed envelope");
    if (!this.faults.canReach(envelope.from)) return null;
    const replies = await this.gossip.receive(envelope);
    this.work.arm();
    return replies;
  }

  /**
   * This node's membership view, for routers building their ring. Empty from a
   * node that is not taking part (never started, or left): its view is stale.
   */
  async membership(): Promise<Refusable<MembershipReply>> {
    const refused = this.faults.admitPeer(this.name, undefined);
    if (refused) return refused;
    if (!this.gossip.active) return { node: this.name, members: [], digest: this.digest };
    this.refreshRing();
    const reply = { node: this.name, members: this.gossip.members(), ring: this.ring?.members ?? [], digest: this.digest };
    return this.catchUp.active ? { ...reply, catchingUp: true } : reply;
  }

  /** Joins the cluster through `introducers` (an operator adding this node). */
  async join(introducers: readonly string[]): Promise<Refusable<NodeStats>> {
    if (!Array.isArray(introducers) || introducers.length > MAX_WIRE_MEMBERS || !introducers.every((n) => typeof n === "string")) {
      throw new BadArgument(`join: expected at most ${MAX_WIRE_MEMBERS} member names`);
    }
    const refused = this.faults.admitPeer(this.name, undefined);
    if (refused) return refused;
    await this.gossip.join(introducers);
    // A node that was never started, or had left, has no periods or repair scheduled yet.
    this.start();
    // It may hold nothing of its ranges yet: it reads for no quorum until it has pulled them.
    this.work.beginCatchUp("joining");
    return this.ownStats();
  }

  /**
   * Graceful leave: hand every key to the ring without this node, then announce
   * it and go quiet. If some replica did not take its keys, the node stays a
   * member (it still holds copies nobody else confirmed) and says how many keys
   * remain; the operator retries.
   */
  async leave(): Promise<Refusable<LeaveResult>> {
    const refused = this.faults.admitPeer(this.name, undefined);
    if (refused) return refused;
    this.refreshRing();
    const without = this.buildRing((this.ring?.members ?? []).filter((name) => name !== this.name));
    // Hints this node holds become its entries, so the drain hands them to the ring too.
    this.handover.absorb(() => true);
    const { handedOff, remaining: rows, unconfirmed } = await this.replica.drain(() => this.rebalancer.drain(without));
    // A hint that did not fit in this node's store is still here: it must not leave with it.
    const remaining = rows + this.hints.summary().entries;
    if (remaining > 0) return { left: false, handedOff, remaining, unconfirmed };
    await this.gossip.leave();
    this.work.left();
    return { left: true, handedOff, stats: this.ownStats() };
  }

  // ---- operators -----------------------------------------------------------

  /** This replica's own copy of `key`, whatever its fault mode. */
  async inspect(key: string): Promise<ReadReply> {
    requireKey(key);
    return { entry: this.store.get(key) ?? null, digest: this.digest };
  }

  /** Always answers, even when crashed: it is the operator's console, not the node's network. */
  async stats(): Promise<NodeStats> {
    return this.ownStats();
  }

  /** Counters and histograms for GET /metrics. Refused when crashed: a crashed machine answers no scrape. */
  async metrics(): Promise<Refusable<MetricFamily[]>> {
    const refused = this.faults.admitPeer(this.name, undefined);
    if (refused) return refused;
    return this.counters.collect(this.ownStats());
  }

  private ownStats(): NodeStats {
    const self = this.gossip.self;
    const { groupCommit, ...store } = this.replica.storeStats();
    return {
      name: this.name,
      ...store,
      fault: this.faults.current,
      hints: this.hints.summary(),
      catchUp: this.catchUp.progress,
      groupCommit,
      ...(self && { swim: { state: self.state, incarnation: self.incarnation, health: this.gossip.health } }),
      digest: this.digest,
      events: this.events.list(),
    };
  }

  /**
   * Injects a fault. A crash is persisted, then the object is reset: its memory
   * is gone, and it refuses everything until `recover`. A restart resets the
   * object and changes nothing stored: the node comes back as after a deploy,
   * from its snapshot, with no catch-up (it was never declared dead).
   */
  async setFault(fault: FaultRequest): Promise<NodeStats> {
    if (fault.mode === "restart") {
      this.resetAfterReply("injected restart");
      return this.ownStats();
    }
    const wasCrashed = this.faults.crashed;
    this.faults.set(fault);
    if (fault.mode === "crash" && !wasCrashed) {
      void this.ctx.storage.deleteAlarm();
      this.resetAfterReply("injected crash");
    }
    if (wasCrashed && fault.mode !== "crash") {
      // The reply does not wait for the rejoin; a failed one is logged, and the join retry or an operator takes it on.
      this.recover().catch((error: unknown) => this.logger.log("error", "recover_failed", { error }));
    }
    return this.ownStats();
  }

  /** Resets the object once this call's reply has left: a reset before it would fail the caller's call. */
  private resetAfterReply(reason: string): void {
    setTimeout(() => this.ctx.abort(reason), 0);
  }

  /**
   * Back from a crash: rejoin through the members it last knew and refute. The
   * others may have declared it dead meanwhile and written to hints for it, so
   * it catches up before its reads count again.
   */
  private async recover(): Promise<void> {
    const introducers = this.gossip
      .members()
      .filter((m) => m.name !== this.name && m.state !== "left")
      .map((m) => m.name);
    this.work.beginCatchUp("recovering");
    await this.join(introducers);
    this.work.recovered();
  }

  override fetch(request: Request): Promise<Response> {
    return serveInternalApi(this, request);
  }

  // ---- the alarm (durable/periodic-work.ts) -------------------------------

  override alarm(): Promise<void> {
    return this.work.alarm();
  }

  /**
   * Starts (or resumes) the node's periodic work. A configured node that has
   * never run bootstraps with every configured node as a member; a restarted one
   * resumes from its snapshot. Alarms are re-armed here because a persisted alarm
   * that fell due while the runtime was down may never fire.
   */
  private start(): void {
    if (!this.gossip.started && this.config.nodes.includes(this.name)) this.gossip.bootstrap(this.config.nodes);
    if (!this.gossip.active) return;
    this.refreshRing();
    this.work.started();
  }

  // ---- membership changes and rebalancing ----------------------------------

  private membershipChanged(events: readonly MembershipEvent[]): void {
    for (const { member, type, incarnation } of events) {
      this.events.add({ member, type, incarnation, at: Date.now() });
      this.counters.swimEvents.inc({ event: type });
      this.logger.log(type === "dead" || type === "suspect" ? "warn" : "info", type, { member, incarnation });
    }
    this.refreshRing();
  }

  /** Rebuilds the ring when its members changed (a join, a leave, a grace that ended), and rebalances. */
  private refreshRing(): void {
    const members = ringMembers(this.gossip.members(), { now: this.work.now(), graceMs: this.config.deadNodeGraceMs });
    const digest = ringDigest(members);
    if (digest === this.digest && this.ring !== undefined) return;
    const changed = this.ring !== undefined;
    this.digest = digest;
    this.ringSince = this.work.now();
    this.ring = this.buildRing(members);
    if (changed) this.work.rebalanceSoon();
  }

  private buildRing(members: readonly string[]): Ring {
    return Ring.build(members, { virtualNodes: this.config.virtualNodes, replicas: this.config.replicas });
  }
}

function requireKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) throw new BadArgument("key must be a non-empty string");
}

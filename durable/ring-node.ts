import { DurableObject } from "cloudflare:workers";
import { parseConfig, type ClusterConfig } from "../shared/config";
import { isEntry, type Entry } from "../shared/entry";
import { withTimeout } from "../shared/quorum";
import { createLogger, type Logger } from "../shared/log";
import { RecentEvents } from "../shared/recent-events";
import { Ring } from "../shared/ring";
import type { Envelope, MembershipEvent } from "../shared/swim";
import type { MetricFamily } from "../shared/metrics";
import { isRefusal, refusal, type NodeApi, type Refusable, type Refusal, type WriteOrigin } from "../shared/node-api";
import { NodeCallError } from "../shared/failure";
import { timers } from "../shared/timers";
import { ringDigest, ringMembers } from "../shared/view";
import type {
  AntiEntropyReply,
  BatchItem,
  BatchReply,
  CatchUpReply,
  CatchUpPart,
  HintReply,
  ListReply,
  Fault,
  KeyedEntry,
  KeyVersion,
  LeaveResult,
  MembershipReply,
  NodeStats,
  ReadReply,
  ApplyEntriesReply,
  WriteReply,
} from "../shared/wire";
import { nodePage } from "../shared/listing";
import { checkBatchItems, runBatch } from "./batch";
import { CatchUpRun } from "./catch-up";
import { pageOf } from "../shared/catch-up";
import { HintStore } from "./hints";
import { AlarmScheduler } from "./scheduler";
import { FaultSwitch } from "./fault-switch";
import { GroupCommit } from "./group-commit";
import { serveInternalApi } from "./internal-api";
import { NodeMetrics } from "./node-metrics";
import { Rebalancer, type PeerClient } from "./rebalancer";
import { ReplicaStore } from "./replica-store";
import { refuseWhenFull } from "../shared/storage/store-rules";
import { SwimHost } from "./swim-host";

/** The most live keys a node returns for one page of a listing. */
const MAX_LIST_LIMIT = 1000;
/** Tombstones and expired keys a node reads past its live ones for a page, at most: bounds a page's work. */
const LIST_SCAN_SLACK = 1000;

/** Drain rounds a graceful leave makes while late writes keep some keys here. */
const LEAVE_ROUNDS = 3;

/** Rows of its store a node reads for one catch-up page of another's keys; hints per page and per handoff call. */
const CATCH_UP_SCAN = 512;
const HINT_PAGE = 256;
/** Pages a catch-up pulls, and hint pages a node hands over, per wake: bounds the alarm's work between SWIM timers. */
const CATCH_UP_PAGES = 8;
const HINT_PAGES = 4;

/** The periodic jobs multiplexed on the object's one alarm. */
type Job = "period" | "swim" | "repair" | "rebalance" | "catch-up";

/**
 * One node of the ring: a replica of every key whose preference list names it,
 * and a SWIM member that watches the others.
 *
 * Its operations are the RPC methods below; `fetch` serves the replica
 * operations as an internal HTTP API. Neither is reachable from the public
 * routes: only code holding the RING_NODE binding (the router, other nodes) can
 * reach an object.
 *
 * Its periodic work (the SWIM period and timers, repair, rebalancing) shares
 * the object's one alarm through an `AlarmScheduler`, whose `now` is also the
 * protocol's time.
 */
export class RingNode extends DurableObject<Env> implements NodeApi {
  private readonly config: ClusterConfig;
  private readonly store: ReplicaStore;
  private readonly hints: HintStore;
  private readonly catchUp: CatchUpRun;
  private readonly faults: FaultSwitch;
  private readonly gossip: SwimHost;
  private readonly rebalancer: Rebalancer;
  private readonly scheduler: AlarmScheduler<Job>;
  private readonly commits: GroupCommit<KeyedEntry, Refusable<WriteReply>>;
  private readonly events = new RecentEvents();
  /** In memory: they start from zero with the object (see durable/node-metrics.ts). */
  private readonly counters = new NodeMetrics();
  private readonly logger: Logger;
  private ring: Ring | undefined;
  private digest = "";
  private askedRing: { digest: string; ring: Ring } | undefined;
  /** When (protocol time) this node's ring last changed. */
  private ringSince = 0;

  /** The name the router addressed this object by: its ring member name. */
  readonly name: string;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.name = ownName(ctx);
    this.logger = createLogger(this.name, console);
    this.config = parseConfig(env);
    // Reads the stored counts only: the entries stay in SQLite until asked for.
    const { cacheBytes, maxNodeBytes } = this.config.storage;
    this.store = new ReplicaStore(ctx.storage, { node: this.name, cacheBytes, maxBytes: maxNodeBytes });
    this.hints = new HintStore(ctx.storage.sql);
    this.scheduler = new AlarmScheduler(ctx.storage);
    this.faults = new FaultSwitch(ctx.storage.kv);
    this.catchUp = new CatchUpRun({
      kv: ctx.storage.kv,
      pull: (peer, part, after) => this.peerClient().catchUpPage(peer, this.ring?.members ?? [], part, after),
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
      now: () => this.scheduler.now(),
      link: (envelope, timeoutMs) => this.link(envelope, timeoutMs),
      canReach: (peer) => this.faults.canReach(peer),
      onChange: (events) => this.membershipChanged(events),
      onDeathRefuted: () => this.beginCatchUp("recovering"),
      onMessage: (direction, type) => this.counters.swimMessages.inc({ direction, type }),
    });
    this.rebalancer = new Rebalancer(this.name, this.store, this.peerClient(), this.config.tombstoneTtlMs, Date.now, this.counters);
    this.commits = new GroupCommit(
      (write) => this.applyWrite(write),
      (flush) => setTimeout(flush, 0),
      Date.now,
    );
    if (!this.faults.crashed) this.start();
  }

  // ---- replica operations (the router) -------------------------------------

  async read(key: string): Promise<Refusable<ReadReply>> {
    requireKey(key);
    const refused = await this.admitData();
    if (refused) return refused;
    this.counters.reads.inc();
    // Queued writes go first, so that none waits behind this read for the timer.
    this.commits.flush();
    return { entry: this.store.get(key) ?? null, ...this.replyFlags() };
  }

  /** What every data reply carries: the view digest, and whether this node is still catching up. */
  private replyFlags(): { digest: string; catchingUp?: true } {
    return this.catchUp.active ? { digest: this.digest, catchingUp: true } : { digest: this.digest };
  }

  /** Applied with the other writes that arrive meanwhile, in one commit (see GroupCommit). */
  async write(key: string, entry: Entry, origin: WriteOrigin = "client"): Promise<Refusable<WriteReply>> {
    requireKey(key);
    if (!isEntry(entry)) throw new TypeError("write: malformed entry");
    if (origin !== "client" && origin !== "repair") throw new TypeError("write: origin must be client or repair");
    const refused = await this.admitData();
    if (refused !== undefined) return refused;
    if (origin === "repair") this.counters.repairsReceived.inc();
    return this.commits.submit({ key, entry });
  }

  /** A client batch's operations on keys this node replicates, in order (see durable/batch.ts). */
  async batch(items: readonly BatchItem[]): Promise<Refusable<BatchReply>> {
    checkBatchItems(items);
    const refused = await this.admitData();
    if (refused !== undefined) return refused;
    const host = {
      read: (key: string) => {
        this.counters.reads.inc();
        return this.store.get(key);
      },
      writeMany: (writes: readonly KeyedEntry[]) => this.applyWrites(writes),
      flush: () => this.commits.flush(),
    };
    return { results: runBatch(items, host), ...this.replyFlags() };
  }

  /** A page of a listing: this node's keys after `after` with `prefix` (see shared/listing.ts). */
  async list(prefix: string, after: string, limit: number): Promise<Refusable<ListReply>> {
    if (typeof prefix !== "string" || typeof after !== "string" || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new TypeError("list: expected a prefix, a key to start after and a limit");
    }
    const refused = await this.admitData();
    if (refused !== undefined) return refused;
    this.commits.flush();
    const scanCap = limit + LIST_SCAN_SLACK;
    const page = nodePage(this.store.entriesWithPrefix(after, prefix, scanCap + 1), limit, scanCap, Date.now());
    return { ...page, digest: this.digest };
  }

  private applyWrite(write: KeyedEntry): Refusable<WriteReply> {
    // The node may have left while the write waited for its batch; its keys are handed off by now.
    if (!this.gossip.active) return this.notMember();
    return refuseWhenFull(() => this.applyWrites([write])[0]!);
  }

  /** Writes in one storage transaction; each reply carries the version now held. */
  private applyWrites(writes: readonly KeyedEntry[]): WriteReply[] {
    if (!this.gossip.active) throw new Error(`${this.name} is not a member of the cluster`);
    const applied = this.store.applyEach(writes);
    for (const a of applied) this.counters.writes.inc({ outcome: a ? "applied" : "superseded" });
    const flags = this.replyFlags();
    return writes.map(({ key }, i) => ({ applied: applied[i]!, version: this.store.get(key)!.version, ...flags }));
  }

  async applyEntries(entries: readonly KeyedEntry[], from?: string): Promise<Refusable<ApplyEntriesReply>> {
    if (!Array.isArray(entries)) throw new TypeError("applyEntries: expected an array of entries");
    for (const item of entries) {
      requireKey(item?.key);
      if (!isEntry(item.entry)) throw new TypeError("applyEntries: malformed entry");
    }
    const refused = from === undefined ? await this.admitData() : this.admitPeer(from);
    if (refused !== undefined) return refused;
    return refuseWhenFull(() => {
      const applied = this.store.applyAll(entries);
      if (from !== undefined) this.rebalancer.countReceived(entries);
      return { received: entries.length, applied };
    });
  }

  /** Keeps a write for `target`, a home replica of `key` that is down (see durable/hints.ts). */
  async hint(target: string, key: string, entry: Entry): Promise<Refusable<HintReply>> {
    requireKey(key);
    requireKey(target);
    if (!isEntry(entry)) throw new TypeError("hint: malformed entry");
    if (target === this.name) throw new TypeError("hint: a node does not hold hints for itself");
    const refused = await this.admitData();
    if (refused !== undefined) return refused;
    const room = this.config.storage.maxNodeBytes - this.store.databaseSize;
    return { held: this.hints.add(target, key, entry, room), digest: this.digest };
  }

  /** A page of what `target`, catching up, should have from this node (see shared/catch-up.ts). */
  async catchUpPage(target: string, ring: readonly string[], part: CatchUpPart, after: string): Promise<Refusable<CatchUpReply>> {
    requireKey(target);
    if (!Array.isArray(ring) || !ring.every((n) => typeof n === "string") || typeof after !== "string") {
      throw new TypeError("catchUpPage: expected the target's ring members and a key to start after");
    }
    const refused = this.admitPeer(target);
    if (refused !== undefined) return refused;
    this.commits.flush();
    this.refreshRing();
    const held = { digest: this.digest, ringAgeMs: this.scheduler.now() - this.ringSince };
    if (part === "hints") return { ...pageOf(this.hints.page(target, after, HINT_PAGE), HINT_PAGE, () => true), ...held };
    if (part !== "replicas") throw new TypeError("catchUpPage: part must be hints or replicas");
    const theirs = this.ringOf(ring);
    const scanned = this.store.entriesAfter(after, CATCH_UP_SCAN);
    return { ...pageOf(scanned, CATCH_UP_SCAN, (key) => theirs.preferenceList(key).includes(target)), ...held };
  }

  /** A ring of `members`, kept while the same members ask: a catch-up pass asks page after page. */
  private ringOf(members: readonly string[]): Ring {
    const digest = ringDigest([...members].sort());
    if (this.askedRing?.digest !== digest) this.askedRing = { digest, ring: this.buildRing(members) };
    return this.askedRing.ring;
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
    if (!this.faults.canReach(envelope.from)) return null;
    const replies = await this.gossip.receive(envelope);
    this.arm();
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
    return { node: this.name, members: this.gossip.members(), ring: this.ring?.members ?? [], digest: this.digest };
  }

  /** Joins the cluster through `introducers` (an operator adding this node). */
  async join(introducers: readonly string[]): Promise<Refusable<NodeStats>> {
    const refused = this.faults.admitPeer(this.name, undefined);
    if (refused) return refused;
    await this.gossip.join(introducers);
    // A node that was never started, or had left, has no periods or repair scheduled yet.
    this.start();
    // It may hold nothing of its ranges yet: it reads for no quorum until it has pulled them.
    this.beginCatchUp("joining");
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
    this.absorbHints(() => true);
    // Writes still arrive while the keys are shipped (routers with an older view,
    // read repair finishing in the background); they keep their keys here, so
    // drain again while each round makes progress.
    // Writes still queued for a group commit are applied before each count, so they are handed off too.
    let handedOff = 0;
    this.commits.flush();
    let remaining = this.heldRows();
    for (let round = 0; round < LEAVE_ROUNDS && remaining > 0; round++) {
      this.commits.flush();
      const dropped = await this.rebalancer.drain(without);
      handedOff += dropped;
      remaining = this.heldRows();
      if (dropped === 0) break;
    }
    // A hint that did not fit in this node's store is still here: it must not leave with it.
    remaining += hintCounts(this.hints.byTarget()).entries;
    if (remaining > 0) return { left: false, handedOff, remaining };
    await this.gossip.leave();
    this.scheduler.jobs.cancel("period");
    this.scheduler.jobs.cancel("repair");
    this.scheduler.jobs.cancel("rebalance");
    this.scheduler.jobs.cancel("catch-up");
    this.arm();
    return { left: true, handedOff, stats: this.ownStats() };
  }

  private heldRows(): number {
    const { live, tombstones } = this.store.counts();
    return live + tombstones;
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
    return {
      name: this.name,
      keys: this.store.counts().live,
      tombstones: this.store.counts().tombstones,
      storage: {
        bytes: this.store.databaseSize,
        rows: this.heldRows(),
        cache: this.store.cacheStats,
        rowsRead: this.store.rowsRead,
      },
      fault: this.faults.current,
      hints: hintCounts(this.hints.byTarget()),
      catchUp: this.catchUp.progress,
      groupCommit: this.commits.stats,
      ...(self && { swim: { state: self.state, incarnation: self.incarnation, health: this.gossip.health } }),
      digest: this.digest,
      events: this.events.list(),
    };
  }

  /**
   * Injects a fault. A crash is persisted, then the object is reset: its memory
   * is gone, and it refuses everything until `recover`.
   */
  async setFault(fault: Fault): Promise<NodeStats> {
    const wasCrashed = this.faults.crashed;
    this.faults.set(fault);
    if (fault.mode === "crash" && !wasCrashed) {
      void this.ctx.storage.deleteAlarm();
      // Let this reply leave first: the reset would otherwise fail the caller's call.
      setTimeout(() => this.ctx.abort("injected crash"), 0);
    }
    if (wasCrashed && fault.mode !== "crash") void this.recover();
    return this.ownStats();
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
    this.beginCatchUp("recovering");
    await this.join(introducers);
    this.scheduler.jobs.set("repair", this.scheduler.now());
    this.arm();
  }

  override fetch(request: Request): Promise<Response> {
    return serveInternalApi(this, request);
  }

  // ---- the alarm -----------------------------------------------------------

  override async alarm(): Promise<void> {
    const lagMs = this.scheduler.fired();
    if (lagMs !== undefined) this.counters.alarmLag.observe(lagMs / 1000);
    try {
      if (!this.faults.crashed) await this.runDue();
    } catch (error) {
      // Never into the platform's retry loop: the next period retries on its own.
      this.logger.log("error", "alarm_failed", { error });
    } finally {
      this.arm();
    }
  }

  /**
   * Runs the due jobs. Each runs on its own, so one that fails does not cost the
   * others their turn, and each periodic job is rescheduled before it runs, so a
   * failure cannot unschedule it.
   */
  private async runDue(): Promise<void> {
    const now = this.scheduler.now();
    const jobs = this.scheduler.jobs.takeDue(now);
    const running = !this.faults.crashed && this.gossip.active;
    const period = jobs.includes("period");
    if (period && running) this.scheduler.jobs.set("period", now + this.config.swim.protocolPeriodMs);
    if (jobs.includes("repair") && running) this.scheduler.jobs.set("repair", now + this.config.repairIntervalMs);

    if (period || jobs.includes("swim")) await this.attempt("swim", () => this.gossip.wake(period));
    if (period && running) {
      // A dead member's grace may have ended: the ring is rebuilt without it (and rebalanced).
      this.refreshRing();
      await this.attempt("hints", () => this.handOverHints());
    }
    if (jobs.includes("catch-up") || (period && this.catchUp.active)) await this.attempt("catch-up", () => this.catchUpStep());
    if (jobs.includes("rebalance")) {
      // One batch per wake, so probes and SWIM timers run between batches. A
      // failed batch is retried a period later.
      const finished = await this.attempt("rebalance", () => this.sweepStep());
      if (finished !== true && this.gossip.active) {
        this.scheduler.jobs.setEarliest("rebalance", finished === false ? now : now + this.config.swim.protocolPeriodMs);
      }
    }
    if (jobs.includes("repair")) await this.attempt("repair", () => this.sweepStep());
  }

  /** Starts (or widens) this node's catch-up pass, and runs its first step at once. */
  private beginCatchUp(reason: "joining" | "recovering"): void {
    this.refreshRing();
    this.catchUp.begin(reason, this.peers());
    this.logger.log("info", "catch_up_started", { reason });
    this.scheduler.jobs.setEarliest("catch-up", this.scheduler.now());
    this.arm();
  }

  /**
   * A few pages from each peer; the pass goes on a quarter period later, so
   * probes and SWIM timers run between steps. Peers this node holds dead are
   * not called (each would cost a timeout), but stay pending.
   */
  private async catchUpStep(): Promise<void> {
    if (!this.gossip.active || !this.catchUp.active) return;
    this.refreshRing();
    const dead = new Set(
      this.gossip
        .members()
        .filter((m) => m.state === "dead")
        .map((m) => m.name),
    );
    const done = await this.catchUp.step(this.peers(), CATCH_UP_PAGES, (peer) => !dead.has(peer));
    if (done) {
      this.logger.log("info", "caught_up", {});
      return;
    }
    this.scheduler.jobs.setEarliest("catch-up", this.scheduler.now() + this.config.swim.protocolPeriodMs / 4);
  }

  /**
   * The other members on this node's ring: the peers a catch-up pulls from.
   * Dead ones within their grace included: this node's own verdicts may be the
   * stale ones (it was the one cut off), so only a peer off the ring is skipped.
   */
  private peers(): string[] {
    return (this.ring?.members ?? []).filter((n) => n !== this.name);
  }

  /**
   * Hands held hints to their replicas that are back (alive or suspect), a few
   * pages per period, deleting each once confirmed. Hints for a replica no
   * longer on the ring (its grace ended, or it left) become this node's
   * entries, and the sweep takes them to the key's replicas.
   */
  private async handOverHints(): Promise<void> {
    const targets = [...this.hints.byTarget().keys()];
    if (targets.length === 0) return;
    const onRing = new Set(this.ring?.members ?? []);
    const states = new Map(this.gossip.members().map((m) => [m.name, m.state]));
    const back = targets.filter((t) => onRing.has(t) && (states.get(t) === "alive" || states.get(t) === "suspect"));
    const peers = this.peerClient();
    await Promise.all(
      back.map(async (target) => {
        for (let i = 0; i < HINT_PAGES; i++) {
          const { entries: page, next } = pageOf(this.hints.page(target, "", HINT_PAGE), HINT_PAGE, () => true);
          if (page.length === 0) return;
          try {
            await peers.applyEntries(target, page);
          } catch {
            return; // Not reachable yet, though not declared dead: the next period tries again.
          }
          this.hints.confirm(target, page);
          if (next === null) return;
        }
      }),
    );
    if (this.absorbHints((target) => !onRing.has(target), HINT_PAGES) > 0) this.rebalanceSoon();
  }

  /**
   * Moves the hints of the targets `absorb` picks into this node's store, up to
   * `pages` pages per target; returns how many moved. A target whose hints do
   * not fit (the node is full) keeps them, and the others go on.
   */
  private absorbHints(absorb: (target: string) => boolean, pages = Infinity): number {
    let moved = 0;
    for (const target of [...this.hints.byTarget().keys()].filter(absorb)) {
      for (let i = 0; i < pages; i++) {
        const { entries: page } = pageOf(this.hints.page(target, "", HINT_PAGE), HINT_PAGE, () => true);
        if (page.length === 0) break;
        try {
          this.store.applyAll(page);
        } catch (error) {
          this.logger.log("error", "hints_not_absorbed", { target, error });
          break;
        }
        this.hints.confirm(target, page);
        moved += page.length;
      }
    }
    return moved;
  }

  /** One batch of the sweep over this node's keys; true when it finished a pass. */
  private async sweepStep(): Promise<boolean> {
    if (this.ring === undefined) return true;
    return this.rebalancer.sweepStep(this.ring, this.config.repairBatch);
  }

  /** Runs a job, logging rather than throwing: the alarm must not enter the platform's retry loop. */
  private async attempt<T>(job: Job | "hints", run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.logger.log("error", "job_failed", { job, error });
      return undefined;
    }
  }

  /** Arms the alarm for the earliest job, the SWIM machine's next timer included. */
  private arm(): void {
    const jobs = this.scheduler.jobs;
    if (this.faults.crashed || !this.gossip.active) {
      jobs.cancel("swim");
      if (!jobs.has("rebalance")) return this.scheduler.disarm();
    }
    const deadline = this.gossip.nextDeadline();
    if (deadline === undefined) jobs.cancel("swim");
    else jobs.set("swim", deadline);
    this.scheduler.arm();
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
    const now = this.scheduler.now();
    const { protocolPeriodMs } = this.config.swim;
    // Spread nodes across a period and the repair interval so they do not probe in lockstep.
    this.scheduler.jobs.setEarliest("period", now + (1 + Math.random()) * protocolPeriodMs);
    this.scheduler.jobs.setEarliest("repair", now + (0.5 + Math.random()) * this.config.repairIntervalMs);
    this.arm();
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
    const members = ringMembers(this.gossip.members(), { now: this.scheduler.now(), graceMs: this.config.deadNodeGraceMs });
    const digest = ringDigest(members);
    if (digest === this.digest && this.ring !== undefined) return;
    const changed = this.ring !== undefined;
    this.digest = digest;
    this.ringSince = this.scheduler.now();
    this.ring = this.buildRing(members);
    if (changed) this.rebalanceSoon();
  }

  /** Coalesces a burst of changes (a join gossiped by several members) into one sweep a period later. */
  private rebalanceSoon(): void {
    this.rebalancer.restartSweep();
    this.scheduler.jobs.setEarliest("rebalance", this.scheduler.now() + this.config.swim.protocolPeriodMs);
  }

  private buildRing(members: readonly string[]): Ring {
    return Ring.build(members, { virtualNodes: this.config.virtualNodes, replicas: this.config.replicas });
  }

  // ---- calls to other nodes ------------------------------------------------

  private async link(envelope: Envelope, timeoutMs: number): Promise<readonly Envelope[]> {
    const replies = await withTimeout(this.peer(envelope.to).swim(envelope), timeoutMs, timers);
    if (replies === null) throw new NodeCallError(envelope.to, { kind: "partitioned", message: `${envelope.to} dropped the message` });
    return replies;
  }

  private peerClient(): PeerClient & {
    catchUpPage(peer: string, ring: readonly string[], part: CatchUpPart, after: string): Promise<CatchUpReply>;
  } {
    const call = async <T>(peer: string, fn: (node: NodeApi) => Promise<Refusable<T>>): Promise<T> => {
      if (!this.faults.canReach(peer)) throw new NodeCallError(peer, { kind: "partitioned", message: `${peer} unreachable` });
      // Bulk calls get a few replica timeouts: a slow peer must not hold a sweep (or the alarm) for long.
      const reply = await withTimeout(fn(this.peer(peer)), this.config.replicaTimeoutMs * 3, timers);
      if (isRefusal(reply)) throw NodeCallError.refused(peer, reply);
      return reply;
    };
    return {
      antiEntropy: (peer, items) => call(peer, (node) => node.antiEntropy(items, this.name)),
      applyEntries: (peer, entries) => call(peer, (node) => node.applyEntries(entries, this.name)),
      catchUpPage: (peer, ring, part, after) => call(peer, (node) => node.catchUpPage(this.name, ring, part, after)),
    };
  }

  private peer(name: string): NodeApi {
    return this.env.RING_NODE.getByName(name);
  }
}

/**
 * An object learns its name from the stub that called it (`ctx.id.name`), but
 * not when the platform wakes it for an alarm: so the name is stored on the
 * first named call and read back when absent.
 */
function ownName(ctx: DurableObjectState): string {
  const given = ctx.id.name;
  const stored = ctx.storage.kv.get<string>(NAME_KEY);
  if (given !== undefined) {
    if (stored !== given) ctx.storage.kv.put(NAME_KEY, given);
    return given;
  }
  return stored ?? ctx.id.toString();
}

const NAME_KEY = "name";

function hintCounts(byTarget: ReadonlyMap<string, { entries: number; bytes: number }>): NodeStats["hints"] {
  let entries = 0;
  let bytes = 0;
  const replicas: Record<string, { entries: number; bytes: number }> = {};
  for (const [target, count] of byTarget) {
    entries += count.entries;
    bytes += count.bytes;
    replicas[target] = count;
  }
  return { entries, bytes, byReplica: replicas };
}

function requireKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) throw new TypeError("key must be a non-empty string");
}

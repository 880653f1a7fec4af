import { NOT_A_MEMBER, type Fault } from "../shared/wire";

const UP: Fault = Object.freeze({ mode: "up" });
const STORAGE_KEY = "fault";

/**
 * Injected faults of one node. Persisted, so that a node set down stays down
 * across a reset of the object, and a crashed node stays crashed after the
 * platform restarts it, until an operator recovers it.
 */
export class FaultSwitch {
  private fault: Fault;

  constructor(private readonly kv: SyncKvStorage) {
    this.fault = kv.get<Fault>(STORAGE_KEY) ?? UP;
  }

  get current(): Fault {
    return this.fault;
  }

  get crashed(): boolean {
    return this.fault.mode === "crash";
  }

  set(fault: Fault): void {
    this.fault = fault.mode === "up" ? UP : fault;
    if (fault.mode === "up") this.kv.delete(STORAGE_KEY);
    else this.kv.put(STORAGE_KEY, fault);
  }

  /** Lets a data operation from the router through, delays it, or refuses it. */
  async admitData(node: string): Promise<void> {
    const fault = this.fault;
    if (fault.mode === "down" || fault.mode === "crash") throw new NodeDownError(node, fault.mode);
    if (fault.mode === "slow") await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }

  /** Refuses a message from another node (SWIM, rebalancing, repair) that the fault drops. */
  admitPeer(node: string, peer: string | undefined): void {
    if (this.fault.mode === "crash") throw new NodeDownError(node, "crash");
    if (peer !== undefined && !this.canReach(peer)) throw new PartitionError(node, peer);
  }

  /** Whether messages between this node and `peer` get through (partitions cut both ways). */
  canReach(peer: string): boolean {
    const fault = this.fault;
    if (fault.mode === "crash") return false;
    return fault.mode !== "partition" || !fault.peers.includes(peer);
  }
}

export class NodeDownError extends Error {
  override readonly name = "NodeDownError";

  constructor(node: string, mode: "down" | "crash") {
    super(mode === "down" ? `${node} is down (injected fault)` : `${node} has crashed (injected fault)`);
  }
}

export class PartitionError extends Error {
  override readonly name = "PartitionError";

  constructor(node: string, peer: string) {
    super(`${node} is partitioned from ${peer} (injected fault)`);
  }
}

export class NotMemberError extends Error {
  override readonly name = "NotMemberError";

  constructor(node: string) {
    super(`${node} ${NOT_A_MEMBER} (it left, or never joined)`);
  }
}

import { DelayLine } from "../shared/delay-line";
import { refusal, type Refusal } from "../shared/node-api";
import { timers } from "../shared/timers";
import type { Fault } from "../shared/wire";
import { gatedTransport, type PeerTransport } from "./peer-transport";
import { KV_KEYS } from "./schema";

const UP: Fault = Object.freeze({ mode: "up" });
const STORAGE_KEY = KV_KEYS.fault;

/**
 * Injected faults of one node. Persisted, so that a node set down stays down
 * across a reset of the object, and a crashed node stays crashed after the
 * platform restarts it, until an operator recovers it.
 */
export class FaultSwitch {
  private fault: Fault;
  /** Where data calls wait while the node is held slow: one timer for all of them. */
  private slowLine = new DelayLine(timers, Date.now);

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
    // Calls already waiting keep their delay; calls from now on do not queue behind them.
    this.slowLine = new DelayLine(timers, Date.now);
    if (fault.mode === "up") this.kv.delete(STORAGE_KEY);
    else this.kv.put(STORAGE_KEY, fault);
  }

  /**
   * Lets a data operation from the router through, delays it, or says why it is
   * refused. A delayed call is judged again when its delay is over: one that was
   * waiting when the node was set down is refused, as a call arriving then is.
   */
  async admitData(node: string): Promise<Refusal | undefined> {
    const fault = this.fault;
    if (fault.mode !== "slow") return this.refuseData(node);
    await this.slowLine.wait(fault.delayMs);
    return this.refuseData(node);
  }

  private refuseData(node: string): Refusal | undefined {
    if (this.fault.mode === "down") return refusal("down", `${node} is down (injected fault)`);
    if (this.fault.mode === "crash") return crashed(node);
    return undefined;
  }

  /** Says why a message from another node (SWIM, anti-entropy, handoff) or an operator is dropped, if it is. */
  admitPeer(node: string, peer: string | undefined): Refusal | undefined {
    if (this.fault.mode === "crash") return crashed(node);
    if (peer !== undefined && !this.canReach(peer)) return refusal("partitioned", `${node} is partitioned from ${peer} (injected fault)`);
    return undefined;
  }

  /** `transport` as this node's faults let it call: the one place outbound calls are gated. */
  gate(transport: PeerTransport): PeerTransport {
    return gatedTransport(transport, (peer) => this.canReach(peer));
  }

  /** Whether messages between this node and `peer` get through (partitions cut both ways). */
  canReach(peer: string): boolean {
    const fault = this.fault;
    if (fault.mode === "crash") return false;
    return fault.mode !== "partition" || !fault.peers.includes(peer);
  }
}

function crashed(node: string): Refusal {
  return refusal("crashed", `${node} has crashed (injected fault)`);
}

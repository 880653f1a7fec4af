import type { Fault } from "../shared/wire";

const UP: Fault = Object.freeze({ mode: "up" });
const STORAGE_KEY = "fault";

/**
 * Injected faults of one node. Persisted, so that a node set down stays down
 * across a reset of the object, as an operator would expect.
 */
export class FaultSwitch {
  private fault: Fault;

  constructor(private readonly kv: SyncKvStorage) {
    this.fault = kv.get<Fault>(STORAGE_KEY) ?? UP;
  }

  get current(): Fault {
    return this.fault;
  }

  set(fault: Fault): void {
    this.fault = fault.mode === "up" ? UP : fault;
    if (fault.mode === "up") this.kv.delete(STORAGE_KEY);
    else this.kv.put(STORAGE_KEY, fault);
  }

  /** Lets a data operation through, delays it, or refuses it, as the fault says. */
  async admit(node: string): Promise<void> {
    const fault = this.fault;
    if (fault.mode === "down") throw new NodeDownError(node);
    if (fault.mode === "slow") await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
  }
}

export class NodeDownError extends Error {
  override readonly name = "NodeDownError";

  constructor(node: string) {
    super(`${node} is down (injected fault)`);
  }
}

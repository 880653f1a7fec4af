import { cacheHitRate, commitRatio, describeFault, formatBytes, formatNumber, formatPercent, stateOf, type ClusterNode } from "./model";
import { memberColour } from "./ring-view";

/** Operator actions a row offers; the page sends them and shows the answer. */
export interface RowActions {
  leave(node: string): void;
  fault(node: string, body: Record<string, unknown>): void;
}

const FAULTS = ["crash", "recover", "restart", "down", "slow", "partition", "up"] as const;

function cell(row: HTMLTableRowElement, className = ""): HTMLTableCellElement {
  const td = row.insertCell();
  td.className = className;
  return td;
}

/**
 * One node's row. Built once and updated in place on every refresh, so a
 * fault picked in the menu is not reset while the operator is choosing.
 * `data-node` and `data-state` carry the node's name and SWIM state for tests.
 */
export class NodeRow {
  readonly element: HTMLTableRowElement;
  private readonly swatch = document.createElement("span");
  private readonly cells: Record<
    "state" | "incarnation" | "keys" | "tombstones" | "storage" | "cache" | "ops" | "p99" | "ratio" | "fault",
    HTMLTableCellElement
  >;
  readonly controls: HTMLElement[];

  constructor(
    readonly name: string,
    body: HTMLTableSectionElement,
    actions: RowActions,
  ) {
    this.element = body.insertRow();
    this.element.dataset.node = name;
    const first = cell(this.element);
    this.swatch.className = "swatch";
    first.append(this.swatch, name);
    this.cells = {
      state: cell(this.element, "state"),
      incarnation: cell(this.element),
      keys: cell(this.element),
      tombstones: cell(this.element),
      storage: cell(this.element),
      cache: cell(this.element, "cache"),
      ops: cell(this.element),
      p99: cell(this.element),
      ratio: cell(this.element),
      fault: cell(this.element, "fault"),
    };
    this.controls = this.buildControls(cell(this.element, "actions"), actions);
  }

  private buildControls(td: HTMLTableCellElement, actions: RowActions): HTMLElement[] {
    const mode = document.createElement("select");
    mode.setAttribute("aria-label", `fault for ${this.name}`);
    mode.dataset.control = "fault-mode";
    for (const value of FAULTS) mode.add(new Option(value, value));
    const peers = document.createElement("input");
    peers.className = "peers";
    peers.placeholder = "peers (partition)";
    peers.setAttribute("aria-label", `partition ${this.name} from`);
    peers.hidden = true;
    mode.addEventListener("change", () => (peers.hidden = mode.value !== "partition"));
    const apply = document.createElement("button");
    apply.type = "button";
    apply.textContent = "Apply";
    apply.dataset.control = "fault-apply";
    apply.addEventListener("click", () => {
      const body: Record<string, unknown> = { mode: mode.value };
      if (mode.value === "partition") body.peers = peers.value.split(/[\s,]+/).filter((p) => p !== "");
      actions.fault(this.name, body);
    });
    const leave = document.createElement("button");
    leave.type = "button";
    leave.textContent = "Leave";
    leave.dataset.control = "leave";
    leave.addEventListener("click", () => actions.leave(this.name));
    td.append(mode, peers, apply, leave);
    return [mode, peers, apply, leave];
  }

  update(node: ClusterNode, names: readonly string[], opsPerSecond: number | undefined): void {
    const state = stateOf(node);
    this.element.dataset.state = state;
    this.swatch.style.background = memberColour(node.name, names);
    this.cells.state.className = `state state-${state}`;
    this.cells.state.textContent = node.reachable ? state : `${state} (unreachable)`;
    this.cells.incarnation.textContent = node.incarnation === null ? "—" : String(node.incarnation);
    this.cells.keys.textContent = formatNumber(node.keys);
    this.cells.tombstones.textContent = formatNumber(node.tombstones);
    this.cells.storage.textContent = formatBytes(node.storage?.bytes);
    this.cells.cache.textContent = formatPercent(cacheHitRate(node.storage));
    this.cells.ops.textContent = formatNumber(opsPerSecond, 1);
    this.cells.p99.textContent = node.latency?.p99Ms === undefined ? "—" : `${node.latency.p99Ms.toFixed(1)} ms`;
    this.cells.ratio.textContent = formatNumber(commitRatio(node), 2);
    this.cells.fault.textContent = describeFault(node.fault);
  }
}

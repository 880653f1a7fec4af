import { adminToken, call, fetchCluster, setAdminToken, type Answer } from "./api";
import { balance, formatNumber, opsPerSecond, recentEvents, type ClusterInfo, type ClusterNode } from "./model";
import { NodeRow } from "./node-row";
import { drawRing } from "./ring-view";

/** How often the page asks for GET /cluster, counted from the end of the previous answer. */
const REFRESH_MS = 1000;
const EVENTS_SHOWN = 20;

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const rows = new Map<string, NodeRow>();
let previous: { at: number; nodes: Map<string, ClusterNode> } | undefined;

function showAnswer(action: string, answer: Answer): void {
  const out = byId<HTMLPreElement>("answer");
  const ok = answer.status >= 200 && answer.status < 300;
  out.className = `answer ${ok ? "ok" : "failed"}`;
  out.textContent = `${action}\n${answer.status === 0 ? "no answer" : `HTTP ${answer.status}`}\n${JSON.stringify(answer.body, null, 2)}`;
}

async function act(action: string, method: string, path: string, body?: unknown): Promise<void> {
  showAnswer(`${action}…`, { status: 0, body: "waiting for the router" });
  showAnswer(action, await call(method, path, body));
  void refresh();
}

const actions = {
  leave: (node: string) => void act(`leave ${node}`, "DELETE", `/admin/nodes/${encodeURIComponent(node)}`),
  fault: (node: string, body: Record<string, unknown>) =>
    void act(`fault ${String(body.mode)} on ${node}`, "POST", `/admin/nodes/${encodeURIComponent(node)}/fault`, body),
};

/** Operator controls work only with a token typed in: without one they are disabled, not hidden. */
function syncControls(): void {
  const enabled = adminToken() !== undefined;
  for (const element of document.querySelectorAll<HTMLButtonElement | HTMLInputElement>(".admin")) element.disabled = !enabled;
  for (const row of rows.values()) for (const control of row.controls) (control as HTMLButtonElement).disabled = !enabled;
  byId<HTMLInputElement>("add-name").disabled = !enabled;
  byId<HTMLInputElement>("add-introducer").disabled = !enabled;
}

function renderFacts(info: ClusterInfo): void {
  const facts: [string, string][] = [
    ["views agree", info.viewsAgree ? "yes" : "NO"],
    ["replica balance", `${formatNumber(balance(info.nodes), 2)} (max / mean keys)`],
    ["N / R / W", `${info.replicas} / ${info.readQuorum} / ${info.writeQuorum}`],
    ["virtual nodes", String(info.virtualNodes)],
  ];
  byId("facts").replaceChildren(
    ...facts.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      if (term === "views agree") dd.className = info.viewsAgree ? "state-alive" : "state-dead";
      dd.style.background = "none";
      return [dt, dd];
    }),
  );
}

function renderEvents(info: ClusterInfo): void {
  const items = recentEvents(info.nodes, EVENTS_SHOWN).map((event) => {
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = new Date(event.at).toISOString();
    time.textContent = new Date(event.at).toLocaleTimeString();
    const seen = document.createElement("span");
    seen.className = "seen";
    seen.textContent = ` seen by ${event.seenBy.join(", ")}`;
    li.append(time, `${event.member} ${event.type} (incarnation ${event.incarnation})`, seen);
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement("li");
    li.textContent = "No membership events since the nodes started.";
    items.push(li);
  }
  byId("events").replaceChildren(...items);
}

function renderNodes(info: ClusterInfo, now: number): void {
  const body = byId<HTMLTableElement>("nodes").tBodies[0]!;
  const names = info.nodes.map((n) => n.name);
  for (const [name, row] of rows) {
    if (!names.includes(name)) {
      row.element.remove();
      rows.delete(name);
    }
  }
  for (const node of info.nodes) {
    let row = rows.get(node.name);
    if (row === undefined) rows.set(node.name, (row = new NodeRow(node.name, body, actions)));
    body.append(row.element); // keeps the rows in the router's order
    row.update(node, names, opsPerSecond(previous?.nodes.get(node.name), node, now - (previous?.at ?? now)));
  }
  previous = { at: now, nodes: new Map(info.nodes.map((n) => [n.name, n])) };
}

function render(info: ClusterInfo): void {
  const now = Date.now();
  const counts = new Map<string, number>();
  for (const node of info.nodes) counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
  byId("summary").textContent = [...counts].map(([state, n]) => `${n} ${state}`).join(" · ");
  drawRing(byId<HTMLElement>("ring") as unknown as SVGSVGElement, info);
  renderNodes(info, now);
  renderFacts(info);
  renderEvents(info);
  syncControls();
}

function setStatus(text: string, error: boolean): void {
  const status = byId("status");
  status.textContent = text;
  status.className = error ? "status error" : "status";
}

async function refresh(): Promise<void> {
  const answer = await fetchCluster();
  if (answer.status === 200) {
    render(answer.body as ClusterInfo);
    setStatus(`updated ${new Date().toLocaleTimeString()}`, false);
  } else if (answer.status === 401) {
    setStatus("GET /cluster needs a token: type the admin token below", true);
  } else {
    const message = (answer.body as { error?: { message?: string } }).error?.message ?? "";
    setStatus(`GET /cluster: ${answer.status === 0 ? "no answer" : `HTTP ${answer.status}`} ${message}`, true);
  }
}

async function loop(): Promise<void> {
  await refresh();
  setTimeout(() => void loop(), REFRESH_MS);
}

function wireForms(): void {
  byId<HTMLFormElement>("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>("token");
    setAdminToken(input.value.trim());
    input.value = "";
    input.placeholder = adminToken() === undefined ? "ADMIN_TOKEN" : "token set for this tab";
    syncControls();
  });
  byId("forget").addEventListener("click", () => {
    setAdminToken(undefined);
    byId<HTMLInputElement>("token").placeholder = "ADMIN_TOKEN";
    syncControls();
  });
  byId<HTMLFormElement>("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = byId<HTMLInputElement>("add-name").value.trim();
    const introducer = byId<HTMLInputElement>("add-introducer").value.trim();
    void act(`add ${name}`, "POST", "/admin/nodes", introducer === "" ? { name } : { name, introducer });
  });
  if (adminToken() !== undefined) byId<HTMLInputElement>("token").placeholder = "token set for this tab";
}

wireForms();
syncControls();
void loop();

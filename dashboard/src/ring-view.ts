import { arcPath, arcs, stateOf, type ClusterInfo } from "./model";

const SVG = "http://www.w3.org/2000/svg";
const CENTER = 110;
const OUTER = 96;
const INNER = 80;

/** Member colours, chosen apart from the state colours (green, amber, red, grey). */
const PALETTE = ["#58a6ff", "#d2a8ff", "#39c5cf", "#ff7bd5", "#a5d6ff", "#8957e5", "#1f6feb", "#f0b6ff"];

/** A colour per member, stable across refreshes: its index among the names the router lists. */
export function memberColour(name: string, names: readonly string[]): string {
  return PALETTE[Math.max(0, names.indexOf(name)) % PALETTE.length]!;
}

function path(d: string, className: string, colour?: string): SVGPathElement {
  const element = document.createElementNS(SVG, "path");
  element.setAttribute("d", d);
  element.setAttribute("class", className);
  if (colour !== undefined) element.setAttribute("stroke", colour);
  return element;
}

/**
 * Redraws the ring: the outer band is each member's virtual-node arcs coloured
 * by its SWIM state, the inner band the same arcs coloured by member (the
 * node table's swatches), so one can see whose ranges a dead node's are.
 */
export function drawRing(svg: SVGSVGElement, info: ClusterInfo): void {
  const names = info.nodes.map((n) => n.name);
  const states = new Map(info.nodes.map((n) => [n.name, stateOf(n)]));
  const parts: SVGElement[] = [path(arcPath(CENTER, CENTER, OUTER, 0, 1), "ring-track")];
  const ring = info.ring ?? [];
  for (const arc of arcs(ring, (member) => states.get(member) ?? "unknown")) {
    parts.push(path(arcPath(CENTER, CENTER, OUTER, arc.start, arc.end), `arc state-${arc.member}`));
  }
  for (const arc of arcs(ring)) {
    parts.push(path(arcPath(CENTER, CENTER, INNER, arc.start, arc.end), "arc member", memberColour(arc.member, names)));
  }
  const label = document.createElementNS(SVG, "text");
  label.setAttribute("x", String(CENTER));
  label.setAttribute("y", String(CENTER));
  label.setAttribute("class", "ring-label");
  label.textContent = `${info.ring?.length ?? 0} tokens`;
  parts.push(label);
  svg.replaceChildren(...parts);
}

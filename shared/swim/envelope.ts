import type { Envelope, Update } from "./types";

/**
 * The bounds of what a member accepts from the wire: a SWIM message is checked
 * at the node's boundary (durable/ring-node.ts) before the state machine sees
 * it, so a malformed or oversized one is refused there, not half-applied.
 */

/** Members in one full-state sync (graves of dead and left members included), and updates on one message. */
export const MAX_WIRE_MEMBERS = 10_000;

const STATES = new Set(["alive", "suspect", "dead", "left"]);

export function isEnvelope(value: unknown): value is Envelope {
  const e = value as Partial<Record<keyof Envelope, unknown>> | null;
  if (typeof e !== "object" || e === null || !isName(e.from) || !isName(e.to)) return false;
  const msg = e.msg as Record<string, unknown> | null;
  if (typeof msg !== "object" || msg === null) return false;
  switch (msg.type) {
    case "ping":
    case "ack":
    case "nack":
      return isCount(msg.seq) && isCount(msg.incarnation) && areUpdates(msg.updates);
    case "ping-req":
      return (
        isCount(msg.seq) &&
        isCount(msg.incarnation) &&
        isName(msg.target) &&
        (msg.nackAfterMs === undefined || Number.isFinite(msg.nackAfterMs)) &&
        areUpdates(msg.updates)
      );
    case "sync":
      return typeof msg.reply === "boolean" && areUpdates(msg.members);
    case "leave":
      return isCount(msg.incarnation);
    default:
      return false;
  }
}

function areUpdates(value: unknown): value is readonly Update[] {
  return Array.isArray(value) && value.length <= MAX_WIRE_MEMBERS && value.every(isUpdate);
}

function isUpdate(value: unknown): value is Update {
  const u = value as Record<string, unknown> | null;
  if (typeof u !== "object" || u === null || !STATES.has(u.state as string)) return false;
  if (!isName(u.member) || !isCount(u.incarnation)) return false;
  return u.state === "suspect" || u.state === "dead" ? isName(u.from) : true;
}

/** A member's name as the wire carries it: 1 to 63 characters (config.ts checks the characters of configured ones). */
function isName(value: unknown): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= 63;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

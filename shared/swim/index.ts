/**
 * SWIM failure detection and membership with the Lifeguard refinements, as a
 * pure state machine: no I/O, no clock, no randomness of its own. See
 * docs/membership.md for the protocol as implemented and its parameters.
 */
export { SwimMember } from "./member";
export { DEFAULT_SWIM_CONFIG, validateConfig, type SwimConfig } from "./config";
export { isEnvelope, MAX_WIRE_MEMBERS } from "./envelope";
export { isLive } from "./rules";
export type { Envelope, MemberState, MemberStatus, MembershipEvent, SnapshotMember, SwimMessage, SwimSnapshot, Update } from "./types";

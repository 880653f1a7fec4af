/**
 * SWIM failure detection and membership with the Lifeguard refinements, as a
 * pure state machine: no I/O, no clock, no randomness of its own. See
 * docs/membership.md for the protocol as implemented and its parameters.
 */
export { SwimMember } from "./member";
export { DEFAULT_SWIM_CONFIG, pushPullInterval, retransmitLimit, validateConfig, type SwimConfig } from "./config";
export { isLive, refutation, supersedes, type Status } from "./rules";
export { expectedConfirmations, Suspicion, suspicionTimeout, suspicionTimeouts } from "./suspicion";
export { Awareness } from "./awareness";
export { BroadcastQueue } from "./broadcast";
export type {
  Envelope,
  MemberState,
  MemberView,
  MembershipEvent,
  SnapshotMember,
  SwimMessage,
  SwimSnapshot,
  Update,
} from "./types";

import type { Schedule } from "./quorum";

/**
 * The real timers, for hosts (the router, the node objects) to inject. Pure
 * modules never import this: they take a `Schedule`, so tests and the simulator
 * can drive time themselves.
 */
export const timers: Schedule = (ms, fn) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

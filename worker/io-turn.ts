import { timers } from "../shared/timers";

/**
 * Resolves on a timer turn of the event loop: in local workerd, after its
 * next poll for I/O.
 *
 * Local workerd polls its sockets (and fires due timers) only when no ready
 * work is left. Under load, requests already read keep that work coming: a few
 * connections are served back to back, each finding its next request already
 * in its socket, while a connection whose request arrived a moment too late
 * waits in the kernel until the rest run dry, for up to a second
 * (docs/performance.md, "The I/O turn"). A timer fires only at a poll, so a
 * request that first waits on one is served after the next poll, with every
 * other connection that poll found ready.
 *
 * Tests that fake timers and call the router must advance them, or the
 * request never starts.
 */
export function nextIoTurn(): Promise<void> {
  return new Promise((resolve) => timers(0, resolve));
}

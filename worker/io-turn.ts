import { timers } from "../shared/timers";

/**
 * Resolves once workerd's event loop has next polled its sockets.
 *
 * workerd polls for I/O (and fires due timers) only when no ready work is
 * left. Under load, requests already read keep that work coming: a few
 * connections are served back to back, each finding its next request already
 * in its socket, while a connection whose request arrived a moment too late
 * waits in the kernel until the rest run dry, for up to a second (the 90/10
 * stall, docs/performance.md). A timer fires only at a poll, so a request
 * that first waits on one is served after the next poll, with every other
 * connection that poll found ready: none is served twice while another waits.
 * Requests that do not queue behind others see no difference (one connection:
 * same median and p99).
 */
export function nextIoTurn(): Promise<void> {
  return new Promise((resolve) => timers(0, resolve));
}

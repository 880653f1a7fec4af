import { Admission, Shed } from "../shared/admission";
import type { Schedule } from "../shared/quorum";
import { HttpError } from "./http";

/**
 * Store requests one router isolate works on at once. Enough to keep the
 * replicas busy (a request spends most of its time waiting for them), few
 * enough that a queue of them stays far inside the replica timeout.
 */
export const ROUTER_CONCURRENCY = 64;

/** How long a request may wait in line: a quarter of the replica timeout, at most 250 ms. */
export function maxWaitMs(replicaTimeoutMs: number): number {
  return Math.max(1, Math.min(250, Math.floor(replicaTimeoutMs / 4)));
}

export function routerAdmission(replicaTimeoutMs: number, schedule: Schedule): Admission {
  return new Admission(ROUTER_CONCURRENCY, maxWaitMs(replicaTimeoutMs), schedule, Date.now);
}

/** Runs `work` once admitted; a request shed from the line is answered 429 with Retry-After. */
export async function admitted<T>(admission: Admission, work: () => Promise<T>): Promise<T> {
  let release: () => void;
  try {
    release = await admission.enter();
  } catch (error) {
    if (!(error instanceof Shed)) throw error;
    throw new HttpError(429, "overloaded", `${error.message}; retry after 1 s`, {}, { "retry-after": "1" });
  }
  try {
    return await work();
  } finally {
    release();
  }
}

/**
 * Due times of a node's periodic jobs, multiplexed onto one wake-up.
 *
 * A Durable Object has a single alarm and `setAlarm` replaces it, so every job
 * (the SWIM period, its timers, repair, rebalancing) keeps its own due time here
 * and the object arms its alarm for the earliest. Pure: the host passes `now`.
 */
export class Timetable<Job extends string> {
  private readonly due = new Map<Job, number>();

  /** Schedules `job` at `at`, replacing any earlier schedule of it. */
  set(job: Job, at: number): void {
    this.due.set(job, at);
  }

  /** Schedules `job` at `at` unless it is already due sooner. */
  setEarliest(job: Job, at: number): void {
    const current = this.due.get(job);
    if (current === undefined || at < current) this.due.set(job, at);
  }

  cancel(job: Job): void {
    this.due.delete(job);
  }

  has(job: Job): boolean {
    return this.due.has(job);
  }

  /** The earliest due time of any job, or undefined when none is scheduled. */
  next(): number | undefined {
    let earliest: number | undefined;
    for (const at of this.due.values()) if (earliest === undefined || at < earliest) earliest = at;
    return earliest;
  }

  /** Removes and returns the jobs due at `now`, earliest first. */
  takeDue(now: number): Job[] {
    const jobs = [...this.due].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [job] of jobs) this.due.delete(job);
    return jobs.map(([job]) => job);
  }
}

/**
 * A node object's one alarm, shared by all its periodic jobs (their rules are
 * in shared/jobs.ts), and the time
 * (`now`) the node's protocol runs on.
 *
 * `now` is `Date.now()`, except that an alarm acts at the time it was due even
 * when it runs early. The platform never runs alarms early; a test driver does
 * (`runDurableObjectAlarm`), which is how tests step whole protocol periods
 * deterministically with periods too long to fire on their own.
 */
export class AlarmScheduler {
  private armedAt: number | undefined;
  private floor = 0;

  constructor(private readonly storage: DurableObjectStorage) {}

  now(): number {
    return Math.max(Date.now(), this.floor);
  }

  /**
   * Call first thing in `alarm()`: the time the alarm was armed for becomes the
   * floor of `now`. Returns how late it fired (ms; 0 when run early, as a test
   * driver does), or undefined when this object did not arm it (it restarted since).
   */
  fired(): number | undefined {
    const armedAt = this.armedAt;
    this.armedAt = undefined;
    if (armedAt === undefined) return undefined;
    this.floor = Math.max(this.floor, armedAt);
    return Math.max(0, Date.now() - armedAt);
  }

  /** Arms the alarm for `next` (the earliest job), unless it is armed for that time or sooner already. */
  arm(next: number): void {
    const at = Math.max(next, Date.now() + 1);
    if (this.armedAt !== undefined && this.armedAt <= at) return;
    this.armedAt = at;
    void this.storage.setAlarm(at);
  }

  disarm(): void {
    this.armedAt = undefined;
    void this.storage.deleteAlarm();
  }
}

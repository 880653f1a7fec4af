/**
 * Structured logs: one JSON object per line, `{"level","node","event",...fields}`,
 * so Workers Logs (and `wrangler tail`) can filter on any field. The sink is
 * injected (the hosts pass `console`), so the format is tested in Node.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogSink = Pick<Console, "log" | "warn" | "error">;

export type LogFields = Record<string, unknown>;

export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
}

/** A logger whose lines all name `node` (a ring node's name, or "router"). */
export function createLogger(node: string, sink: LogSink): Logger {
  return {
    log(level, event, fields = {}) {
      // The fixed keys last, so no field can overwrite them.
      const line = JSON.stringify({ ...normalize(fields), level, node, event });
      if (level === "error") sink.error(line);
      else if (level === "warn") sink.warn(line);
      else sink.log(line);
    },
  };
}

/** Errors do not survive JSON.stringify (it gives `{}`): keep their name and message. */
function normalize(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [name, value] of Object.entries(fields)) {
    out[name] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}

/**
 * Suppresses repeats of a line: at most one per key every `intervalMs`, so a
 * failure that repeats on every request (a slow or dead replica under load)
 * logs a few lines a minute instead of one per request. The line that passes
 * carries how many were suppressed since the previous one. Counters are not
 * throttled: metrics still count every occurrence.
 *
 * Keys are bounded (`maxKeys`): past that, the oldest key is forgotten, with
 * its count of suppressed lines; its next line then passes without that count.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 1024,
  ) {}

  /** If this line for `key` passes, how many were suppressed since the last one that did; undefined if this one is suppressed. */
  admit(key: string): number | undefined {
    const now = this.now();
    const seen = this.last.get(key);
    // Time that went back lets the line through.
    if (seen !== undefined && now >= seen.at && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return undefined;
    }
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }
}

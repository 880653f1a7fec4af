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
 * Holds back repeats of a line: at most one per key every `intervalMs`, so a
 * failure that repeats on every request (a slow or dead replica under load)
 * logs a few lines a minute instead of one per request. The line that passes
 * carries how many were held back since the previous one. Counters are not
 * throttled: metrics still count every occurrence.
 *
 * Keys are bounded (`maxKeys`): past that, the oldest key is forgotten, which at
 * worst lets one of its lines through early.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 1024,
  ) {}

  /** The number of lines held back since the last one for `key` if this one passes; undefined if it is held back. */
  admit(key: string): number | undefined {
    const now = this.now();
    const seen = this.last.get(key);
    // A clock that went back (another isolate's Date.now is not ours to trust) lets the line through.
    if (seen !== undefined && now >= seen.at && now - seen.at < this.intervalMs) {
      seen.held++;
      return undefined;
    }
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: now, held: 0 });
    return seen?.held ?? 0;
  }
}

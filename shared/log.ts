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

/**
 * The load generator's own process: runs one LoadSpec per message from the
 * parent and answers with its LoadResult. A separate process keeps the load
 * generator's event loop apart from the parent's bookkeeping (and from
 * Miniflare's), and makes its CPU use measurable on its own.
 */
import { runLoad, type LoadSpec } from "./loadgen";

interface Request {
  readonly id: number;
  readonly spec: LoadSpec;
}

process.on("message", (message: Request) => {
  runLoad(message.spec).then(
    (result) => process.send!({ id: message.id, result }),
    (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on("disconnect", () => process.exit(0));

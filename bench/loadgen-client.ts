/** The parent's side of the load generator process (bench/loadgen-child.ts). */
import { fork, type ChildProcess } from "node:child_process";
import type { LoadResult, LoadSpec } from "./loadgen";

export class LoadGenerator {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor() {
    this.child = fork(new URL("./loadgen-child.ts", import.meta.url).pathname, [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (message: { id: number; result?: LoadResult; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      if (waiter === undefined) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`load generator: ${message.error}`));
      else waiter.resolve(message.result!);
    });
    this.child.on("exit", (code) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`load generator exited with ${code}`));
      this.waiting.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ id, spec });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

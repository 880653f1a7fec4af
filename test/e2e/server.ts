import { spawn, execFile, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import { promisify } from "node:util";

/** Starting, stopping and driving a local server (`npm run dev`, `npm start`) over HTTP. */
const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
}

/** `npm <args>` in its own process group, so stopping it stops wrangler or workerd too. */
export function spawnNpm(args: readonly string[]): Spawned {
  const child = spawn("npm", args, {
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Waits until GET /health answers on `port`; fails with what the server printed if it exits or stalls. */
export async function waitReady(server: Spawned, port: number, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`${what} exited early:\n${server.output()}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not become ready:\n${server.output()}`);
}

/**
 * Sends `signal` to the server's process group, as Ctrl-C does, and waits for it
 * to exit; kills it if it has not within 10 s. Says which happened.
 */
export async function stopServer(server: Spawned | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<"stopped" | "killed"> {
  const child = server?.child;
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return "stopped";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, signal);
  const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
  if (stopped) return "stopped";
  process.kill(-child.pid, "SIGKILL");
  return "killed";
}

/** Runs curl exactly as the README shows it, with port 8787 swapped for `port`; returns status and body. */
export async function curl(port: number, ...args: string[]): Promise<{ status: number; body: unknown }> {
  const { stdout } = await run("curl", ["-s", "-w", "\n%{http_code}", ...args.map((a) => a.replace("8787", String(port)))]);
  const lines = stdout.trimEnd().split("\n");
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join("\n")) };
}

/**
 * Sends `head` and `body` on a raw connection to `port`; `end` half-closes it
 * after the body (a client hanging up). Resolves with what the server answered
 * by the time the connection closed or a JSON error body arrived.
 */
export function rawHttp(port: number, head: string, body: readonly string[], end: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(head);
      for (const chunk of body) socket.write(chunk);
      if (end) socket.end();
    });
    let answer = "";
    socket.on("data", (data: Buffer) => {
      answer += data.toString();
      if (/\r\n\r\n[\s\S]*\}\}$/.test(answer)) socket.destroy();
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
  });
}

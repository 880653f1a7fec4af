// The part of autocannon 9's API the benchmark uses (the package ships no types).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  export interface RequestParams {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string | Buffer;
  }

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    sampleInt?: number;
    pipelining?: number;
    headers?: Record<string, string>;
    requests?: {
      setupRequest?: (request: RequestParams, context: object) => RequestParams;
      onResponse?: (status: number, body: string, context: object, headers: Record<string, string>) => void;
    }[];
  }

  interface Instance extends EventEmitter {
    stop(): void;
  }

  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    requests: { sent: number };
  }

  function autocannon(options: Options, done?: (error: Error | null, result: Result) => void): Instance;
  export default autocannon;
}

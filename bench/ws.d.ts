// The part of the `ws` package (8.x) the profiler uses; it ships no types.
declare module "ws" {
  import type { EventEmitter } from "node:events";
  export default class WebSocket extends EventEmitter {
    constructor(url: string, options?: { perMessageDeflate?: boolean; maxPayload?: number });
    send(data: string): void;
    close(): void;
  }
}

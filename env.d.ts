// Bindings and vars of the router Worker (see wrangler.toml). Vars arrive as strings.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./worker/index");
    durableNamespaces: "RingNode";
  }
  interface Env {
    RING_NODE: DurableObjectNamespace<import("./durable/ring-node").RingNode>;
    NODES: string;
    REPLICAS?: string;
    READ_QUORUM?: string;
    WRITE_QUORUM?: string;
    VIRTUAL_NODES?: string;
    REPLICA_TIMEOUT_MS?: string;
    READ_REPAIR_CHANCE?: string;
    SPECULATIVE_RETRY?: string;
    REPLICA_TRANSPORT?: string;
    MAX_KEY_BYTES?: string;
    MAX_VALUE_BYTES?: string;
    MAX_BODY_BYTES?: string;
    FAULTS_ENABLED?: string;
    ADMIN_TOKEN?: string;
  }
}
interface Env extends Cloudflare.Env {}

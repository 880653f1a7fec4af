import { mergeFamilies, Registry, renderText, TEXT_FORMAT, withLabels, type MetricFamily } from "../../shared/metrics";
import { clusterFor } from "../cluster";
import { FAN_OUT, inBatches } from "../fan-out";
import { routerMetrics } from "../metrics";

/**
 * `GET /metrics` (admin token): the Prometheus text format. This router
 * isolate's own series (labelled `isolate`), then every node's (labelled
 * `node`), each node asked once, at most 6 at a time, with the stats timeout.
 * A node that does not answer is `ringkv_node_up{node} 0` and has no other
 * series in this scrape; the scrape itself still succeeds.
 */
export async function metrics(_request: Request, env: Env): Promise<Response> {
  const cluster = clusterFor(env);
  // The view names nodes added since the configuration; without one, the configured nodes are asked.
  const members = await cluster.membership.view().then(
    (view) => view.members.map((m) => m.name),
    () => [],
  );
  const names = [...new Set([...cluster.config.nodes, ...members])].sort();
  const answers = await inBatches(names, FAN_OUT, (name) => cluster.nodes.metrics(name).catch(() => undefined));
  const up = new Registry();
  const gauge = up.gauge("ringkv_node_up", "1 if the node answered this scrape, 0 if it did not (crashed, or slower than the timeout).");
  const nodeFamilies: MetricFamily[][] = [];
  names.forEach((name, i) => {
    const answer = answers[i];
    gauge.set(answer === undefined ? 0 : 1, { node: name });
    if (answer !== undefined) nodeFamilies.push(withLabels(answer, { node: name }));
  });
  const families = [...routerMetrics().collect(), ...up.collect(), ...mergeFamilies(nodeFamilies)];
  return new Response(renderText(families), { headers: { "content-type": TEXT_FORMAT, "cache-control": "no-store" } });
}

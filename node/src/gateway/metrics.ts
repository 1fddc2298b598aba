import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EndpointStatus } from "../client/index.ts";

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** The gateway's own Prometheus registry (its process is separate from the node's). */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ns_llm_gateway_process_" });
  const labelled = <T extends string>(name: string, help: string, labelNames: T[]) => new Counter({ name, help, labelNames, registers: [registry] });
  // Each node's load, as the gateway's client counts it, read at every scrape.
  let nodes: () => EndpointStatus[] = () => [];
  const perNode = (name: string, help: string, value: (e: EndpointStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["node"],
      registers: [registry],
      collect() {
        this.reset();
        for (const e of nodes()) this.set({ node: e.url }, value(e));
      },
    });
  perNode("ns_llm_gateway_node_outstanding", "Requests the gateway has sent a node that have not finished", (e) => e.outstanding);
  perNode("ns_llm_gateway_node_capacity", "Parallel generations the node advertises (/health scheduler.limit): the weight of its share", (e) => e.capacity);
  perNode("ns_llm_gateway_node_in_sync", "1 when the node runs the chain's current adoptions (or no chain is read), else 0: it gets no requests", (e) =>
    e.sync === "in_sync" || e.sync === "unchecked" ? 1 : 0,
  );
  const perNodeCount = (name: string, help: string, value: (e: EndpointStatus) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["node"],
      registers: [registry],
      collect() {
        this.reset();
        for (const e of nodes()) this.inc({ node: e.url }, value(e));
      },
    });
  perNodeCount("ns_llm_gateway_node_served_total", "Requests a node answered for the gateway", (e) => e.served);
  perNodeCount("ns_llm_gateway_node_errors_total", "Requests that failed on a node (refused, cut, timed out), most then sent to another node", (e) => e.errors);
  return {
    /** Where the per-node figures come from (the gateway's ns-llm-client). */
    observeNodes(read: () => EndpointStatus[]) {
      nodes = read;
    },
    registry,
    requests: labelled("ns_llm_gateway_requests_total", "Requests by route, answer source and status", ["route", "source", "status"]),
    latency: new Histogram({
      name: "ns_llm_gateway_request_duration_seconds",
      help: "Request latency by route and answer source",
      labelNames: ["route", "source"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    cacheHits: new Counter({ name: "ns_llm_gateway_cache_hits_total", help: "Answers served from the semantic cache", registers: [registry] }),
    cacheMisses: new Counter({ name: "ns_llm_gateway_cache_misses_total", help: "Cache lookups that found nothing similar enough", registers: [registry] }),
    federatedHits: new Counter({ name: "ns_llm_gateway_federated_hits_total", help: "Local misses answered by a peer node's verified answer (the federated cache)", registers: [registry] }),
    federatedRefused: new Counter({
      name: "ns_llm_gateway_federated_refused_total",
      help: "Peer answers the node offered that the gateway refused (record, CID or signature did not check out, or a deny pattern)",
      registers: [registry],
    }),
    cachePurged: new Counter({
      name: "ns_llm_gateway_cache_purged_total",
      help: "Cache entries dropped because the node's generation model or governed parameters changed",
      registers: [registry],
    }),
    cacheTimeSaved: new Counter({
      name: "ns_llm_gateway_cache_time_saved_seconds_total",
      help: "Generation time the cache hits saved (the original answers' durations)",
      registers: [registry],
    }),
    fallbacks: labelled("ns_llm_gateway_fallbacks_total", "Answers from search because the node could not answer, by reason", ["reason"]),
    clientEvents: labelled("ns_llm_gateway_client_events_total", "ns-llm-client state changes (breaker, health, retry, failover)", ["type", "state"]),
    nodeUp: new Gauge({ name: "ns_llm_gateway_node_up", help: "1 when the last health check of the node succeeded", registers: [registry] }),
    cacheEntries: new Gauge({ name: "ns_llm_gateway_cache_entries", help: "Entries in the semantic cache", registers: [registry] }),
    documents: new Gauge({ name: "ns_llm_gateway_documents", help: "Documents in the search collection", registers: [registry] }),
  };
}

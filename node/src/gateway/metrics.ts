import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** The gateway's own Prometheus registry (its process is separate from the node's). */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ns_llm_gateway_process_" });
  const labelled = <T extends string>(name: string, help: string, labelNames: T[]) => new Counter({ name, help, labelNames, registers: [registry] });
  return {
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

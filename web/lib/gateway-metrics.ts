/**
 * The semantic cache's figures, from the gateway's /metrics (the cache lives in the gateway, a
 * process of its own: node/src/gateway). One point per scrape: hits and misses over the interval
 * since the scrape before, and the hit rate.
 */
import { delta } from "./node-metrics.ts";
import { sumOf, type Scrape } from "./prometheus.ts";

/** The gateway's counters (node/src/gateway/metrics.ts). */
export const GATEWAY_CACHE_HITS = "ns_llm_gateway_cache_hits_total";
export const GATEWAY_CACHE_MISSES = "ns_llm_gateway_cache_misses_total";

export type CachePoint = {
  time: number;
  /** Over the interval since the scrape before; null on the first scrape or when the gateway does not export the counter. */
  hits: number | null;
  misses: number | null;
  /** hits / (hits + misses) over the interval, 0..100; null without lookups. */
  hitRate: number | null;
  /** Since the gateway started. */
  hitsTotal: number | null;
  missesTotal: number | null;
};

export function cachePoint(now: Scrape, before: Scrape | undefined): CachePoint {
  const value = (scrape: Scrape, name: string) => sumOf(scrape, name) ?? (scrape.types.has(name) ? 0 : undefined);
  const increase = (name: string) => (before ? (delta(value(now, name), value(before, name)) ?? null) : null);
  const hits = increase(GATEWAY_CACHE_HITS);
  const misses = increase(GATEWAY_CACHE_MISSES);
  const lookups = (hits ?? 0) + (misses ?? 0);
  return {
    time: now.time,
    hits,
    misses,
    hitRate: lookups > 0 ? ((hits ?? 0) / lookups) * 100 : null,
    hitsTotal: value(now, GATEWAY_CACHE_HITS) ?? null,
    missesTotal: value(now, GATEWAY_CACHE_MISSES) ?? null,
  };
}

/** The gateway's per-node series (node/src/gateway/metrics.ts), labelled `node` with each node's URL. */
export const GATEWAY_NODE_SERIES = {
  outstanding: "ns_llm_gateway_node_outstanding",
  capacity: "ns_llm_gateway_node_capacity",
  inSync: "ns_llm_gateway_node_in_sync",
  served: "ns_llm_gateway_node_served_total",
  errors: "ns_llm_gateway_node_errors_total",
} as const;

/** One node behind the gateway, as the gateway reports it (its own counts, not the node's). */
export type NodeLoad = { node: string; outstanding: number | null; capacity: number | null; inSync: boolean | null; served: number | null; errors: number | null };

/** Each node's load from one scrape of the gateway's /metrics, in the order the gateway lists them. */
export function nodeLoads(scrape: Scrape): NodeLoad[] {
  const nodes: string[] = [];
  for (const sample of scrape.samples) {
    const node = sample.labels.node;
    if (node !== undefined && sample.name.startsWith("ns_llm_gateway_node_") && !nodes.includes(node)) nodes.push(node);
  }
  const read = (name: string, node: string) => sumOf(scrape, name, { node }) ?? null;
  return nodes.map((node) => {
    const inSync = read(GATEWAY_NODE_SERIES.inSync, node);
    return {
      node,
      outstanding: read(GATEWAY_NODE_SERIES.outstanding, node),
      capacity: read(GATEWAY_NODE_SERIES.capacity, node),
      inSync: inSync === null ? null : inSync === 1,
      served: read(GATEWAY_NODE_SERIES.served, node),
      errors: read(GATEWAY_NODE_SERIES.errors, node),
    };
  });
}

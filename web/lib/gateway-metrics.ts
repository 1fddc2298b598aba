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

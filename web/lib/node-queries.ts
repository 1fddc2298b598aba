"use client";
/**
 * The node's status as react-query hooks, polled. Every key starts with "node" and the node URL,
 * so changing the URL in the settings starts afresh. An unreachable node (or a 5xx) is retried
 * without end, with exponential backoff; the pages show `failureReason` meanwhile (see
 * <NodeProblem>), and the last good data stays on screen.
 */
import { useQuery } from "@tanstack/react-query";
import { useRef } from "react";
import { useApp } from "./app-context.tsx";
import { getGovernance, getHealth, getMetricsText, NodeRequestError } from "./node-http.ts";
import { cachePoint, nodeLoads, type CachePoint, type NodeLoad } from "./gateway-metrics.ts";
import { metricsPoint, type MetricsPoint } from "./node-metrics.ts";
import { parsePrometheusText, type Scrape } from "./prometheus.ts";
import { validationSummary } from "./validation-metrics.ts";

/** 1 s, 2 s, 4 s ... at most 15 s between attempts. */
export function retryDelay(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 15_000);
}

/** Retry while the node may come back (no answer, or a server error); a 4xx will not change. */
export function shouldRetry(failureCount: number, error: Error): boolean {
  if (error instanceof NodeRequestError && (error.kind === "unreachable" || (error.status ?? 0) >= 500)) return true;
  return failureCount < 1;
}

/**
 * Options every node query shares: endless retries with backoff while the node may come back, and
 * the previous data kept on screen across a refetch, but never carried over to another node's URL.
 */
export function nodeQueryOptions(nodeUrl: string) {
  return {
    retry: shouldRetry,
    retryDelay,
    refetchOnWindowFocus: true,
    placeholderData: <T>(previous: T | undefined, previousQuery: { queryKey: readonly unknown[] } | undefined) =>
      previousQuery?.queryKey[1] === nodeUrl ? previous : undefined,
  } as const;
}

export function useNodeHealth(refetchInterval = 3000) {
  const { nodeUrl } = useApp();
  return useQuery({ queryKey: ["node", nodeUrl, "health"], queryFn: () => getHealth(nodeUrl), refetchInterval, ...nodeQueryOptions(nodeUrl) });
}

export function useNodeGovernance(refetchInterval = 5000) {
  const { nodeUrl } = useApp();
  return useQuery({ queryKey: ["node", nodeUrl, "governance"], queryFn: () => getGovernance(nodeUrl), refetchInterval, ...nodeQueryOptions(nodeUrl) });
}

/** The node's validation figures (refusals per layer, score distributions), from /metrics. */
export function useValidationSummary(refetchInterval = 10_000) {
  const { nodeUrl } = useApp();
  return useQuery({
    queryKey: ["node", nodeUrl, "validation-metrics"],
    queryFn: async () => validationSummary(parsePrometheusText(await getMetricsText(nodeUrl))),
    refetchInterval,
    ...nodeQueryOptions(nodeUrl),
  });
}

export type MetricsSeries = { points: MetricsPoint[]; last: Scrape | undefined };

/** Percentiles are computed over this much history. */
export const PERCENTILE_WINDOW_MS = 30_000;

/**
 * Scrapes /metrics every `intervalMs` and keeps the points of the last `windowMs`. The series lives
 * in a ref, per node URL, so it survives re-renders and starts again for another node.
 */
export function useMetricsSeries(intervalMs = 3000, windowMs = 5 * 60_000) {
  const { nodeUrl } = useApp();
  const series = useRef<{ nodeUrl: string; points: MetricsPoint[]; scrapes: Scrape[] }>({ nodeUrl, points: [], scrapes: [] });
  return useQuery({
    queryKey: ["node", nodeUrl, "metrics"],
    queryFn: async (): Promise<MetricsSeries> => {
      const text = await getMetricsText(nodeUrl);
      const scrape = parsePrometheusText(text);
      if (series.current.nodeUrl !== nodeUrl) series.current = { nodeUrl, points: [], scrapes: [] };
      const s = series.current;
      const last = s.scrapes.at(-1);
      // A gap longer than a few intervals (the node was down, or restarted) starts the figures afresh.
      if (last && scrape.time - last.time >= intervalMs * 4) s.scrapes = [];
      const before = s.scrapes.at(-1);
      const windowStart = s.scrapes.find((old) => old.time >= scrape.time - PERCENTILE_WINDOW_MS);
      s.points = [...s.points, metricsPoint(scrape, before, windowStart)].filter((p) => p.time >= scrape.time - windowMs);
      s.scrapes = [...s.scrapes, scrape].filter((old) => old.time >= scrape.time - PERCENTILE_WINDOW_MS);
      return { points: s.points, last: scrape };
    },
    refetchInterval: intervalMs,
    refetchIntervalInBackground: false,
    ...nodeQueryOptions(nodeUrl),
  });
}

export type CacheSeries = { points: CachePoint[]; /** Each node behind the gateway, from the last scrape. */ nodes: NodeLoad[] };

/**
 * The gateway's semantic-cache counters, scraped from its /metrics every `intervalMs` (the cache is
 * the gateway's, not the node's); disabled when no gateway URL is configured.
 */
export function useGatewayCacheSeries(intervalMs = 3000, windowMs = 5 * 60_000) {
  const { config } = useApp();
  const gatewayUrl = config.gatewayUrl;
  const series = useRef<{ gatewayUrl: string | null; points: CachePoint[]; last: Scrape | undefined }>({ gatewayUrl, points: [], last: undefined });
  return useQuery({
    queryKey: ["gateway", gatewayUrl, "metrics"],
    queryFn: async (): Promise<CacheSeries> => {
      const scrape = parsePrometheusText(await getMetricsText(gatewayUrl!, "gateway"));
      if (series.current.gatewayUrl !== gatewayUrl) series.current = { gatewayUrl, points: [], last: undefined };
      const s = series.current;
      const before = s.last && scrape.time - s.last.time < intervalMs * 4 ? s.last : undefined;
      s.points = [...s.points, cachePoint(scrape, before)].filter((p) => p.time >= scrape.time - windowMs);
      s.last = scrape;
      return { points: s.points, nodes: nodeLoads(scrape) };
    },
    enabled: Boolean(gatewayUrl),
    refetchInterval: intervalMs,
    refetchIntervalInBackground: false,
    retry: shouldRetry,
    retryDelay,
  });
}

/**
 * The dashboard's live figures: one point per /metrics scrape, from the metric names
 * node/src/server/metrics.ts registers. Rates are over the interval since the scrape before (as
 * Prometheus' rate()); percentiles over a longer window (histogram_quantile() over the buckets'
 * increase), since a few seconds often hold no request at all.
 */
import { bucketsDelta, bucketsOf, histogramQuantile, sumOf, type LabelFilter, type Scrape } from "./prometheus.ts";

const P = "ns_llm_";

/** Routes that serve models; /health, /metrics and the dApp's own polling are left out of latency. */
const MODEL_ROUTE = /^\/(v1\/|generate|embed)/;
/** The dashboard's own scrapes are not traffic. */
const notScrape: LabelFilter = { route: (route) => route !== "/metrics" };
const modelRoutes: LabelFilter = { route: (route) => MODEL_ROUTE.test(route) };

export type MetricsPoint = {
  /** ms since the epoch. */
  time: number;
  /** HTTP requests per second (every route but /metrics). */
  requestsPerSecond: number | null;
  /** Latency percentiles of the model routes over the window (ms); null without requests. */
  latencyP50: number | null;
  latencyP95: number | null;
  latencyP99: number | null;
  /** Generated tokens per second over the interval (throughput, all generations together). */
  tokensPerSecond: number | null;
  /** Time to first token over the window (ms). */
  ttftP50: number | null;
  ttftP95: number | null;
  queueDepth: number | null;
  activeGenerations: number | null;
  /** Answers from search (fallbacks) over the interval. */
  fallbacks: number | null;
  /** Batches anchored, since the node started. */
  anchorsTotal: number | null;
  /** Running totals since the node started. */
  requestsTotal: number | null;
  tokensTotal: number | null;
  fallbacksTotal: number | null;
};

/** How much a counter grew between two scrapes (a counter reset gives its new value). */
export function delta(now: number | undefined, before: number | undefined): number | undefined {
  if (now === undefined) return undefined;
  if (before === undefined || now < before) return now; // first scrape, or a counter reset
  return now - before;
}

const ms = (seconds: number | undefined) => (seconds === undefined ? null : seconds * 1000);

/**
 * The figures at `now`: rates since `before` (the previous scrape, if any), percentiles since
 * `windowStart` (an older scrape; default `before`).
 */
export function metricsPoint(now: Scrape, before: Scrape | undefined, windowStart: Scrape | undefined = before): MetricsPoint {
  const seconds = before ? (now.time - before.time) / 1000 : 0;
  // A labelled counter has no sample until its first increment; declared (# TYPE) means 0, not unknown.
  const value = (scrape: Scrape, name: string, filter?: LabelFilter) => sumOf(scrape, name, filter) ?? (scrape.types.has(name) ? 0 : undefined);
  const rate = (name: string, filter?: LabelFilter) => {
    if (!before || seconds <= 0) return null;
    const d = delta(value(now, name, filter), value(before, name, filter));
    return d === undefined ? null : d / seconds;
  };
  const increase = (name: string) => {
    if (!before) return null;
    return delta(value(now, name), value(before, name)) ?? null;
  };
  const quantiles = (histogram: string, filter: LabelFilter | undefined, ...qs: number[]) => {
    if (!windowStart) return qs.map(() => null);
    const buckets = bucketsDelta(bucketsOf(now, histogram, filter), bucketsOf(windowStart, histogram, filter));
    return qs.map((q) => ms(histogramQuantile(q, buckets)));
  };
  const [latencyP50 = null, latencyP95 = null, latencyP99 = null] = quantiles(`${P}http_request_duration_seconds`, modelRoutes, 0.5, 0.95, 0.99);
  const [ttftP50 = null, ttftP95 = null] = quantiles(`${P}time_to_first_token_seconds`, undefined, 0.5, 0.95);
  return {
    time: now.time,
    requestsPerSecond: rate(`${P}http_requests_total`, notScrape),
    latencyP50,
    latencyP95,
    latencyP99,
    tokensPerSecond: rate(`${P}generated_tokens_total`),
    ttftP50,
    ttftP95,
    queueDepth: sumOf(now, `${P}generation_queue_depth`) ?? null,
    activeGenerations: sumOf(now, `${P}active_generations`) ?? null,
    fallbacks: increase(`${P}fallbacks_total`),
    anchorsTotal: sumOf(now, `${P}audit_anchors_total`) ?? null,
    requestsTotal: value(now, `${P}http_requests_total`, notScrape) ?? null,
    tokensTotal: sumOf(now, `${P}generated_tokens_total`) ?? null,
    fallbacksTotal: value(now, `${P}fallbacks_total`) ?? null,
  };
}

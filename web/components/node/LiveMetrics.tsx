"use client";
import { useMetricsSeries } from "@/lib/node-queries.ts";
import { Card } from "../ui/Card.tsx";
import { formatFigure, MetricChart } from "./MetricChart.tsx";
import { NodeProblem } from "./NodeProblem.tsx";
import { ValidationScores } from "./ValidationScores.tsx";

const INTERVAL_MS = 3000;
const WINDOW_MIN = 5;

/** The node's /metrics, scraped every 3 s, as charts over the last five minutes. */
export function LiveMetrics() {
  const metrics = useMetricsSeries(INTERVAL_MS, WINDOW_MIN * 60_000);
  const points = metrics.data?.points ?? [];
  const latest = points.at(-1);
  return (
    <Card
      title="Live metrics"
      actions={<span className="small muted">/metrics every {INTERVAL_MS / 1000} s, last {WINDOW_MIN} min</span>}
      testId="live-metrics"
    >
      <NodeProblem query={metrics} what="the metrics" />
      {metrics.isPending && !metrics.failureReason && <p className="empty">Scraping /metrics…</p>}
      {latest && (
        <div className="figures" data-testid="metric-totals">
          <Figure label="Requests since start" value={latest.requestsTotal} testId="total-requests" />
          <Figure label="Tokens generated" value={latest.tokensTotal} testId="total-tokens" />
          <Figure label="Search fallbacks" value={latest.fallbacksTotal} testId="total-fallbacks" />
          <Figure label="Batches anchored" value={latest.anchorsTotal} testId="total-anchors" />
          <Figure label="Queue / running" value={latest.queueDepth} extra={latest.activeGenerations} testId="queue" />
        </div>
      )}
      {points.length > 0 && (
        <div className="chart-grid">
          <MetricChart title="Requests" unit="req/s" points={points} testId="chart-requests" lines={[{ key: "requestsPerSecond", label: "requests/s", color: "var(--accent)" }]} />
          <MetricChart
            title="Latency, model routes (last 30 s)"
            unit="ms"
            points={points}
            testId="chart-latency"
            lines={[
              { key: "latencyP50", label: "p50", color: "var(--good)" },
              { key: "latencyP95", label: "p95", color: "var(--warn)" },
              { key: "latencyP99", label: "p99", color: "var(--bad)" },
            ]}
          />
          <MetricChart title="Tokens per second" unit="tok/s" points={points} testId="chart-tokens" lines={[{ key: "tokensPerSecond", label: "tokens/s", color: "var(--accent)" }]} />
          <MetricChart
            title="Time to first token (last 30 s)"
            unit="ms"
            points={points}
            testId="chart-ttft"
            lines={[
              { key: "ttftP50", label: "p50", color: "var(--good)" },
              { key: "ttftP95", label: "p95", color: "var(--warn)" },
            ]}
          />
          <MetricChart
            title="Queue depth"
            points={points}
            testId="chart-queue"
            lines={[
              { key: "queueDepth", label: "waiting", color: "var(--warn)" },
              { key: "activeGenerations", label: "running", color: "var(--accent)" },
            ]}
          />
          <MetricChart
            title="Semantic cache"
            points={points}
            testId="chart-cache"
            lines={[
              { key: "cacheHits", label: "hits", color: "var(--good)" },
              { key: "cacheMisses", label: "misses", color: "var(--bad)" },
            ]}
          />
          <MetricChart title="Search fallbacks" unit="per interval" points={points} testId="chart-fallbacks" lines={[{ key: "fallbacks", label: "fallbacks", color: "var(--warn)" }]} />
          <MetricChart title="Anchored batches" points={points} testId="chart-anchors" lines={[{ key: "anchorsTotal", label: "anchors", color: "var(--info)" }]} />
        </div>
      )}
      {metrics.data?.last && <ValidationScores scrape={metrics.data.last} />}
      {latest && latest.cacheHitRate !== null && <p className="small muted">Cache hit rate over the last interval: {formatFigure(latest.cacheHitRate)} %</p>}
    </Card>
  );
}

function Figure({ label, value, extra, testId }: { label: string; value: number | null; extra?: number | null; testId: string }) {
  return (
    <div className="figure" data-testid={testId}>
      <span className="figure-value">
        {formatFigure(value, 0)}
        {extra !== undefined && <> / {formatFigure(extra, 0)}</>}
      </span>
      <span className="figure-label">{label}</span>
    </div>
  );
}

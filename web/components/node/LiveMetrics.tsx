"use client";
import { useApp } from "@/lib/app-context.tsx";
import { useGatewayCacheSeries, useMetricsSeries } from "@/lib/node-queries.ts";
import { Notice } from "../ui/Notice.tsx";
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
          <GatewayCache />
          <MetricChart title="Search fallbacks" unit="per interval" points={points} testId="chart-fallbacks" lines={[{ key: "fallbacks", label: "fallbacks", color: "var(--warn)" }]} />
          <MetricChart title="Anchored batches" points={points} testId="chart-anchors" lines={[{ key: "anchorsTotal", label: "anchors", color: "var(--info)" }]} />
        </div>
      )}
      {metrics.data?.last && <ValidationScores scrape={metrics.data.last} />}
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

/** The semantic cache lives in the gateway: its hits and misses from the gateway's /metrics, or why there are none. */
function GatewayCache() {
  const { config } = useApp();
  const cache = useGatewayCacheSeries(INTERVAL_MS, WINDOW_MIN * 60_000);
  if (!config.gatewayUrl) {
    return (
      <div className="metric-chart" data-testid="chart-cache" data-gateway="none">
        <h3>Semantic cache</h3>
        <p className="muted small" data-testid="chart-cache-none">
          No gateway: the semantic cache is the gateway&apos;s (<code>ns-llm gateway</code>). Set NEXT_PUBLIC_NS_LLM_GATEWAY_URL to chart its hits and misses.
        </p>
      </div>
    );
  }
  const points = cache.data?.points ?? [];
  const latest = points.at(-1);
  if (cache.error && points.length === 0) {
    return (
      <div className="metric-chart" data-testid="chart-cache" data-gateway="unreachable">
        <h3>Semantic cache</h3>
        <Notice tone="warn">{cache.error.message}</Notice>
      </div>
    );
  }
  return (
    <div data-testid="chart-cache-gateway" data-gateway={config.gatewayUrl} data-hits-total={latest?.hitsTotal ?? undefined} data-misses-total={latest?.missesTotal ?? undefined}>
      <MetricChart
        title="Semantic cache (gateway)"
        unit="per interval"
        points={points}
        testId="chart-cache"
        lines={[
          { key: "hits", label: "hits", color: "var(--good)" },
          { key: "misses", label: "misses", color: "var(--bad)" },
        ]}
      />
      {latest && latest.hitRate !== null && <p className="small muted">Hit rate over the last interval: {formatFigure(latest.hitRate)} %</p>}
      {(cache.data?.nodes.length ?? 0) > 0 && (
        <table className="small" data-testid="gateway-nodes">
          <caption className="muted">Nodes behind the gateway, as reported by the gateway</caption>
          <thead>
            <tr>
              <th>Node</th>
              <th>In sync with the chain</th>
              <th>Outstanding / slots</th>
              <th>Served</th>
              <th>Errors</th>
            </tr>
          </thead>
          <tbody>
            {cache.data!.nodes.map((n) => (
              <tr key={n.node} data-node={n.node} data-in-sync={String(n.inSync)}>
                <td>
                  <code>{n.node}</code>
                </td>
                <td>{n.inSync === null ? "?" : n.inSync ? "yes" : "no: gets no requests"}</td>
                <td>
                  {formatFigure(n.outstanding, 0)} / {formatFigure(n.capacity, 0)}
                </td>
                <td>{formatFigure(n.served, 0)}</td>
                <td>{formatFigure(n.errors, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

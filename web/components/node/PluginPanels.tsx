"use client";
import { useQuery } from "@tanstack/react-query";
import type { PluginsReport } from "@ns-llm/contracts";
import { useApp } from "@/lib/app-context.tsx";
import { getMetricsText, nodeJson } from "@/lib/node-http.ts";
import { nodeQueryOptions } from "@/lib/node-queries.ts";
import { parsePrometheusText } from "@/lib/prometheus.ts";
import { pluginPanels, type RenderedPanel } from "@/lib/plugin-panels.ts";

/**
 * The panels the node's plugins declare (GET /api/plugins), drawn from its /metrics: generic
 * charts, no code per plugin. What they show is reported by the node, not verified on chain.
 */
export function PluginPanels() {
  const { nodeUrl } = useApp();
  const report = useQuery({ queryKey: ["node", nodeUrl, "plugins"], queryFn: () => nodeJson<PluginsReport>(nodeUrl, "/api/plugins"), refetchInterval: 10_000, ...nodeQueryOptions(nodeUrl) });
  const scrape = useQuery({ queryKey: ["node", nodeUrl, "plugin-metrics"], queryFn: async () => parsePrometheusText(await getMetricsText(nodeUrl)), refetchInterval: 3000, ...nodeQueryOptions(nodeUrl) });
  const panels = pluginPanels(report.data, scrape.data);
  if (!report.data || report.data.plugins.length === 0) return null;
  return (
    <section className="card" data-testid="plugin-panels">
      <h2>Plugins</h2>
      <p className="small muted">Reported by the node (its /metrics and /api/plugins), not verified on chain.</p>
      <ul className="small">
        {report.data.plugins.map((p) => (
          <li key={p.name} data-testid={`plugin-${p.name}`}>
            <strong>{p.name}</strong> {p.version} · {p.state} · hooks {p.hooks.join(", ")} · digest <code>{p.digest.slice(0, 12)}</code>
            {p.failures ? ` · ${p.failures} failed calls` : ""}
          </li>
        ))}
      </ul>
      {report.data.missing.length > 0 && (
        <p className="small" data-testid="plugins-missing">
          Required by governance and missing here: {report.data.missing.map((m) => `${m.name} (${m.reason})`).join("; ")}
        </p>
      )}
      <div className="chart-grid">
        {panels.map((p) => (
          <Panel key={p.key} p={p} />
        ))}
      </div>
    </section>
  );
}

function Panel({ p }: { p: RenderedPanel }) {
  const most = Math.max(1, ...p.bars.map((b) => b.value));
  const unit = p.panel.unit ? ` ${p.panel.unit}` : "";
  return (
    <figure className="histogram" data-testid="plugin-panel" data-panel={p.key}>
      <figcaption className="small">
        {p.panel.title} <span className="muted">({p.plugin}{p.count !== undefined ? `, ${p.count} observations` : ""})</span>
      </figcaption>
      {p.panel.chart === "stat" ? (
        <div className="figures">
          {p.bars.map((b) => (
            <div className="figure" key={b.label}>
              <span className="figure-value">{formatValue(b.value)}{unit}</span>
              <span className="figure-label">{b.label}</span>
            </div>
          ))}
        </div>
      ) : (
        <div>
          {p.bars.length === 0 && <p className="small muted">no data yet</p>}
          {p.bars.map((b) => (
            <div key={b.label} className="small" style={{ display: "flex", alignItems: "center", gap: 6 }} data-testid="plugin-bar">
              <span style={{ width: 90 }}>{b.label}{p.panel.chart === "histogram" ? unit : ""}</span>
              <span style={{ display: "inline-block", height: 10, width: `${(b.value / most) * 60}%`, minWidth: 1, background: "var(--accent)" }} />
              <span data-testid="plugin-bar-value">{formatValue(b.value)}</span>
            </div>
          ))}
        </div>
      )}
      {p.panel.description && <p className="small muted">{p.panel.description}</p>}
    </figure>
  );
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/**
 * Plugin dashboard panels (issue 21), computed from what the node reports: the panels its plugins
 * declare (GET /api/plugins) and its /metrics scrape. One generic computation per chart kind, so a
 * new plugin's panel needs no dApp code:
 *
 * - "stat": one number per metric (summed over the plugin's series);
 * - "bars": one bar per value of the panel's `by` label (summed over the other labels);
 * - "histogram": the histogram's observations per bucket (non-cumulative), with its count.
 *
 * These are the node's own figures, not checked against the chain: the page labels them so.
 */
import { pluginMetricName, type PluginPanel, type PluginsReport } from "@ns-llm/contracts";
import { bucketsOf, sumOf, type Scrape } from "./prometheus.ts";

export type PanelBar = { label: string; value: number };

export type RenderedPanel = {
  /** "plugin/title", unique on the page. */
  key: string;
  plugin: string;
  version: string;
  panel: PluginPanel;
  /** stat and bars: one entry per metric (stat) or label value (bars); histogram: one per bucket ("≤ 0.5"). */
  bars: PanelBar[];
  /** histogram: observations in all; else undefined. */
  count?: number;
};

export function pluginPanels(report: PluginsReport | undefined, scrape: Scrape | undefined): RenderedPanel[] {
  if (!report || !scrape) return [];
  const out: RenderedPanel[] = [];
  for (const plugin of report.plugins) {
    if (plugin.state !== "running") continue;
    for (const panel of plugin.panels) {
      const filter = { plugin: plugin.name };
      let bars: PanelBar[] = [];
      let count: number | undefined;
      if (panel.chart === "stat") {
        bars = panel.metrics.map((m) => ({ label: m, value: sumOf(scrape, pluginMetricName(m), filter) ?? 0 }));
      } else if (panel.chart === "bars") {
        const by = panel.by;
        const totals = new Map<string, number>();
        for (const m of panel.metrics) {
          for (const s of scrape.samples) {
            if (s.name !== pluginMetricName(m) || s.labels.plugin !== plugin.name || Number.isNaN(s.value)) continue;
            const label = by ? (s.labels[by] ?? "") : m;
            totals.set(label, (totals.get(label) ?? 0) + s.value);
          }
        }
        bars = [...totals].sort((a, b) => a[0].localeCompare(b[0])).map(([label, value]) => ({ label, value }));
      } else {
        const name = pluginMetricName(panel.metrics[0] ?? "");
        const sorted = [...bucketsOf(scrape, name, filter)].sort((a, b) => a[0] - b[0]);
        let previous = 0;
        bars = sorted.map(([le, cumulative]) => {
          const value = cumulative - previous;
          previous = cumulative;
          return { label: le === Infinity ? "+Inf" : `≤ ${le}`, value };
        });
        count = sumOf(scrape, `${name}_count`, filter) ?? 0;
      }
      out.push({ key: `${plugin.name}/${panel.title}`, plugin: plugin.name, version: plugin.version, panel, bars, ...(count !== undefined ? { count } : {}) });
    }
  }
  return out;
}

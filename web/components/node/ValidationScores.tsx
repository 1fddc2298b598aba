"use client";
import { VALIDATION_LAYERS } from "@ns-llm/contracts";
import type { Scrape } from "@/lib/prometheus.ts";
import { validationSummary, type ScoreBin } from "@/lib/validation-metrics.ts";

/** Refusals per validation layer and the score distributions of the answers since the node started. */
export function ValidationScores({ scrape }: { scrape: Scrape }) {
  const summary = validationSummary(scrape);
  return (
    <div data-testid="validation-scores">
      <h3>Answer validation</h3>
      <div className="figures">
        {VALIDATION_LAYERS.map((layer) => (
          <div className="figure" key={layer} data-testid={`refusals-${layer}`}>
            <span className="figure-value">{summary.refusals[layer]}</span>
            <span className="figure-label">refused: {layer.replace("_", " ")}</span>
          </div>
        ))}
      </div>
      <div className="chart-grid">
        <Distribution title={`Toxicity of ${summary.answers} answers`} bins={summary.toxicity} testId="toxicity-histogram" />
        <Distribution title="Coherence" bins={summary.coherence} testId="coherence-histogram" />
      </div>
    </div>
  );
}

export function Distribution({ title, bins, testId }: { title: string; bins: ScoreBin[]; testId: string }) {
  const most = Math.max(1, ...bins.map((b) => b.answers));
  return (
    <figure data-testid={testId} className="histogram">
      <figcaption className="small">{title}</figcaption>
      <div style={{ display: "flex", alignItems: "flex-end", gap: 2, height: 80 }}>
        {bins.map((b) => (
          <div
            key={b.to}
            title={`${b.from}–${b.to}: ${b.answers}`}
            style={{ flex: 1, height: `${(b.answers / most) * 100}%`, minHeight: 1, background: "var(--accent)" }}
          />
        ))}
      </div>
      <div className="small muted" style={{ display: "flex", justifyContent: "space-between" }}>
        <span>0</span>
        <span>1</span>
      </div>
    </figure>
  );
}

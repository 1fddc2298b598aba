"use client";
import { useValidationSummary } from "@/lib/node-queries.ts";
import { wouldRefuse } from "@/lib/validation-metrics.ts";
import { Distribution } from "../node/ValidationScores.tsx";

/**
 * Beside the thresholds: the score distributions of the answers this node has scored, and how many
 * of them the thresholds being drafted would have refused (by whole histogram buckets).
 */
export function ThresholdPreview({ maxToxicity, minCoherence }: { maxToxicity: string; minCoherence: string }) {
  const summary = useValidationSummary();
  const s = summary.data;
  if (!s || s.answers === 0) return null;
  const max = Number(maxToxicity);
  const min = Number(minCoherence);
  return (
    <div data-testid="threshold-preview">
      <p className="small muted">
        Of the {s.answers} answers this node has scored
        {maxToxicity !== "" && Number.isFinite(max) && <>, a max toxicity of {max} would have refused about {wouldRefuse(s.toxicity, max, "above")}</>}
        {minCoherence !== "" && Number.isFinite(min) && <>, a min coherence of {min} about {wouldRefuse(s.coherence, min, "below")}</>}.
      </p>
      <div className="chart-grid">
        <Distribution title="Toxicity of recent answers" bins={s.toxicity} testId="preview-toxicity" />
        <Distribution title="Coherence of recent answers" bins={s.coherence} testId="preview-coherence" />
      </div>
    </div>
  );
}

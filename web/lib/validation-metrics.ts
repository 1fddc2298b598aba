/**
 * The node's answer validation, from one /metrics scrape (node/src/validation/validation.ts):
 * refusals per layer, and the distribution of the answers' toxicity and coherence scores since the
 * node started, bucket by bucket, so voters see what a threshold would have refused.
 */
import { VALIDATION_LAYERS, type ValidationLayer } from "@ns-llm/contracts";
import { bucketsOf, sumOf, type Scrape } from "./prometheus.ts";

/** Answers whose score fell in (from, to]. */
export type ScoreBin = { from: number; to: number; answers: number };

export type ValidationSummary = {
  refusals: Record<ValidationLayer, number>;
  toxicity: ScoreBin[];
  coherence: ScoreBin[];
  /** Answers scored. */
  answers: number;
};

/** Per-bucket counts from a cumulative histogram (the +Inf bucket folds into the last finite one). */
function bins(scrape: Scrape, histogram: string): ScoreBin[] {
  const buckets = [...bucketsOf(scrape, histogram)].filter(([le]) => Number.isFinite(le)).sort((a, b) => a[0] - b[0]);
  let previous = 0;
  let from = 0;
  return buckets.map(([le, cumulative]) => {
    const bin = { from, to: le, answers: cumulative - previous };
    previous = cumulative;
    from = le;
    return bin;
  });
}

export function validationSummary(scrape: Scrape): ValidationSummary {
  const refusals = Object.fromEntries(
    VALIDATION_LAYERS.map((layer) => [layer, sumOf(scrape, "ns_llm_validation_refusals_total", { rule: layer }) ?? 0]),
  ) as Record<ValidationLayer, number>;
  return {
    refusals,
    toxicity: bins(scrape, "ns_llm_validation_toxicity"),
    coherence: bins(scrape, "ns_llm_validation_coherence"),
    answers: sumOf(scrape, "ns_llm_validation_toxicity_count") ?? 0,
  };
}

/** How many scored answers a threshold would have refused: toxicity above `max`, coherence below `min` (by whole buckets). */
export function wouldRefuse(bins: readonly ScoreBin[], threshold: number, side: "above" | "below"): number {
  return bins.reduce((n, b) => n + ((side === "above" ? b.from >= threshold : b.to <= threshold) ? b.answers : 0), 0);
}

/**
 * The evaluation suite a dry-run judges a proposed model by: the network's governed one (role
 * `evaluation`, a manifest adopted by vote, named in each report by its CID), else the built-in
 * `builtin/v1`. Greedy sampling and a fixed seed, so every node asks the same and answers compare.
 *
 * Each prompt's answer passes when it completed with text (generation) or is a unit vector of the
 * declared length (embedding), and meets the prompt's governed checks: must contain, must not
 * contain (case-insensitive substrings), max latency, JSON (asked for JSON, parses as an object),
 * and the suite's embedding dimensions. `checkAnswer` is the one place these are decided.
 */
import type { DryRunCheck, EvaluationManifest, EvaluationPrompt } from "@ns-llm/contracts";

export type EvaluationSuite = {
  /** `builtin/v1`, or the CID of the governed suite's manifest. */
  id: string;
  /** The governed suite's manifest name. */
  name?: string;
  prompts: EvaluationPrompt[];
  /** Tokens each answer may have. */
  maxTokens: number;
  /** Share of prompts that must pass for the verdict Passed. */
  passRate: number;
  /** Embedding models must give vectors of this length. */
  dimensions?: number;
};

export const BUILTIN_SUITE: EvaluationSuite = {
  id: "builtin/v1",
  prompts: [
    "Hello, who are you?",
    "What is a decentralized network?",
    "Name three colors.",
    "Summarize: the node answers questions with a model the network voted for.",
    "Write one short sentence about the sea.",
  ].map((prompt) => ({ prompt })),
  maxTokens: 16,
  passRate: 1,
};

/** The suite an adopted `evaluation` manifest describes. */
export function suiteOf(manifest: EvaluationManifest, cid: string): EvaluationSuite {
  const e = manifest.evaluation;
  return {
    id: cid,
    name: manifest.name,
    prompts: e.prompts,
    maxTokens: e.maxTokens ?? 16,
    passRate: e.passRate ?? 1,
    ...(e.dimensions !== undefined ? { dimensions: e.dimensions } : {}),
  };
}

/** What the sandbox measured for one prompt. */
export type Measured = { text: string; ms: number; completed: boolean; dimensions?: number; unit?: boolean };

/** The checks of one prompt on its answer: the basic one first, then each governed property. */
export function checkAnswer(spec: EvaluationPrompt, m: Measured, suite: Pick<EvaluationSuite, "dimensions">, declaredDimensions?: number): DryRunCheck[] {
  const checks: DryRunCheck[] = [];
  const embedding = m.dimensions !== undefined;
  if (embedding) {
    checks.push({ check: "unit_vector", ok: m.unit === true && m.dimensions === declaredDimensions, detail: `${m.dimensions} dimensions (manifest: ${declaredDimensions})` });
    if (suite.dimensions !== undefined) checks.push({ check: "dimensions", ok: m.dimensions === suite.dimensions, detail: `${m.dimensions}, the suite wants ${suite.dimensions}` });
  } else {
    checks.push({ check: "answered", ok: m.completed && m.text.trim() !== "" });
    const lower = m.text.toLowerCase();
    for (const s of spec.mustContain ?? []) checks.push({ check: "must_contain", ok: lower.includes(s.toLowerCase()), detail: s });
    for (const s of spec.mustNotContain ?? []) checks.push({ check: "must_not_contain", ok: !lower.includes(s.toLowerCase()), detail: s });
    if (spec.json) checks.push({ check: "json", ok: isJsonObject(m.text) });
  }
  if (spec.maxLatencyMs !== undefined) checks.push({ check: "max_latency", ok: m.ms <= spec.maxLatencyMs, detail: `${m.ms} ms, at most ${spec.maxLatencyMs}` });
  return checks;
}

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * Canary swaps (issue 16): when an adoption of a generation model is executed, a node loads the new
 * model beside the one serving, sends a governed share of live requests to it for a governed
 * period, compares it with the current model and either completes the swap or rolls it back. What
 * it found is shown in `/health` (`canary`), and published as an adoption report: JSON on IPFS
 * whose CID and sha256 the node records with `NodeReports.reportAdoption`.
 */
import type { ReportVerdict } from "./dry-run.ts";

/** `parameters.canary`, each field resolved to the value in force (the schema's defaults where absent). */
export type CanarySettings = {
  /** Share (0-1) of generation requests sent to the new model; 0 = swap at once (no canary). */
  share: number;
  /** The canary ends after this many seconds... */
  durationSec: number;
  /** ...or as soon as the new model has answered this many requests, whichever comes first. */
  minRequests: number;
  /** Roll back when the new model's error rate exceeds the current one's by more than this (0-1). */
  maxErrorRateDelta: number;
  /** Roll back when the new model's median latency exceeds the current one's times this. */
  maxLatencyRatio: number;
  /** Roll back when the new model's validation refusal rate exceeds the current one's by more than this (0-1). */
  maxRefusalRateDelta: number;
};

/** What one model did during a canary. */
export type CanaryArm = {
  model: string;
  manifest: string | null;
  /** Requests it answered (or failed) during the canary. */
  requests: number;
  /** Requests that failed: the engine threw, the answer was cut short by a timeout, or nothing came. */
  errors: number;
  /** Answers the validation layers refused. */
  refusals: number;
  errorRate: number;
  refusalRate: number;
  /** Median milliseconds of an answer on this model (engine time, queueing excluded); null without any. */
  p50Ms: number | null;
};

export type CanaryState = "running" | "completed" | "rolled_back" | "abandoned";

/** One canary, as `/health` shows it (the last one of each role) and as the adoption report records it. */
export type CanaryRun = {
  role: "generation";
  version: number | null;
  cid: string | null;
  /** The sha256 of the adopted manifest's bytes (as on chain). */
  digest: string | null;
  name: string;
  state: CanaryState;
  settings: CanarySettings;
  startedAt: string;
  endedAt?: string;
  /** The new model, and the one serving when the canary started. */
  candidate: CanaryArm;
  current: CanaryArm;
  /** Requests that failed or were refused on the new model and were answered again by the current one. */
  retried: number;
  /** Why it was rolled back (each tolerance exceeded), or a note on a completion. */
  reasons: string[];
  /** The adoption report, once recorded on chain. */
  report?: { cid: string; digest: string; txHash: string; gasUsed: string } | { error: string };
};

export const ADOPTION_REPORT_SCHEMA = "ns-llm.adoption-report/v1";

/** A node's outcome of an adoption: the JSON recorded with `NodeReports.reportAdoption`. */
export type AdoptionReport = {
  schema: typeof ADOPTION_REPORT_SCHEMA;
  chainId: number;
  /** The operator account that signs `reportAdoption`. */
  node: string;
  adoption: { role: string; version: number; cid: string; digest: string; name: string };
  /** Passed: the swap completed; Failed: the canary rolled it back. */
  verdict: Extract<ReportVerdict, "Passed" | "Failed">;
  outcome: "completed" | "rolled_back";
  reasons: string[];
  settings: CanarySettings;
  candidate: CanaryArm;
  current: CanaryArm;
  retried: number;
  software: string;
  startedAt: string;
  finishedAt: string;
};

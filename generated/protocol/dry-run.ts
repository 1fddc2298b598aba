/**
 * A node's dry-run report on a proposal (issue 16): the JSON a node publishes on IPFS, whose CID
 * and sha256 it records with `NodeReports.reportProposal`. Written by the node, read and checked
 * (digest) by the dApp's proposal page.
 */

/** `NodeReports.Verdict`, index = the contract's value (None is never stored). */
export const REPORT_VERDICTS = ["None", "Passed", "Failed", "Refused"] as const;
export type ReportVerdict = (typeof REPORT_VERDICTS)[number];

export const DRY_RUN_REPORT_SCHEMA = "ns-llm.dry-run-report/v1";

/** One check of an answer: `answered` / `unit_vector` (always), then the suite's `must_contain`, `must_not_contain`, `max_latency`, `json`, `dimensions`. */
export type DryRunCheck = { check: string; ok: boolean; detail?: string };

/** One prompt of the evaluation suite and what the model answered. */
export type DryRunAnswer = {
  prompt: string;
  text: string;
  tokens: number;
  ms: number;
  firstTokenMs: number | null;
  /** Whether the answer met every check of the suite for this prompt. */
  ok: boolean;
  /** Each check and its result (reports of a governed suite; absent in older reports). */
  checks?: DryRunCheck[];
};

/** What the sandbox measured; fields that do not apply to the role are absent. */
export type DryRunFigures = {
  /** From the start of the load to a ready engine. */
  loadMs: number;
  /** Largest resident memory of the sandbox process seen (bytes). */
  peakRssBytes: number;
  /** Generation: tokens generated / generation time, over the suite. */
  tokensPerSecond?: number;
  /** Generation: median time to first token over the suite. */
  firstTokenMs?: number;
  /** Embedding: the vectors' length, and the ms to embed the suite's prompts. */
  dimensions?: number;
  embedMs?: number;
  /** Share of the suite's checks that passed (0..1). */
  passRate: number;
};

export type DryRunReport = {
  schema: typeof DRY_RUN_REPORT_SCHEMA;
  /** Decimal: proposal ids are uint256. */
  proposalId: string;
  chainId: number;
  /** The operator account that signs `reportProposal`. */
  node: string;
  /** What the proposal adopts. */
  proposal: { role: string; cid: string; digest: string; name?: string };
  verdict: Exclude<ReportVerdict, "None">;
  /** Why Failed or Refused: a lower snake code and a sentence. */
  reason?: { code: string; message: string };
  /** The suite the model was judged by: `builtin` (the node's own) or a governed `evaluation` manifest's CID. */
  suite: { id: string; prompts: number; name?: string };
  /** The sandbox's limits. */
  sandbox: { memoryBudgetBytes: number; threads: number; modelBytes?: number };
  figures?: DryRunFigures;
  answers?: DryRunAnswer[];
  /** The node's software and when it ran. */
  software: string;
  startedAt: string;
  finishedAt: string;
};

/** One proposal as `GET /api/dry-runs` shows it: what this node did about it. */
export type DryRunEntry = {
  proposalId: string;
  role: string;
  cid: string;
  state: "queued" | "running" | "reported" | "skipped" | "error";
  verdict?: Exclude<ReportVerdict, "None">;
  report?: { cid: string; digest: string; txHash: string; gasUsed: string };
  /** Why skipped (the vote closed, reported before) or what went wrong publishing. */
  note?: string;
};

/** `GET /api/dry-runs`. */
export type DryRunStatus = {
  enabled: boolean;
  /** Why not running (no NodeReports in the deployment, no operator account...). */
  reason?: string;
  operator?: string;
  memoryBudgetBytes?: number;
  proposals: DryRunEntry[];
};

/**
 * One dry-run: from a proposal's adopt(role, cid, digest) action to the report a node publishes.
 * Fetch the manifest, check its bytes against the digest on chain, validate it (within the node's
 * size quota), refuse a model over the sandbox's memory budget before downloading anything, fetch
 * and verify its artifacts into the node's store, then load and evaluate it in the sandbox.
 *
 * Verdicts (NodeReports.Verdict): Refused = the node would not run it (manifest unreachable or
 * wrong, digest, size, sources, memory budget); Failed = it ran and did worse than the suite
 * requires (does not load, crashes, hangs, answers fail the checks); Passed = it met the suite.
 */
import path from "node:path";
import { DRY_RUN_REPORT_SCHEMA, manifestDigest, type DryRunAnswer, type DryRunFigures, type DryRunReport, type GovernedPlugins, type Role } from "@ns-llm/contracts";
import { PullError, type ModelStore, type SourceFetchers } from "../inference/store/index.ts";
import type { Manifest, ModelManifest } from "../manifest/index.ts";
import { runSandbox } from "./sandbox.ts";
import type { SandboxJob } from "./sandbox-protocol.ts";
import { checkAnswer, type EvaluationSuite } from "./suite.ts";

export type ProposedAdoption = { proposalId: bigint; role: Role; cid: string; digest: `0x${string}` };

export type EvaluateProposalParameters = {
  adoption: ProposedAdoption;
  chainId: number;
  node: string;
  fetchManifest(cid: string, options: { signal: AbortSignal }): Promise<Uint8Array>;
  /** The node's manifest validation (its size quota included); throws when invalid. */
  parseManifest(bytes: Uint8Array): Manifest;
  store: ModelStore;
  fetchers: SourceFetchers;
  suite: EvaluationSuite;
  memoryBudgetBytes: number;
  /** Memory needed = model files x this, checked before download. Default 1.5 (as serving). */
  memoryFactor?: number;
  timeoutMs?: number;
  signal: AbortSignal;
  software: string;
  /** The plugins a parameters manifest requires that this node does not run (issue 21), each as a sentence. */
  missingPlugins?: (plugins: GovernedPlugins) => string[];
  /** The governed cap on a generation model's GPU layers, as serving loads under it (undefined: none). */
  gpuLayerCap?: number;
};

/** A refusal or failure before or while running: the report's `reason`. */
class Verdict extends Error {
  readonly verdict: "Failed" | "Refused";
  readonly code: string;
  constructor(verdict: "Failed" | "Refused", code: string, message: string) {
    super(message);
    this.verdict = verdict;
    this.code = code;
  }
}

export async function evaluateProposal(p: EvaluateProposalParameters): Promise<DryRunReport> {
  const startedAt = new Date().toISOString();
  const { adoption, suite, memoryBudgetBytes } = p;
  let name: string | undefined;
  let modelBytes: number | undefined;
  // One field order for every report, so that reports of different nodes read alike.
  const report = (r: Pick<DryRunReport, "verdict"> & Partial<Pick<DryRunReport, "reason" | "figures" | "answers" | "suite">>): DryRunReport => ({
    schema: DRY_RUN_REPORT_SCHEMA,
    proposalId: adoption.proposalId.toString(),
    chainId: p.chainId,
    node: p.node,
    proposal: { role: adoption.role, cid: adoption.cid, digest: adoption.digest, ...(name ? { name } : {}) },
    verdict: r.verdict,
    ...(r.reason ? { reason: r.reason } : {}),
    suite: r.suite ?? { id: suite.id, prompts: suite.prompts.length, ...(suite.name ? { name: suite.name } : {}) },
    sandbox: { memoryBudgetBytes, threads: 1, ...(modelBytes !== undefined ? { modelBytes } : {}) },
    ...(r.figures ? { figures: r.figures } : {}),
    ...(r.answers ? { answers: r.answers } : {}),
    software: p.software,
    startedAt,
    finishedAt: new Date().toISOString(),
  });
  try {
    const manifest = await verifiedManifest(p);
    name = manifest.name;
    // Nothing to load: the manifest is valid, which is all a node can check before it applies.
    if (manifest.role === "evaluation") return report({ verdict: "Passed", suite: { id: suite.id, prompts: 0 } });
    if (manifest.role === "parameters") {
      // A required plugin this node lacks: applied as is, this node could not validate as voted.
      const missing = p.missingPlugins?.(manifest.parameters?.plugins ?? {}) ?? [];
      if (missing.length) return report({ verdict: "Failed", reason: { code: "plugin_missing", message: missing.join("; ") }, suite: { id: suite.id, prompts: 0 } });
      return report({ verdict: "Passed", suite: { id: suite.id, prompts: 0 } });
    }
    modelBytes = manifest.model.artifacts.reduce((sum, a) => sum + a.size, 0);
    const needed = Math.ceil(modelBytes * (p.memoryFactor ?? 1.5));
    if (needed > memoryBudgetBytes) {
      throw new Verdict("Refused", "over_memory_budget", `the model needs about ${mib(needed)} MiB (${mib(modelBytes)} MiB of files x ${p.memoryFactor ?? 1.5}), the dry-run budget is ${mib(memoryBudgetBytes)} MiB`);
    }
    const folder = await pulledArtifacts(p, manifest);
    // A moderation classifier or an image encoder is verified and fetched, not yet run by the sandbox
    // (its suite would be labelled texts or captioned images): the report says so with no prompts
    // rather than inventing figures.
    if (manifest.role === "moderation" || manifest.role === "vision") return report({ verdict: "Passed", suite: { id: suite.id, prompts: 0 } });
    const { figures, answers } = await evaluateInSandbox(p, manifest, folder);
    if (figures.passRate >= suite.passRate) return report({ verdict: "Passed", figures, answers });
    const failed = [...new Set(answers.flatMap((a) => (a.checks ?? []).filter((c) => !c.ok).map((c) => c.check)))];
    const reason = { code: "suite_failed", message: `${answers.filter((a) => !a.ok).length} of ${answers.length} answers failed the suite's checks${failed.length ? ` (${failed.join(", ")})` : ""}` };
    return report({ verdict: "Failed", reason, figures, answers });
  } catch (error) {
    if (p.signal.aborted) throw error;
    const v = error instanceof Verdict ? error : new Verdict("Failed", "internal", (error as Error).message);
    return report({ verdict: v.verdict, reason: { code: v.code, message: v.message } });
  }
}

async function verifiedManifest(p: EvaluateProposalParameters): Promise<Manifest> {
  let bytes: Uint8Array;
  try {
    bytes = await p.fetchManifest(p.adoption.cid, { signal: p.signal });
  } catch (error) {
    if (p.signal.aborted) throw error;
    throw new Verdict("Refused", "manifest_unreachable", `could not fetch manifest ${p.adoption.cid}: ${(error as Error).message}`);
  }
  const digest = manifestDigest(bytes);
  if (digest !== p.adoption.digest.toLowerCase()) throw new Verdict("Refused", "digest_mismatch", `manifest bytes hash to ${digest}, the proposal says ${p.adoption.digest}`);
  let manifest: Manifest;
  try {
    manifest = p.parseManifest(bytes);
  } catch (error) {
    throw new Verdict("Refused", "manifest_invalid", (error as Error).message);
  }
  if (manifest.role !== p.adoption.role) throw new Verdict("Refused", "role_mismatch", `manifest is for role ${manifest.role}, proposed for ${p.adoption.role}`);
  return manifest;
}

async function pulledArtifacts(p: EvaluateProposalParameters, manifest: ModelManifest): Promise<string> {
  try {
    await p.store.pull(manifest, { fetchers: p.fetchers, signal: p.signal, manifestDigest: p.adoption.digest });
  } catch (error) {
    if (p.signal.aborted) throw error;
    if (error instanceof PullError) {
      const bad = error.attempts.some((a) => a.kind === "digest" || a.kind === "oversize");
      throw new Verdict("Refused", bad ? "artifact_mismatch" : "source_unreachable", error.message);
    }
    throw error;
  }
  return p.store.materialize(manifest);
}

async function evaluateInSandbox(p: EvaluateProposalParameters, manifest: Exclude<ModelManifest, { role: "moderation" | "vision" }>, folder: string) {
  const { suite } = p;
  const prompts = suite.prompts.map(({ prompt, json }) => ({ prompt, ...(json ? { json } : {}) }));
  const [first, ...rest] = manifest.model.artifacts;
  const job: SandboxJob =
    manifest.role === "generation"
      ? { role: "generation", modelPath: path.join(folder, first!.path), name: manifest.name, threads: 1, contextSize: 512, prompts, maxTokens: suite.maxTokens, ...(p.gpuLayerCap !== undefined ? { gpuLayerCap: p.gpuLayerCap } : {}) }
      : {
          role: "embedding",
          model: path.join(folder, first!.path),
          ...withTokenizer(folder, rest),
          name: manifest.name,
          dimensions: manifest.model.dimensions,
          prompts,
        };
  const outcome = await runSandbox({ job, memoryBudgetBytes: p.memoryBudgetBytes, timeoutMs: p.timeoutMs ?? 120_000, signal: p.signal });
  p.signal.throwIfAborted();
  if (outcome.kind === "over_budget") throw new Verdict("Refused", "over_memory_budget", `the sandbox went over its memory budget of ${mib(p.memoryBudgetBytes)} MiB (${mib(outcome.peakRssBytes)} MiB resident) and was stopped`);
  if (outcome.kind === "timeout") throw new Verdict("Failed", "timeout", `the evaluation did not finish within ${Math.round((p.timeoutMs ?? 120_000) / 1000)} s`);
  if (outcome.kind === "crashed") throw new Verdict("Failed", "sandbox_crashed", `the sandbox process ended (${outcome.exit})`);
  const r = outcome.result;
  if (!r.ok) throw new Verdict("Failed", r.stage === "load" ? "load_failed" : "evaluation_failed", r.message);
  // The suite's checks, decided here (suite.ts) on what the sandbox measured.
  const declared = manifest.role === "embedding" ? manifest.model.dimensions : undefined;
  const answers: DryRunAnswer[] = r.answers.map(({ dimensions, unit, ...a }, i) => {
    const checks = checkAnswer(suite.prompts[i]!, { text: a.text, ms: a.ms, completed: a.ok, ...(dimensions !== undefined ? { dimensions, unit: unit === true } : {}) }, suite, declared);
    return { ...a, ok: checks.every((c) => c.ok), checks };
  });
  const passRate = answers.length ? answers.filter((a) => a.ok).length / answers.length : 0;
  const figures: DryRunFigures = { loadMs: r.loadMs, peakRssBytes: outcome.peakRssBytes, passRate };
  if (manifest.role === "generation") {
    const tokens = answers.reduce((s, a) => s + a.tokens, 0);
    const ms = answers.reduce((s, a) => s + a.ms - (a.firstTokenMs ?? 0), 0);
    figures.tokensPerSecond = ms > 0 ? Math.round((tokens / (ms / 1000)) * 10) / 10 : 0;
    const ttfts = answers.map((a) => a.firstTokenMs).filter((x): x is number => x !== null);
    if (ttfts.length) figures.firstTokenMs = median(ttfts);
  } else {
    if (r.dimensions !== undefined) figures.dimensions = r.dimensions;
    if (r.embedMs !== undefined) figures.embedMs = r.embedMs;
  }
  return { figures, answers };
}

function withTokenizer(folder: string, rest: ModelManifest["model"]["artifacts"]): { tokenizer?: string } {
  const tokenizer = rest.find((a) => /(^|\/)(vocab\.txt|tokenizer\.json)$/.test(a.path));
  return tokenizer ? { tokenizer: path.join(folder, tokenizer.path) } : {};
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function mib(bytes: number): number {
  return Math.ceil(bytes / 1024 ** 2);
}

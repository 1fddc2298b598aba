/**
 * The canary swap of adopted generation models (issue 16), wired to what the node tells about it:
 * each step is logged and audited, and the outcome is reported on chain (NodeReports) when the node
 * follows one. `trial` is what the applier's load of a generation model runs, when the governed
 * parameters ask for a canary and a model serves to compare with.
 */
import type { CanaryRun } from "@ns-llm/contracts";
import type { Registry } from "prom-client";
import type { AuditLog } from "../audit/index.ts";
import type { AdoptionReporter } from "../dry-run/index.ts";
import type { GenerationEngine, LoadedManifest, ModelSlot } from "../inference/index.ts";
import { Canary, canarySettings, type GovernedState } from "../serving/index.ts";

export type CanaryWiringParameters = {
  registry: Registry;
  audit: Pick<AuditLog, "append">;
  /** Absent without a chain: outcomes are then logged and audited only. */
  reporter: AdoptionReporter | undefined;
  governed: Pick<GovernedState, "parameters">;
  generation: Pick<ModelSlot<GenerationEngine>, "manifest">;
  log: (line: string) => void;
};

export function createCanaryWiring(p: CanaryWiringParameters) {
  const { audit, reporter, log } = p;
  const canary = new Canary<GenerationEngine>({
    registry: p.registry,
    onStart: (run) => {
      log(`canary: ${run.name} v${run.version} gets ${run.settings.share * 100}% of generation requests for ${run.settings.durationSec} s or ${run.settings.minRequests} requests`);
      void audit.append(canaryEntry("canary-started", run)).catch(() => {});
    },
    onEnd: (run) => {
      log(`canary: ${run.name} v${run.version} ${run.state.replace("_", " ")}${run.reasons.length ? `: ${run.reasons.join("; ")}` : ""}`);
      void audit.append(canaryEntry(`canary-${run.state.replace("_", "-")}`, run)).catch(() => {});
      if (!reporter || run.state === "abandoned" || run.version === null || !run.cid || !run.digest) return;
      reporter
        .report({ role: run.role, version: run.version, cid: run.cid, digest: run.digest, name: run.name }, run)
        .then((published) => {
          run.report = { cid: published.cid, digest: published.digest, txHash: published.txHash, gasUsed: published.gasUsed.toString() };
          log(`canary: adoption report ${published.cid} (${published.bytes} bytes, ${published.report.verdict}) recorded in ${published.txHash}, gas ${published.gasUsed}`);
          void audit.append({ type: "governance", step: "canary-reported", role: run.role, version: run.version, cid: run.cid, verdict: published.report.verdict, report: run.report }).catch(() => {});
        })
        .catch((error: Error) => {
          run.report = { error: error.message.split("\n")[0]! };
          log(`canary: adoption report not recorded: ${run.report.error}`);
        });
    },
  });
  /** The canary of an adoption being applied, when the governed parameters ask for one and a model serves to compare with. */
  const trial = (manifest: LoadedManifest, control: { offline: boolean; signal: AbortSignal }) => {
    const settings = control.offline ? undefined : canarySettings(p.governed.parameters.canary);
    const current = p.generation.manifest;
    if (!settings || !current) return {};
    return { trial: (engine: GenerationEngine) => canary.run(engine, manifest, { model: current.name, manifest: current.cid ?? null }, settings, control.signal) };
  };
  return { canary, trial };
}

/** A canary step as an audit entry: `governance` with the step, the adoption and both models' figures. */
function canaryEntry(step: string, run: CanaryRun): { type: "governance"; step: string; [key: string]: unknown } {
  const { report: _report, ...rest } = run;
  return { type: "governance", step, ...rest };
}

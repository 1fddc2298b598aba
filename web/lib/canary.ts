/**
 * A node's last canary swap (`/health`'s `canary.generation`, issue 16) in words for the node page:
 * what was tried, how it ended, both models' figures side by side, and why it was rolled back.
 */
import type { CanaryArm, CanaryRun } from "@ns-llm/contracts";

export type CanaryLines = { state: CanaryRun["state"]; title: string; candidate: string; current: string; reasons: string[] };

const STATES: Record<CanaryRun["state"], string> = { running: "running", completed: "swap completed", rolled_back: "rolled back", abandoned: "abandoned" };

function arm(a: CanaryArm): string {
  const p50 = a.p50Ms === null ? "no answer timed" : `median ${a.p50Ms} ms`;
  return `${a.model}: ${a.requests} requests, ${a.errors} errors (${Math.round(a.errorRate * 100)} %), ${a.refusals} refused (${Math.round(a.refusalRate * 100)} %), ${p50}`;
}

export function describeCanary(run: CanaryRun): CanaryLines {
  const s = run.settings;
  return {
    state: run.state,
    title: `${run.name}${run.version !== null ? ` v${run.version}` : ""}: ${STATES[run.state]} (${Math.round(s.share * 100)} % of requests for ${s.durationSec} s or ${s.minRequests} requests; ${run.retried} answered again by the current model)`,
    candidate: `new ${arm(run.candidate)}`,
    current: `current ${arm(run.current)}`,
    reasons: run.reasons,
  };
}

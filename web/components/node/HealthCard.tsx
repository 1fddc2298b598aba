"use client";
import type { UseQueryResult } from "@tanstack/react-query";
import type { CanaryRun, HealthReport, RoleHealth } from "@ns-llm/contracts";
import { describeCanary } from "@/lib/canary.ts";
import { governanceOff, operatorFromHealth } from "@/lib/node-http.ts";
import { useApp } from "@/lib/app-context.tsx";
import { Badge } from "../ui/Badge.tsx";
import { Card } from "../ui/Card.tsx";
import { Hex } from "../ui/Hex.tsx";
import { NodeProblem } from "./NodeProblem.tsx";

/** GET /health for a person: ok or degraded and why, then each part of the node. */
export function HealthCard({ health }: { health: UseQueryResult<HealthReport> }) {
  const { nodeUrl } = useApp();
  const h = health.data;
  const operator = operatorFromHealth(h);
  return (
    <Card
      title="Node health"
      actions={h && <Badge tone={h.status === "ok" ? "good" : "warn"} testId="health-status">{h.status}</Badge>}
      testId="node-health"
    >
      <NodeProblem query={health} />
      {health.isPending && !health.failureReason && <p className="empty">Asking {nodeUrl}/health…</p>}
      {h && (
        <div className="stack">
          {h.reasons && h.reasons.length > 0 && (
            <ul className="reasons" data-testid="health-reasons">
              {h.reasons.map((r) => <li key={r}>{r}</li>)}
            </ul>
          )}
          <dl className="kv">
            <dt>Node</dt>
            <dd><code>{nodeUrl}</code></dd>
            <dt>Generation</dt>
            <ModelRole role={h.generation} testId="health-generation" />
            <dt>Embedding</dt>
            <ModelRole role={h.embedding} testId="health-embedding" />
            {h.scheduler && (
              <>
                <dt>Scheduler</dt>
                <dd>{h.scheduler.active} running of {h.scheduler.limit}, {h.scheduler.queued} waiting (queue holds {h.scheduler.maxQueue})</dd>
              </>
            )}
            <dt>Governance</dt>
            <dd>
              {governanceOff(h.governance) ? (
                <span className="muted">{h.governance.reason}</span>
              ) : (
                <>
                  chain {h.governance.chainId ?? "?"}, synced to block {h.governance.syncedBlock ?? "—"}, {h.governance.lag ?? "?"} blocks behind
                </>
              )}
            </dd>
            {h.canary?.generation && (
              <>
                <dt>Canary</dt>
                <CanaryLine run={h.canary.generation} />
              </>
            )}
            <dt>IPFS</dt>
            <dd>{h.ipfs?.mode ?? "—"}</dd>
            <dt>Audit log</dt>
            <dd data-testid="health-audit">
              {h.audit.entries === null ? (
                <span className="muted">disabled</span>
              ) : (
                <>
                  {h.audit.entries ?? 0} entries, anchored through {h.audit.anchoredThrough ?? "—"}
                  {h.audit.anchoring && <>, anchoring {h.audit.anchoring}{h.audit.disabledReason ? ` (${h.audit.disabledReason})` : ""}</>}
                  {operator && <div className="small">operator <Hex value={operator} /></div>}
                  {h.audit.lastError && <div className="small muted">last error: {h.audit.lastError}</div>}
                </>
              )}
            </dd>
          </dl>
        </div>
      )}
    </Card>
  );
}

/** One model role of /health: loaded or not, which model, from which manifest, and why not. */
function ModelRole({ role, testId }: { role: RoleHealth; testId: string }) {
  return (
    <dd data-testid={testId}>
      {role.ready ? <Badge tone="good">ready</Badge> : <Badge tone="bad">not loaded</Badge>} {role.model ?? "—"}
      {role.manifest && <> · <Hex value={role.manifest} /></>}
      {role.error && <div className="small muted">{role.error}</div>}
    </dd>
  );
}

const CANARY_TONE = { running: "warn", completed: "good", rolled_back: "bad", abandoned: "neutral" } as const;

/** The last canary swap: how it ended, both models' figures, why it was rolled back, its on-chain report. */
function CanaryLine({ run }: { run: CanaryRun }) {
  const d = describeCanary(run);
  return (
    <dd data-testid="health-canary" data-state={run.state}>
      <Badge tone={CANARY_TONE[run.state]}>{run.state.replace("_", " ")}</Badge> {d.title}
      <div className="small">{d.candidate}</div>
      <div className="small">{d.current}</div>
      {d.reasons.map((r) => <div key={r} className="small muted">{r}</div>)}
      {run.report && "cid" in run.report && <div className="small">reported on chain: <code>{run.report.cid}</code> (tx <Hex value={run.report.txHash} />)</div>}
      {run.report && "error" in run.report && <div className="small muted">not reported on chain: {run.report.error}</div>}
    </dd>
  );
}

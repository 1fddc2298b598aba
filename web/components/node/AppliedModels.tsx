"use client";
import type { UseQueryResult } from "@tanstack/react-query";
import { isAddressEqual, type Address } from "viem";
import { isRoleError, ROLES, type Role } from "@ns-llm/contracts";
import { useApp, useDeployment } from "@/lib/app-context.tsx";
import type { RegistryEntry } from "@/lib/chain-reads.ts";
import { describeError } from "@/lib/errors.ts";
import { formatTimestamp } from "@/lib/format.ts";
import { compareRole, LAG_WARN_BLOCKS, type RoleComparison } from "@/lib/applied-vs-registry.ts";
import { governanceOff, type GovernanceResponse, type HealthReport } from "@/lib/node-http.ts";
import { useRegistry } from "@/lib/queries.ts";
import { Badge, type Tone } from "../ui/Badge.tsx";
import { Card } from "../ui/Card.tsx";
import { Hex } from "../ui/Hex.tsx";
import { Notice } from "../ui/Notice.tsx";
import { NodeProblem } from "./NodeProblem.tsx";

const STATUS: Record<RoleComparison["status"], { tone: Tone; label: string }> = {
  "in-sync": { tone: "good", label: "in sync" },
  "nothing-adopted": { tone: "neutral", label: "nothing adopted" },
  "not-applied": { tone: "warn", label: "not applied yet" },
  behind: { tone: "warn", label: "behind the chain" },
  differs: { tone: "bad", label: "differs from chain" },
  ahead: { tone: "bad", label: "not on this chain" },
};

/** What the node applied for each role next to what ModelRegistry holds, with a warning on any difference. */
export function AppliedModels({ governance, health }: { governance: UseQueryResult<GovernanceResponse>; health: UseQueryResult<HealthReport> }) {
  const { config } = useApp();
  const deployment = useDeployment();
  const registry = useRegistry();
  const g = governance.data;
  const h = health.data;
  const rows = ROLES.map((role) => ({ role, ...compareRole(g?.applied[role], registry.data?.find((r) => r.role === role)) }));
  const problems: string[] = [];
  const offReason = g?.enabled === false ? g.reason : h && governanceOff(h.governance) ? h.governance.reason : undefined;
  if (offReason !== undefined) problems.push(`The node does not follow the chain (${offReason}): it serves what it was started with, whatever the registry says.`);
  if (g?.chainId !== null && g?.chainId !== undefined && g.chainId !== config.chainId) problems.push(`The node follows chain ${g.chainId}; this page reads chain ${config.chainId}.`);
  if (g?.registry && !sameAddress(g.registry, deployment.contracts.ModelRegistry.address)) problems.push(`The node follows the registry at ${g.registry}; this page reads ${deployment.contracts.ModelRegistry.address}.`);
  const lag = typeof g?.lag === "number" ? g.lag : h && !governanceOff(h.governance) && typeof h.governance.lag === "number" ? h.governance.lag : undefined;
  if (lag !== undefined && lag >= LAG_WARN_BLOCKS) problems.push(`The node's follower is ${lag} blocks behind the chain.`);
  for (const row of rows) {
    if (row.status === "differs" || row.status === "behind" || row.status === "not-applied" || row.status === "ahead") problems.push(`${row.role}: ${row.detail}`);
  }
  const last = g?.lastError;
  if (last) problems.push(`Last failure${isRoleError(last) ? ` (${last.role} v${last.version})` : ""}: ${last.message}${isRoleError(last) && last.retrying ? " — retrying" : ""}`);

  return (
    <Card title="Models and parameters: node vs chain" testId="applied-models">
      <NodeProblem query={governance} what="the node's governance state" />
      {registry.error && <Notice tone="bad">Cannot read ModelRegistry: {describeError(registry.error)}</Notice>}
      {g && problems.length > 0 && (
        <Notice tone="warn" testId="sync-warning">
          <ul>{problems.map((p) => <li key={p}>{p}</li>)}</ul>
        </Notice>
      )}
      <table className="table">
        <thead>
          <tr>
            <th>Role</th>
            <th>Node applied</th>
            <th>Chain registry</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.role} data-testid={`applied-${row.role}`} data-status={row.status}>
              <td><strong>{row.role}</strong></td>
              <td>
                <Applied role={row.role} governance={g} health={h} />
              </td>
              <td>
                <Registered entry={registry.data?.find((r) => r.role === row.role)} />
              </td>
              <td>
                {g && registry.data ? <Badge tone={STATUS[row.status].tone}>{STATUS[row.status].label}</Badge> : <span className="muted">…</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function Applied({ role, governance, health }: { role: Role; governance: GovernanceResponse | undefined; health: HealthReport | undefined }) {
  const applied = governance?.applied[role];
  if (applied) {
    return (
      <div className="stack" style={{ gap: "0.15rem" }}>
        <span>
          <strong>v{applied.version}</strong> {applied.model}
        </span>
        <Hex value={applied.cid} testId={`applied-cid-${role}`} />
        <span className="small muted">applied {new Date(applied.appliedAt).toLocaleString()}</span>
      </div>
    );
  }
  // Nothing applied from the chain: the node serves what it was started with (the demo models).
  const loaded = role === "generation" ? health?.generation : role === "embedding" ? health?.embedding : undefined;
  if (loaded?.model) {
    return (
      <div className="stack" style={{ gap: "0.15rem" }}>
        <span>{loaded.model}</span>
        {loaded.manifest ? <Hex value={loaded.manifest} /> : <span className="small muted">local model, no manifest</span>}
        <span className="small muted">loaded at start, not from the chain</span>
      </div>
    );
  }
  return <span className="muted">{governance ? "nothing applied" : "…"}</span>;
}

function Registered({ entry }: { entry: RegistryEntry | undefined }) {
  if (!entry) return <span className="muted">…</span>;
  if (entry.version === 0n) return <span className="muted">nothing adopted</span>;
  return (
    <div className="stack" style={{ gap: "0.15rem" }}>
      <strong>v{String(entry.version)}</strong>
      <Hex value={entry.cid} />
      <span className="small muted">adopted {formatTimestamp(entry.adoptedAt)}</span>
    </div>
  );
}

function sameAddress(a: string, b: Address): boolean {
  try {
    return isAddressEqual(a as Address, b);
  } catch {
    return false;
  }
}

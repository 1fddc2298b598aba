"use client";
import { useNodeGovernance, useNodeHealth } from "@/lib/node-queries.ts";
import { AppliedModels } from "./AppliedModels.tsx";
import { GovernanceStats } from "./GovernanceStats.tsx";
import { HealthCard } from "./HealthCard.tsx";
import { LiveMetrics } from "./LiveMetrics.tsx";
import { PluginPanels } from "./PluginPanels.tsx";

/** /node: the node's health, what it applied against the chain, its live metrics, and governance figures. */
export function NodeDashboard() {
  const health = useNodeHealth();
  const governance = useNodeGovernance();
  return (
    <>
      <h1>Node dashboard</h1>
      <HealthCard health={health} />
      <AppliedModels governance={governance} health={health} />
      <LiveMetrics />
      <PluginPanels />
      <GovernanceStats />
    </>
  );
}

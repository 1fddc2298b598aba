"use client";
import Link from "next/link";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import type { PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { useDeployment } from "@/lib/app-context.tsx";
import { describeError } from "@/lib/errors.ts";
import { formatPercent, formatTokens } from "@/lib/format.ts";
import { getGovernanceStats } from "@/lib/governance-stats.ts";
import { useProposals } from "@/lib/queries.ts";
import { Card } from "../ui/Card.tsx";
import { Notice } from "../ui/Notice.tsx";

/** The chain's side: proposals by state, participation, quorum and delegated voting power. */
export function GovernanceStats() {
  const client = usePublicClient() as PublicClient | undefined;
  const deployment = useDeployment();
  const proposals = useProposals();
  const stats = useQuery({
    queryKey: ["chain", "governance-stats", deployment.contracts.NSGovernor.address, proposals.dataUpdatedAt],
    queryFn: () => getGovernanceStats(client!, deployment, proposals.data ?? []),
    enabled: Boolean(client && proposals.data),
    placeholderData: keepPreviousData,
  });
  const s = stats.data;
  const error = proposals.error ?? stats.error;
  const recent = s?.participation.slice(0, 6) ?? [];
  return (
    <Card title="Governance on chain" testId="governance-stats">
      {error && <Notice tone="bad">{describeError(error)}</Notice>}
      {!s && !error && <p className="empty">Reading the governor…</p>}
      {s && (
        <div className="stack">
          <div className="figures">
            <div className="figure" data-testid="stat-proposals">
              <span className="figure-value">{s.participation.length}</span>
              <span className="figure-label">proposals</span>
            </div>
            <div className="figure" data-testid="stat-delegated">
              <span className="figure-value">{formatPercent(s.delegatedVotes, s.totalSupply)}</span>
              <span className="figure-label">of supply delegated ({formatTokens(s.delegatedVotes)} of {formatTokens(s.totalSupply)}, {s.delegates} delegates)</span>
            </div>
            <div className="figure" data-testid="stat-quorum">
              <span className="figure-value">{formatTokens(s.quorumNow)}</span>
              <span className="figure-label">quorum now ({String(s.quorumNumerator)}/{String(s.quorumDenominator)} of the supply at the snapshot)</span>
            </div>
          </div>
          <div className="grid-2">
            <div className="metric-chart" data-testid="chart-proposal-states">
              <h3>Proposals by state</h3>
              <BarChart responsive style={{ width: "100%", height: 170 }} data={s.byState} margin={{ top: 6, right: 8, bottom: 0, left: -20 }}>
                <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="state" stroke="var(--muted)" fontSize={10} interval={0} angle={-20} textAnchor="end" height={36} />
                <YAxis stroke="var(--muted)" fontSize={11} allowDecimals={false} width={40} />
                <Tooltip contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6, fontSize: 12 }} cursor={{ fill: "var(--surface-2)" }} />
                <Bar dataKey="count" name="proposals" fill="var(--accent)" isAnimationActive={false} />
              </BarChart>
            </div>
            <div>
              <h3>Participation (latest proposals)</h3>
              {recent.length === 0 ? (
                <p className="empty">No proposals yet.</p>
              ) : (
                <table className="table" data-testid="participation">
                  <thead>
                    <tr>
                      <th>#</th>
                      <th>State</th>
                      <th className="num">Turnout</th>
                      <th className="num">Quorum</th>
                    </tr>
                  </thead>
                  <tbody>
                    {recent.map((p) => (
                      <tr key={String(p.id)}>
                        <td><Link href={`/proposals/${p.id}`}>{p.index + 1}</Link></td>
                        <td>{p.state}</td>
                        <td className="num">{p.supply === undefined ? "—" : formatPercent(p.cast, p.supply)}</td>
                        <td className="num">{p.quorum === undefined ? "—" : formatTokens(p.quorum)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
        </div>
      )}
    </Card>
  );
}

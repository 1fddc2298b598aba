"use client";
import Link from "next/link";
import { useState } from "react";
import type { Proposal } from "@/lib/chain-reads.ts";
import { describeError } from "@/lib/errors.ts";
import { formatTokens } from "@/lib/format.ts";
import { PROPOSAL_STATES, type ProposalState } from "@ns-llm/contracts";
import { adoptionOf, descriptionTitle } from "@/lib/governance.ts";
import { manifestProblem } from "@/lib/manifest-problem.ts";
import { useChainTime, useDescriptions, useManifest, useProposals } from "@/lib/queries.ts";
import { QuorumBadge, StateBadge, timeNote } from "./proposal-bits.tsx";
import { Badge } from "./ui/Badge.tsx";
import { Button } from "./ui/Button.tsx";
import { Card } from "./ui/Card.tsx";
import { Notice } from "./ui/Notice.tsx";
import { documentName } from "@/lib/manifest.ts";

type Filter = "All" | ProposalState;

/** Every proposal on the governor, newest first, filtered by state. */
export function ProposalList() {
  const proposals = useProposals();
  const descriptions = useDescriptions();
  const { data: time } = useChainTime();
  const [filter, setFilter] = useState<Filter>("All");

  const all = proposals.data ?? [];
  const counts = new Map<ProposalState, number>();
  for (const p of all) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const shown = filter === "All" ? all : all.filter((p) => p.state === filter);

  return (
    <Card title="Proposals" actions={<Link href="/propose" className="button primary small">New proposal</Link>} testId="proposals">
      <div className="tabs" role="group" aria-label="Filter by state">
        <Button size="small" selected={filter === "All"} onClick={() => setFilter("All")}>
          All ({all.length})
        </Button>
        {PROPOSAL_STATES.filter((s) => counts.has(s) || s === "Active").map((state) => (
          <Button key={state} size="small" selected={filter === state} onClick={() => setFilter(state)} data-testid={`filter-${state}`}>
            {state} ({counts.get(state) ?? 0})
          </Button>
        ))}
      </div>
      {proposals.error && <Notice tone="bad">{describeError(proposals.error)}</Notice>}
      {proposals.isPending && <p className="empty">Loading proposals…</p>}
      {proposals.data && shown.length === 0 && (
        <p className="empty">{all.length === 0 ? "No proposals yet. Propose a model or a parameter change." : `No ${filter.toLowerCase()} proposals.`}</p>
      )}
      <div>
        {shown.map((proposal) => (
          <ProposalRow key={String(proposal.id)} proposal={proposal} description={descriptions.data?.get(String(proposal.id))} now={time?.timestamp} />
        ))}
      </div>
    </Card>
  );
}

function ProposalRow({ proposal, description, now }: { proposal: Proposal; description: string | undefined; now: bigint | undefined }) {
  const adoption = adoptionOf(proposal.actions);
  const manifest = useManifest(adoption?.cid, adoption?.digest);
  const title = description ? descriptionTitle(description) : adoption ? `Adopt ${documentName(manifest.data) ?? adoption.cid} for ${adoption.role ?? "an unknown role"}` : `Proposal #${proposal.index + 1}`;
  return (
    <div className="proposal-row" data-testid="proposal-row" data-state={proposal.state}>
      <div className="stack" style={{ gap: "0.3rem" }}>
        <Link href={`/proposals/${proposal.id}`} className="title">
          {title}
        </Link>
        <div className="meta">
          {adoption && <span>role <strong>{adoption.role ?? "unknown"}</strong></span>}
          {adoption && <span>manifest <strong>{documentName(manifest.data) ?? manifestProblem(manifest.error)}</strong></span>}
          <span>
            For {formatTokens(proposal.votes.for, "")}· Against {formatTokens(proposal.votes.against, "")}· Abstain {formatTokens(proposal.votes.abstain)}
          </span>
        </div>
      </div>
      <div className="stack" style={{ gap: "0.3rem", alignItems: "flex-end" }}>
        <div className="row">
          {adoption?.role && <Badge tone="neutral">{adoption.role}</Badge>}
          <StateBadge state={proposal.state} />
        </div>
        <QuorumBadge proposal={proposal} />
        <span className="small muted" data-testid="time-note">{timeNote(proposal, now)}</span>
      </div>
    </div>
  );
}

"use client";
/** Small pieces shared by the proposals list and the proposal page. */
import type { Proposal } from "@/lib/chain-reads.ts";
import { quorumReached } from "@/lib/chain-reads.ts";
import { formatDuration, formatPercent, formatTimestamp, formatTokens } from "@/lib/format.ts";
import type { ProposalState } from "@ns-llm/contracts";
import { Badge, type Tone } from "./ui/Badge.tsx";

const STATE_TONES: Record<ProposalState, Tone> = {
  Pending: "info",
  Active: "accent",
  Canceled: "neutral",
  Defeated: "bad",
  Succeeded: "good",
  Queued: "warn",
  Expired: "neutral",
  Executed: "good",
};

export function StateBadge({ state }: { state: ProposalState }) {
  return <Badge tone={STATE_TONES[state]} testId="proposal-state">{state}</Badge>;
}

export function QuorumBadge({ proposal }: { proposal: Proposal }) {
  const reached = quorumReached(proposal);
  if (reached === undefined) return <Badge tone="neutral">quorum at snapshot</Badge>;
  return (
    <Badge tone={reached ? "good" : "warn"} testId="quorum">
      {reached ? "quorum reached" : "no quorum"}
    </Badge>
  );
}

/** What happens next and when, measured on the chain's clock (the latest block's timestamp). */
export function timeNote(proposal: Proposal, now: bigint | undefined): string {
  const left = (t: bigint) => (now === undefined ? formatTimestamp(t) : `in ${formatDuration(Number(t - now))}`);
  switch (proposal.state) {
    case "Pending":
      return `voting opens ${left(proposal.snapshot)}`;
    case "Active":
      return `voting ends ${left(proposal.deadline)}`;
    case "Succeeded":
      return "passed, ready to queue";
    case "Queued":
      return now !== undefined && now >= proposal.eta ? "ready to execute" : `executable ${left(proposal.eta)}`;
    case "Executed":
      return "executed";
    case "Defeated":
      return `defeated at ${formatTimestamp(proposal.deadline)}`;
    case "Expired":
      return "expired in the timelock";
    case "Canceled":
      return "canceled";
  }
}

export function VotesBar({ proposal }: { proposal: Proposal }) {
  const { for: yes, against, abstain } = proposal.votes;
  const total = yes + against + abstain;
  const width = (part: bigint) => (total === 0n ? "0%" : `${Number((part * 10_000n) / total) / 100}%`);
  return (
    <div>
      <div className="votes-bar" aria-hidden="true">
        <div className="for" style={{ width: width(yes) }} />
        <div className="against" style={{ width: width(against) }} />
        <div className="abstain" style={{ width: width(abstain) }} />
      </div>
      <div className="votes-legend">
        <span data-testid="votes-for">For {formatTokens(yes)}</span>
        <span data-testid="votes-against">Against {formatTokens(against)}</span>
        <span data-testid="votes-abstain">Abstain {formatTokens(abstain)}</span>
        {proposal.quorum !== undefined && (
          <span>
            Quorum {formatTokens(proposal.quorum)} (For + Abstain at {formatPercent(yes + abstain, proposal.quorum === 0n ? 1n : proposal.quorum)} of it)
          </span>
        )}
      </div>
    </div>
  );
}

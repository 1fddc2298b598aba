"use client";
import { useState } from "react";
import { nsGovernorAbi, SUPPORT, type Support } from "@ns-llm/contracts";
import { useDeployment } from "@/lib/app-context.tsx";
import type { Proposal } from "@/lib/chain-reads.ts";
import { formatTimestamp, formatTokens } from "@/lib/format.ts";
import { useAccountState, useVoterState } from "@/lib/queries.ts";
import { contractCall, useTransaction } from "@/lib/use-transaction.ts";
import { useWallet } from "@/lib/use-wallet.ts";
import { Button } from "./ui/Button.tsx";
import { Card } from "./ui/Card.tsx";
import { Notice } from "./ui/Notice.tsx";
import { TxStatus } from "./ui/TxStatus.tsx";

/** For, Against or Abstain with a reason; voting power now and at the proposal's snapshot. */
/** `blocked`: why voting is disabled on this page (the manifest shown is not the proposal's). */
export function VotePanel({ proposal, blocked }: { proposal: Proposal; blocked?: string | undefined }) {
  const deployment = useDeployment();
  const wallet = useWallet();
  const address = wallet.status === "ready" ? wallet.address : undefined;
  const account = useAccountState(address);
  const voter = useVoterState(proposal, address);
  const tx = useTransaction();
  const [support, setSupport] = useState<Support>("For");
  const [reason, setReason] = useState("");

  const weight = voter.data?.weight;
  const canVote = !blocked && proposal.state === "Active" && address && voter.data && !voter.data.hasVoted && (weight ?? 0n) > 0n;

  return (
    <Card title="Vote" testId="vote-panel">
      <div className="stack">
        {!address && <p className="muted">Connect a wallet on this chain to vote.</p>}
        {address && (
          <dl className="kv">
            <dt>Voting power now</dt>
            <dd data-testid="power-now">{account.data ? formatTokens(account.data.votes) : "…"}</dd>
            <dt>At the snapshot</dt>
            <dd data-testid="power-snapshot">
              {weight !== undefined ? formatTokens(weight) : `counted at ${formatTimestamp(proposal.snapshot)}`}
            </dd>
          </dl>
        )}
        {voter.data?.hasVoted && <Notice tone="good" testId="has-voted">You have voted on this proposal.</Notice>}
        {proposal.state === "Pending" && <p className="muted small">Voting opens at {formatTimestamp(proposal.snapshot)}.</p>}
        {proposal.state !== "Pending" && proposal.state !== "Active" && <p className="muted small">Voting is closed.</p>}
        {address && proposal.state === "Active" && weight === 0n && !voter.data?.hasVoted && (
          <Notice tone="warn">You had no voting power at the snapshot: tokens must be delegated before a proposal starts to count on it.</Notice>
        )}
        {blocked && proposal.state === "Active" && <Notice tone="bad" testId="vote-blocked">{blocked}</Notice>}
        {proposal.state === "Active" && address && !voter.data?.hasVoted && (
          <>
            <div className="row" role="radiogroup" aria-label="Your vote">
              {(Object.keys(SUPPORT) as Support[]).map((option) => (
                <Button key={option} selected={support === option} onClick={() => setSupport(option)} role="radio" aria-checked={support === option} data-testid={`support-${option}`}>
                  {option}
                </Button>
              ))}
            </div>
            <textarea placeholder="Reason (optional, recorded on chain)" value={reason} onChange={(e) => setReason(e.target.value)} aria-label="Reason" data-testid="vote-reason" />
            <Button
              variant="primary"
              disabled={!canVote || tx.busy}
              onClick={() =>
                tx.send(
                  `Vote ${support}`,
                  contractCall(deployment.contracts.NSGovernor.address, address!, {
                    abi: nsGovernorAbi,
                    functionName: "castVoteWithReason",
                    args: [proposal.id, SUPPORT[support], reason],
                  }),
                )
              }
              data-testid="cast-vote"
            >
              Cast vote {support}
            </Button>
          </>
        )}
        <TxStatus state={tx.state} />
      </div>
    </Card>
  );
}

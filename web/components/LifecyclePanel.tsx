"use client";
import { nsGovernorAbi } from "@ns-llm/contracts";
import { useDeployment } from "@/lib/app-context.tsx";
import type { Proposal } from "@/lib/chain-reads.ts";
import { formatDuration } from "@/lib/format.ts";
import { contractCall, useTransaction } from "@/lib/use-transaction.ts";
import { useWallet } from "@/lib/use-wallet.ts";
import { Button } from "./ui/Button.tsx";
import { Card } from "./ui/Card.tsx";
import { TxStatus } from "./ui/TxStatus.tsx";

/** Queue a passed proposal in the timelock, then execute it once the delay is over. */
export function LifecyclePanel({ proposal, now }: { proposal: Proposal; now: bigint | undefined }) {
  const deployment = useDeployment();
  const wallet = useWallet();
  const tx = useTransaction();
  const address = wallet.status === "ready" ? wallet.address : undefined;
  if (proposal.state !== "Succeeded" && proposal.state !== "Queued" && tx.state.status === "idle") return null;

  // Governor's `queue(proposalId)` and `execute(proposalId)` overloads (GovernorStorage).
  const call = (functionName: "queue" | "execute") =>
    contractCall(deployment.contracts.NSGovernor.address, address!, { abi: nsGovernorAbi, functionName, args: [proposal.id] });
  const waiting = proposal.state === "Queued" && now !== undefined && now < proposal.eta ? Number(proposal.eta - now) : 0;

  return (
    <Card title="Carry it out" testId="lifecycle">
      <div className="stack">
        {proposal.state === "Succeeded" && (
          <>
            <p className="small">The proposal passed. Queue it in the timelock; it can be executed once the delay is over.</p>
            <Button variant="primary" disabled={!address || tx.busy} onClick={() => tx.send("Queue", call("queue"))} data-testid="queue">
              Queue
            </Button>
          </>
        )}
        {proposal.state === "Queued" && (
          <>
            <p className="small">{waiting > 0 ? `In the timelock: executable in ${formatDuration(waiting)} (chain time).` : "The timelock delay is over: anyone may execute it."}</p>
            <Button variant="primary" disabled={!address || tx.busy || waiting > 0} onClick={() => tx.send("Execute", call("execute"))} data-testid="execute">
              Execute
            </Button>
          </>
        )}
        {!address && <p className="muted small">Connect a wallet on this chain to send it.</p>}
        <TxStatus state={tx.state} />
      </div>
    </Card>
  );
}

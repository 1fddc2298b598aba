"use client";
import Link from "next/link";
import { describeError } from "@/lib/errors.ts";
import { formatTimestamp, shortAddress } from "@/lib/format.ts";
import { adoptionOf, descriptionTitle } from "@/lib/governance.ts";
import { useChainTime, useDescriptions, useNodeReleaseKey, useProposal, useRegistry, useVerifiedManifest, useVerifiedRelease } from "@/lib/queries.ts";
import { ActionsList } from "./ActionsList.tsx";
import { LifecyclePanel } from "./LifecyclePanel.tsx";
import { ManifestCheck, manifestCheckStatus } from "./ManifestCheck.tsx";
import { ManifestDiff } from "./ManifestDiff.tsx";
import { ManifestView } from "./ManifestView.tsx";
import { ReleaseCheck, releaseVoteBlock } from "./ReleaseCheck.tsx";
import { ReleaseView } from "./ReleaseView.tsx";
import { QuorumBadge, StateBadge, timeNote, VotesBar } from "./proposal-bits.tsx";
import { Card } from "./ui/Card.tsx";
import { Notice } from "./ui/Notice.tsx";
import { VotePanel } from "./VotePanel.tsx";
import { DryRunReports } from "./proposal/dry-run-reports.tsx";

/** One proposal: status, votes, manifest and its difference from what runs now, actions, vote, queue, execute. */
export function ProposalView({ id }: { id: string }) {
  const proposalId = /^\d+$/.test(id) ? BigInt(id) : undefined;
  if (proposalId === undefined) return <Notice tone="bad">“{id}” is not a proposal id.</Notice>;
  return <ProposalBody id={proposalId} />;
}

function ProposalBody({ id }: { id: bigint }) {
  const { data: proposal, error } = useProposal(id);
  const descriptions = useDescriptions();
  const registry = useRegistry();
  const { data: time } = useChainTime();
  const adoption = proposal ? adoptionOf(proposal.actions) : undefined;
  // A release adopts a signed release file, not a model manifest: checked as one (lib/release.ts).
  const isRelease = adoption?.role === "release";
  const modelAdoption = isRelease ? undefined : adoption;
  const description = descriptions.data?.get(String(id));
  // Hashed in this browser and compared with the calldata's CID and digest (never the node's word).
  const verified = useVerifiedManifest(modelAdoption?.cid, modelAdoption?.digest);
  const release = useVerifiedRelease(isRelease ? adoption?.cid : undefined, adoption?.digest, description);
  const nodeKey = useNodeReleaseKey();
  const manifest = { ...verified, data: verified.data?.manifest };
  const blocked = isRelease
    ? releaseVoteBlock(release)
    : modelAdoption !== undefined && manifestCheckStatus(verified) === "mismatch"
      ? "The manifest the node returned does not match the proposal's digest (see the proposed manifest below): voting is disabled on this page."
      : undefined;

  if (error && !proposal) {
    const message = describeError(error);
    return <Notice tone="bad">{message.includes("GovernorNonexistentProposal") ? "There is no proposal with this id on this governor." : message}</Notice>;
  }
  if (!proposal) return <p className="empty">Loading the proposal…</p>;

  const adoptedName = isRelease ? (release.data ? `ns-llm-${release.data.manifest.version}` : undefined) : manifest.data?.name;
  const title = description ? descriptionTitle(description) : adoption ? `Adopt ${adoptedName ?? adoption.cid} for ${adoption.role}` : "Proposal";
  const current = modelAdoption ? registry.data?.find((entry) => entry.role === modelAdoption.role) : undefined;

  return (
    <>
      <p className="small"><Link href="/">← All proposals</Link></p>
      <Card testId="proposal-header">
        <div className="stack">
          <div className="spread">
            <h1 data-testid="proposal-title">{title}</h1>
            <StateBadge state={proposal.state} />
          </div>
          <div className="row small muted">
            <QuorumBadge proposal={proposal} />
            <span data-testid="time-note">{timeNote(proposal, time?.timestamp)}</span>
          </div>
          <VotesBar proposal={proposal} />
          <dl className="kv">
            <dt>Proposer</dt>
            <dd><code title={proposal.proposer}>{shortAddress(proposal.proposer)}</code></dd>
            <dt>Voting</dt>
            <dd>{formatTimestamp(proposal.snapshot)} → {formatTimestamp(proposal.deadline)}</dd>
            {proposal.eta > 0n && (<><dt>Executable from</dt><dd>{formatTimestamp(proposal.eta)}</dd></>)}
            <dt>Id</dt>
            <dd><code data-testid="proposal-id">{String(proposal.id)}</code></dd>
          </dl>
          {description && (
            <details>
              <summary className="small">Full description</summary>
              <pre className="mono small" style={{ whiteSpace: "pre-wrap" }}>{description}</pre>
            </details>
          )}
        </div>
      </Card>
      <LifecyclePanel proposal={proposal} now={time?.timestamp} />
      <VotePanel proposal={proposal} blocked={blocked} />
      {isRelease && adoption && (
        <Card title="Proposed release" testId="proposed-release">
          <div className="stack">
            <ReleaseCheck query={release} cid={adoption.cid} digest={adoption.digest} nodeKey={nodeKey.isPending ? undefined : nodeKey.error ? "unknown" : (nodeKey.data ?? null)} />
            {release.data && <ReleaseView manifest={release.data.manifest} signature={release.data.signature} />}
          </div>
        </Card>
      )}
      {modelAdoption && (
        <Card title="Proposed manifest" testId="proposed-manifest">
          <div className="stack">
            <ManifestCheck query={verified} cid={modelAdoption.cid} digest={modelAdoption.digest} />
            {manifest.data && <ManifestView manifest={manifest.data} />}
          </div>
        </Card>
      )}
      {modelAdoption && manifest.data && current && (
        <Card title="Compared with what runs now" testId="manifest-diff">
          <ManifestDiff proposed={manifest.data} proposedCid={modelAdoption.cid} current={current} />
        </Card>
      )}
      {modelAdoption && !manifest.data && current?.cid === modelAdoption.cid && (
        <Notice tone="good" testId="registry-now">The registry holds this manifest for {current.role} now (version {String(current.version)}).</Notice>
      )}
      {modelAdoption && <DryRunReports proposalId={id} />}
      <Card title="What it does">
        <ActionsList actions={proposal.actions} />
      </Card>
    </>
  );
}

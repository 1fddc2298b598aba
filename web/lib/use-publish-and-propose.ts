"use client";
/**
 * The propose flow: check the manifest against the schema in the browser, publish its canonical
 * bytes through the node (IPFS), then submit `propose([registry], [0], [adopt(role, cid, digest)],
 * description)` with the CID and digest computed in this browser (lib/manifest-hash.ts). A node
 * that answers with another CID or digest stops the flow (`mismatch`): nothing is proposed.
 */
import { useCallback, useState } from "react";
import { encodeFunctionData, parseEventLogs, type Address, type Hex } from "viem";
import { modelRegistryAbi, nsGovernorAbi, roleId, type Role } from "@ns-llm/contracts";
import { useApp, useDeployment } from "./app-context.tsx";
import { adoptionDescription, releaseDescription } from "./governance.ts";
import type { Manifest, ManifestDraft } from "./manifest.ts";
import { ManifestIntegrityError, publishFile, publishManifest, type PublishedManifest } from "./node-api.ts";
import type { PreparedRelease } from "./prepare-release.ts";
import { contractCall, useTransaction } from "./use-transaction.ts";
import { validateManifest } from "./validate-manifest.ts";

export type ProposeFlowState =
  | { step: "idle" }
  | { step: "invalid"; errors: string[] }
  | { step: "publishing" }
  | { step: "publish-failed"; message: string }
  /** The node claimed another CID or digest than the bytes sent have: it cannot be trusted to publish. */
  | { step: "mismatch"; message: string }
  | { step: "proposing"; published: PublishedManifest }
  | { step: "propose-failed"; published: PublishedManifest }
  | { step: "done"; published: PublishedManifest; proposalId: bigint };

export function usePublishAndPropose() {
  const { nodeUrl } = useApp();
  const deployment = useDeployment();
  const tx = useTransaction();
  const [state, setState] = useState<ProposeFlowState>({ step: "idle" });

  const propose = useCallback(
    async (subject: { role: Role; description: (published: PublishedManifest) => string }, proposer: Address, published: PublishedManifest) => {
      setState({ step: "proposing", published });
      const calldata = encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId(subject.role), published.cid, published.digest as Hex] });
      const description = subject.description(published);
      const receipt = await tx.send(
        "Propose",
        contractCall(deployment.contracts.NSGovernor.address, proposer, {
          abi: nsGovernorAbi,
          functionName: "propose",
          args: [[deployment.contracts.ModelRegistry.address], [0n], [calldata], description],
        }),
      );
      if (!receipt) return setState({ step: "propose-failed", published });
      const [created] = parseEventLogs({ abi: nsGovernorAbi, logs: receipt.logs, eventName: "ProposalCreated" });
      setState({ step: "done", published, proposalId: created!.args.proposalId });
    },
    [deployment, tx],
  );

  /** Validates, publishes and proposes; stops at the first step that fails and says why. */
  const submit = useCallback(
    async (draft: ManifestDraft, proposer: Address) => {
      tx.reset();
      const checked = validateManifest(draft);
      if (!checked.ok) return setState({ step: "invalid", errors: checked.errors });
      const { manifest } = checked;
      setState({ step: "publishing" });
      let published: PublishedManifest;
      try {
        published = await publishManifest(nodeUrl, manifest);
      } catch (error) {
        if (error instanceof ManifestIntegrityError) return setState({ step: "mismatch", message: error.message });
        return setState({ step: "publish-failed", message: (error as Error).message });
      }
      await propose(manifestSubject(manifest), proposer, published);
    },
    [nodeUrl, propose, tx],
  );

  /**
   * A signed release (checked in the browser by lib/prepare-release.ts): its bytes published as
   * they are through the node's IPFS upload route, then `adopt("release", cid, digest)` with the
   * browser's CID and digest; the description carries the signer's public key for voters' browsers.
   */
  const submitRelease = useCallback(
    async (release: PreparedRelease, proposer: Address) => {
      tx.reset();
      setState({ step: "publishing" });
      let published: PublishedManifest;
      try {
        published = await publishFile(nodeUrl, release.bytes, { cid: release.cid, digest: release.digest });
      } catch (error) {
        if (error instanceof ManifestIntegrityError) return setState({ step: "mismatch", message: error.message });
        return setState({ step: "publish-failed", message: (error as Error).message });
      }
      await propose(releaseSubject(release), proposer, published);
    },
    [nodeUrl, propose, tx],
  );

  /** Proposes again with the manifest already published (after a failed proposal). */
  const retry = useCallback(
    async (draft: ManifestDraft, proposer: Address) => {
      if (state.step !== "propose-failed") return;
      const checked = validateManifest(draft);
      if (!checked.ok) return setState({ step: "invalid", errors: checked.errors });
      await propose(manifestSubject(checked.manifest), proposer, state.published);
    },
    [propose, state],
  );

  /** Proposes the release again, already published (after a failed proposal). */
  const retryRelease = useCallback(
    async (release: PreparedRelease, proposer: Address) => {
      if (state.step !== "propose-failed") return;
      await propose(releaseSubject(release), proposer, state.published);
    },
    [propose, state],
  );

  const busy = state.step === "publishing" || state.step === "proposing";
  return { state, tx: tx.state, submit, retry, submitRelease, retryRelease, busy, reset: () => setState({ step: "idle" }) };
}

function manifestSubject(manifest: Manifest) {
  return { role: manifest.role, description: (p: PublishedManifest) => adoptionDescription(manifest.name, manifest.role, p.cid, p.digest, manifest.description) };
}

function releaseSubject(release: PreparedRelease) {
  return { role: "release" as const, description: (p: PublishedManifest) => releaseDescription(release.manifest.version, p.cid, p.digest, release.key, release.summary) };
}

"use client";
/**
 * The app's chain reads as react-query hooks. Every key starts with "chain", and <BlockWatcher>
 * invalidates them all on each new block, so the page follows the chain without reloads.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { Address, Hex, PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import { useApp, useDeployment } from "./app-context.tsx";
import { getAccountState, getDescriptions, getProposal, getProposals, getRegistry, getVoterState, type Proposal } from "./chain-reads.ts";
import { fetchManifest, fetchVerifiedBytes, ManifestIntegrityError } from "./node-api.ts";
import { getHealth } from "./node-http.ts";
import { base64ToBytes, checkRelease, ReleaseFormatError, releaseKeyFromDescription, releaseKeyFromSpki, type CheckedRelease, type ReleaseKey } from "./release.ts";

function useClient(): PublicClient {
  const client = usePublicClient();
  if (!client) throw new Error("no public client for the configured chain");
  return client as PublicClient;
}

export function useProposals() {
  const client = useClient();
  const deployment = useDeployment();
  return useQuery({ queryKey: ["chain", "proposals", deployment.contracts.NSGovernor.address], queryFn: () => getProposals(client, deployment), placeholderData: keepPreviousData });
}

export function useProposal(id: bigint) {
  const client = useClient();
  const deployment = useDeployment();
  return useQuery({ queryKey: ["chain", "proposal", deployment.contracts.NSGovernor.address, String(id)], queryFn: () => getProposal(client, deployment, id), placeholderData: keepPreviousData });
}

export function useDescriptions() {
  const client = useClient();
  const deployment = useDeployment();
  return useQuery({ queryKey: ["chain", "descriptions", deployment.contracts.NSGovernor.address], queryFn: () => getDescriptions(client, deployment), placeholderData: keepPreviousData });
}

export function useRegistry() {
  const client = useClient();
  const deployment = useDeployment();
  return useQuery({ queryKey: ["chain", "registry", deployment.contracts.ModelRegistry.address], queryFn: () => getRegistry(client, deployment), placeholderData: keepPreviousData });
}

/** The latest block: its number and timestamp are the app's clock ("chain time"). */
export function useChainTime() {
  const client = useClient();
  return useQuery({
    queryKey: ["chain", "block"],
    queryFn: async () => {
      const block = await client.getBlock();
      return { number: block.number, timestamp: block.timestamp };
    },
    placeholderData: keepPreviousData,
  });
}

export function useAccountState(address: Address | undefined) {
  const client = useClient();
  const deployment = useDeployment();
  return useQuery({
    queryKey: ["chain", "account", deployment.contracts.NSToken.address, address],
    queryFn: () => getAccountState(client, deployment, address!),
    enabled: Boolean(address),
    placeholderData: keepPreviousData,
  });
}

export function useVoterState(proposal: Proposal | undefined, address: Address | undefined) {
  const client = useClient();
  const deployment = useDeployment();
  return useQuery({
    queryKey: ["chain", "voter", String(proposal?.id), proposal?.state, address],
    queryFn: () => getVoterState(client, deployment, proposal!, address!),
    enabled: Boolean(proposal && address),
    placeholderData: keepPreviousData,
  });
}

/**
 * A manifest by CID through the node, hashed in the browser and checked against `digest` (what the
 * chain names: the registry entry's or the proposal's calldata). The data is the manifest only when
 * its bytes match; otherwise the error is a ManifestIntegrityError. Content-addressed, so it never
 * goes stale; a mismatch is not retried (the bytes will not change).
 */
export function useVerifiedManifest(cid: string | undefined, digest: Hex | undefined) {
  const { nodeUrl } = useApp();
  return useQuery({
    queryKey: ["manifest", nodeUrl, cid, digest],
    queryFn: () => fetchManifest(nodeUrl, cid!, digest!),
    enabled: Boolean(cid && digest),
    staleTime: Infinity,
    retry: (count, error) => !(error instanceof ManifestIntegrityError) && count < 1,
  });
}

/** The manifest alone (undefined until verified), for the places that only show its name or fields. */
export function useManifest(cid: string | undefined, digest: Hex | undefined) {
  const query = useVerifiedManifest(cid, digest);
  return { ...query, data: query.data?.manifest };
}

export type VerifiedRelease = CheckedRelease & {
  /** Computed in the browser from the bytes fetched; equal to the chain's. */
  digest: Hex;
  cid: string;
  /** False when the CID names a UnixFS DAG the browser does not rebuild (the digest is still checked). */
  cidChecked: boolean;
};

/**
 * The release key the node says its running version ships (GET /health `release.key`), undefined
 * when it reports none (a node run from a git clone). Only "as reported by the node": a key is
 * used for a signature only when its own hash is the signature's key id.
 */
export function useNodeReleaseKey() {
  const { nodeUrl } = useApp();
  return useQuery({
    queryKey: ["node", nodeUrl, "release-key"],
    queryFn: async (): Promise<ReleaseKey | null> => {
      const spki = (await getHealth(nodeUrl)).release?.key?.spki;
      return spki ? releaseKeyFromSpki(base64ToBytes(spki)) : null;
    },
    staleTime: 60_000,
    retry: false,
  });
}

/**
 * A signed release file by CID through the node: its bytes hashed in the browser and compared with
 * the CID and `digest` (the proposal's calldata), read with the shared shape check, and its
 * signature verified here with the key the proposal's description carries (else the one the node
 * reports), used only when it hashes to the signature's key id. Wrong bytes: a
 * ManifestIntegrityError; not a signed release: a ReleaseFormatError; a bad signature is in
 * `check.status`.
 */
export function useVerifiedRelease(cid: string | undefined, digest: Hex | undefined, description: string | undefined) {
  const { nodeUrl } = useApp();
  const nodeKey = useNodeReleaseKey();
  const proposalKey = releaseKeyFromDescription(description);
  return useQuery({
    queryKey: ["release", nodeUrl, cid, digest, proposalKey?.id, nodeKey.data?.id],
    queryFn: async (): Promise<VerifiedRelease> => {
      const { bytes, check } = await fetchVerifiedBytes(nodeUrl, cid!, digest!);
      const checked = await checkRelease(bytes, [proposalKey && { key: proposalKey, source: "proposal" }, nodeKey.data ? { key: nodeKey.data, source: "node" } : undefined]);
      return { ...checked, digest: check.computed.digest, cid: cid!, cidChecked: check.cidOk === true };
    },
    enabled: Boolean(cid && digest) && !nodeKey.isPending,
    staleTime: Infinity,
    retry: (count, error) => !(error instanceof ManifestIntegrityError) && !(error instanceof ReleaseFormatError) && count < 1,
  });
}

/** OpenZeppelin Governor's proposal states and vote types, in the contracts' order; the description an adoption proposal carries. */
import type { Hex } from "viem";
import type { Role } from "../roles.ts";
import { releaseKeyLine, type ReleaseKey } from "./release-key.ts";

/** `IGovernor.ProposalState`, index = the value `state(proposalId)` returns. */
export const PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** GovernorCountingSimple's vote types (`castVote(proposalId, support)`). */
export const SUPPORT = { Against: 0, For: 1, Abstain: 2 } as const;
export type Support = keyof typeof SUPPORT;

/**
 * The description of a proposal to adopt manifest `cid` for `role` (`ns-llm propose`, the dApp's
 * propose page): a title naming it, the manifest's own description as a paragraph when it has
 * one, then the manifest's CID and digest.
 */
export function adoptionDescription(name: string, role: Role, cid: string, digest: Hex, summary?: string): string {
  const body = summary?.trim() ? `${summary.trim()}\n\n` : "";
  return `# Adopt ${name} for ${role}\n\n${body}manifest: ipfs://${cid}\ndigest: ${digest}`;
}

/**
 * The description of a release proposal (`ns-llm propose --role release`, the dApp's Release
 * tab): the adoption's usual shape, plus the signer's public key (`release-key: <SPKI base64>`)
 * so every voter's browser can check the signature without trusting a node (the key is used only
 * if it hashes to the signature's key id).
 */
export function releaseDescription(version: string, cid: string, digest: Hex, key: ReleaseKey, summary?: string): string {
  return `${adoptionDescription(`ns-llm-${version}`, "release", cid, digest, summary)}\n${releaseKeyLine(key)}`;
}

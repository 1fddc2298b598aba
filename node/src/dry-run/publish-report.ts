/**
 * Publishing a report: its bytes on IPFS (the node's own), then its CID, sha256 and verdict on
 * chain with `NodeReports.reportProposal`, signed by the node's operator account.
 */
import { createHash } from "node:crypto";
import type { Address, Hash, PublicClient } from "viem";
import { nodeReportsAbi, REPORT_VERDICTS, type DryRunReport } from "@ns-llm/contracts";
import type { OperatorWallet } from "../chain/index.ts";
import type { IpfsClient } from "../ipfs/index.ts";

/** The report's bytes: JSON, two-space indented, a final newline. The digest is over these bytes. */
export function encodeReport(report: DryRunReport): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
}

export function reportDigest(bytes: Uint8Array): `0x${string}` {
  return `0x${createHash("sha256").update(bytes).digest("hex")}`;
}

export type PublishedReport = { cid: string; digest: `0x${string}`; txHash: Hash; gasUsed: bigint; bytes: number };

export async function publishReport(p: {
  report: DryRunReport;
  ipfs: IpfsClient;
  publicClient: PublicClient;
  wallet: OperatorWallet;
  nodeReports: Address;
}): Promise<PublishedReport> {
  const bytes = encodeReport(p.report);
  const digest = reportDigest(bytes);
  const cid = await p.ipfs.addBytes(bytes);
  const txHash = await p.wallet.writeContract({
    address: p.nodeReports,
    abi: nodeReportsAbi,
    functionName: "reportProposal",
    args: [BigInt(p.report.proposalId), REPORT_VERDICTS.indexOf(p.report.verdict), cid, digest],
  });
  const receipt = await p.publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") throw new Error(`reportProposal reverted in ${txHash}`);
  return { cid, digest, txHash, gasUsed: receipt.gasUsed, bytes: bytes.byteLength };
}

/**
 * What the node tells of a report it published (the plugins' `governance` hook): the proposal
 * (`cid` is the proposed manifest's, as in the follower's events), the verdict and why, and
 * where the report is (`reportCid` on IPFS, `txHash` of `reportProposal`).
 */
export type DryRunReportEvent = {
  type: "dry-run";
  step: "reported";
  proposalId: string;
  role: string;
  cid: string;
  name?: string;
  verdict: DryRunReport["verdict"];
  reason?: { code: string; message: string };
  suite: string;
  figures?: DryRunReport["figures"];
  reportCid: string;
  reportDigest: `0x${string}`;
  txHash: Hash;
};

export function reportEvent(report: DryRunReport, published: Pick<PublishedReport, "cid" | "digest" | "txHash">): DryRunReportEvent {
  return {
    type: "dry-run",
    step: "reported",
    proposalId: report.proposalId,
    role: report.proposal.role,
    cid: report.proposal.cid,
    ...(report.proposal.name ? { name: report.proposal.name } : {}),
    verdict: report.verdict,
    ...(report.reason ? { reason: report.reason } : {}),
    suite: report.suite.id,
    ...(report.figures ? { figures: report.figures } : {}),
    reportCid: published.cid,
    reportDigest: published.digest,
    txHash: published.txHash,
  };
}

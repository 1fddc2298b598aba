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

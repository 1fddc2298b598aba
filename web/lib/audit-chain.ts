/** AuditAnchor reads: a node operator's anchored batches (Anchored events) and one batch's record. */
import type { Address, Hex, PublicClient } from "viem";
import { auditAnchorAbi, type Deployment } from "@ns-llm/contracts";

export type AnchoredBatch = {
  index: number;
  root: Hex;
  fromSeq: number;
  toSeq: number;
  txHash: Hex;
  blockNumber: bigint;
};

/** Every batch `operator` anchored, from the Anchored events since the deployment, newest first. */
export async function getAnchoredBatches(client: PublicClient, deployment: Deployment, operator: Address): Promise<AnchoredBatch[]> {
  const logs = await client.getContractEvents({
    address: deployment.contracts.AuditAnchor.address,
    abi: auditAnchorAbi,
    eventName: "Anchored",
    args: { node: operator },
    fromBlock: BigInt(deployment.startBlock),
    toBlock: "latest",
  });
  return logs
    .map((log) => ({
      index: Number(log.args.index),
      root: log.args.root!,
      fromSeq: Number(log.args.fromSeq),
      toSeq: Number(log.args.toSeq),
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    }))
    .reverse();
}

export type ChainBatch = { root: Hex; fromSeq: number; toSeq: number; anchoredAt: bigint };

/** Batch `index` of `operator` on chain, or undefined when it was not anchored (yet). */
export async function getChainBatch(client: PublicClient, deployment: Deployment, operator: Address, index: number): Promise<ChainBatch | undefined> {
  const address = deployment.contracts.AuditAnchor.address;
  const count = await client.readContract({ address, abi: auditAnchorAbi, functionName: "batchCount", args: [operator] });
  if (BigInt(index) >= count) return undefined;
  const [root, fromSeq, toSeq, anchoredAt] = await client.readContract({ address, abi: auditAnchorAbi, functionName: "batchOf", args: [operator, BigInt(index)] });
  return { root, fromSeq: Number(fromSeq), toSeq: Number(toSeq), anchoredAt };
}

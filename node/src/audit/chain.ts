/**
 * Finds the AuditAnchor contract of the chain at an RPC URL (NS_LLM_DEPLOYMENT, else
 * `deployments/<chainId>.json`) and the clients that read it and, with the operator's key, write
 * to it.
 */
import { getAddress, type Address, type Hex, type PublicClient } from "viem";
import { NsLlmError } from "../errors.ts";
import { loadDeployment, operatorWallet, publicClientFor, redactRpcUrl, type OperatorWallet } from "../chain/index.ts";

/** The chain side of the audit log: where batches are anchored and read back. */
export type AnchorTarget = {
  publicClient: PublicClient;
  /** Signs anchors; absent when only reading (verification by anyone). */
  walletClient?: OperatorWallet;
  chainId: number;
  /** The AuditAnchor contract. */
  address: Address;
  /** The block the contracts were deployed at: where event searches start. */
  startBlock: bigint;
  /** The operator's address (the node whose batches these are), when a key is given. */
  node?: Address;
};

/** A setup problem a person fixes: `hint` says how. */
export class AnchorSetupError extends NsLlmError<"anchor_setup"> {
  declare readonly hint: string;

  constructor(message: string, hint: string) {
    super("anchor_setup", message, { hint });
  }
}

export type ConnectAnchorParameters = {
  rpcUrl: string;
  /** A deployment file (NS_LLM_DEPLOYMENT); else `deployments/<chainId>.json` is looked for. */
  deploymentFile?: string;
  /** Signs anchors (NS_LLM_OPERATOR_KEY). Without it the target only reads. */
  operatorKey?: Hex;
};

/**
 * Connects to the chain at `rpcUrl` and finds its AuditAnchor. Throws an AnchorSetupError when the
 * chain does not answer, no deployment is recorded for it, or the contract has no code there.
 */
export async function connectAnchor(parameters: ConnectAnchorParameters): Promise<AnchorTarget> {
  const { rpcUrl, deploymentFile, operatorKey } = parameters;
  const publicClient = publicClientFor(rpcUrl);
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch {
    throw new AnchorSetupError(`the chain at ${redactRpcUrl(rpcUrl)} does not answer`, "start it, or set NS_LLM_RPC_URL");
  }
  let address: Address;
  let startBlock: bigint;
  try {
    const deployment = await loadDeployment(chainId, deploymentFile);
    address = getAddress(deployment.contracts.AuditAnchor.address);
    startBlock = BigInt(deployment.startBlock ?? 0);
  } catch (error) {
    const e = error as Error & { hint?: string };
    throw new AnchorSetupError(e.message, e.hint ?? "deploy again (npm run deploy -- --network localhost) or set NS_LLM_DEPLOYMENT");
  }
  const code = await publicClient.getCode({ address });
  if (!code || code === "0x") {
    throw new AnchorSetupError(
      `AuditAnchor has no code at ${address} on chain ${chainId}`,
      "the chain was restarted or the deployment file is stale: run npm run deploy -- --network localhost",
    );
  }
  const walletClient = operatorKey ? await operatorWallet(rpcUrl, publicClient, operatorKey) : undefined;
  return { publicClient, walletClient, chainId, address, startBlock, node: walletClient?.account.address };
}

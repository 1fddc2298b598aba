/**
 * What chain commands share: the configuration, a public client, the deployment and the
 * operator's wallet, each failing with a message that says what to do.
 */
import type { PublicClient } from "viem";
import type { Deployment } from "@ns-llm/contracts";
import { loadDeployment, operatorWallet, publicClientFor, type OperatorWallet } from "../chain/index.ts";
import { loadConfig, type Config } from "../config.ts";
import { UserError } from "./errors.ts";

export type ChainContext = { config: Config; publicClient: PublicClient; chainId: number; deployment: Deployment };

export async function chainContext(): Promise<ChainContext> {
  const config = loadConfig();
  const publicClient = publicClientFor(config.rpcUrl);
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch {
    throw new UserError(`no chain answers at ${config.rpcUrl}`, "start one with `npx hardhat node` or set NS_LLM_RPC_URL");
  }
  try {
    return { config, publicClient, chainId, deployment: await loadDeployment(chainId, config.deploymentFile) };
  } catch (error) {
    throw new UserError((error as Error).message, (error as { hint?: string }).hint ?? "set NS_LLM_DEPLOYMENT");
  }
}

/** The wallet that signs: NS_LLM_OPERATOR_KEY, or the dev chain's first account. */
export async function requireWallet(context: ChainContext): Promise<OperatorWallet> {
  const wallet = await operatorWallet(context.config.rpcUrl, context.publicClient, context.config.operatorKey);
  if (!wallet) throw new UserError("no key to sign with", "set NS_LLM_OPERATOR_KEY to a funded account's private key");
  return wallet;
}

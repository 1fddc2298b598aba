import {
  createPublicClient,
  createTestClient,
  createWalletClient,
  http,
  type Account,
  type Address,
  type PublicClient,
  type TestClient,
  type Transport,
  type WalletClient,
  type Chain,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import type { AnswerWatch } from "./answer-watch.ts";

export const DEV_CHAIN_ID = 31337;

export type PublicClientOptions = {
  /** Per request (ms); default 10 s. */
  timeoutMs?: number;
  /** Default 2. */
  retryCount?: number;
  /** Told of every request sent and every answer received (see createAnswerWatch). */
  watch?: AnswerWatch;
};

/** A public client for `rpcUrl` that fails fast (timeouts, few retries) rather than hanging. */
export function publicClientFor(rpcUrl: string, pollingInterval = 500, options: PublicClientOptions = {}): PublicClient {
  const { timeoutMs = 10_000, retryCount = 2, watch } = options;
  const transport = http(rpcUrl, {
    timeout: timeoutMs,
    retryCount,
    ...(watch ? { onFetchRequest: () => watch.onRequest(), onFetchResponse: () => watch.onResponse() } : {}),
  });
  return createPublicClient({ transport, pollingInterval });
}

/**
 * The wallet that signs proposals, votes and anchors: NS_LLM_OPERATOR_KEY when set; on a dev
 * chain without a key, its first unlocked account. Returns undefined when neither is available.
 */
export type OperatorWallet = WalletClient<Transport, Chain, Account>;

export async function operatorWallet(
  rpcUrl: string,
  publicClient: PublicClient,
  key: `0x${string}` | undefined,
): Promise<OperatorWallet | undefined> {
  const chainId = await publicClient.getChainId();
  const chain = chainId === DEV_CHAIN_ID ? hardhat : ({ ...hardhat, id: chainId, name: `chain ${chainId}` } as Chain);
  const transport = http(rpcUrl, { timeout: 30_000, retryCount: 2 });
  if (key) return createWalletClient({ account: privateKeyToAccount(key), chain, transport });
  if (chainId !== DEV_CHAIN_ID) return undefined;
  const [first] = await devAccounts(rpcUrl);
  if (!first) return undefined;
  // An address as the account: a JSON-RPC account, signed by the dev node.
  return createWalletClient({ account: first, chain, transport });
}

/** The dev chain's unlocked accounts (eth_accounts). */
export async function devAccounts(rpcUrl: string): Promise<Address[]> {
  return createWalletClient({ transport: http(rpcUrl) }).getAddresses();
}

/** A wallet that sends from an unlocked dev account by JSON-RPC (the node signs). */
export function unlockedWallet(rpcUrl: string, address: Address, chainId: number): OperatorWallet {
  const chain = chainId === DEV_CHAIN_ID ? hardhat : ({ ...hardhat, id: chainId } as Chain);
  return createWalletClient({ account: address, chain, transport: http(rpcUrl) });
}

/** The dev chain's own methods (moving its clock, mining), for `dev pass` and tests. */
export function devChainClient(rpcUrl: string): TestClient<"hardhat"> {
  return createTestClient({ mode: "hardhat", chain: hardhat, transport: http(rpcUrl) });
}

/**
 * Dev chain (31337) only: the Hardhat node's own RPC methods, called directly, so a person can take
 * a proposal from creation to execution in a minute.
 */
import { createPublicClient, createWalletClient, encodeFunctionData, http, parseEther, type Address } from "viem";
import { nsTokenAbi } from "@ns-llm/contracts";

async function rpc<T>(rpcUrl: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: Date.now(), method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Moves the chain's clock forward by `seconds` and mines a block at the new time. */
export async function advanceTime(rpcUrl: string, seconds: number): Promise<void> {
  await rpc(rpcUrl, "evm_increaseTime", [seconds]);
  await rpc(rpcUrl, "evm_mine");
}

/** Mines `blocks` empty blocks. */
export async function mineBlocks(rpcUrl: string, blocks: number): Promise<void> {
  await rpc(rpcUrl, "hardhat_mine", [`0x${blocks.toString(16)}`]);
}

export type GiveDevTokensParameters = { rpcUrl: string; token: Address; to: Address; amount: bigint };

/**
 * Transfers `amount` NSG to `to` from an unlocked Hardhat account that holds enough (the dev
 * accounts got 1,000 NSG each at deployment), and tops up its ETH for gas.
 */
export async function giveDevTokens({ rpcUrl, token, to, amount }: GiveDevTokensParameters): Promise<Address> {
  const client = createPublicClient({ transport: http(rpcUrl) });
  const accounts = await rpc<Address[]>(rpcUrl, "eth_accounts");
  let from: Address | undefined;
  for (const account of accounts) {
    if (account.toLowerCase() === to.toLowerCase()) continue;
    const balance = await client.readContract({ address: token, abi: nsTokenAbi, functionName: "balanceOf", args: [account] });
    if (balance >= amount) {
      from = account;
      break;
    }
  }
  if (!from) throw new Error("no unlocked dev account holds that many NSG");
  const wallet = createWalletClient({ account: from, transport: http(rpcUrl) });
  const hash = await wallet.sendTransaction({
    account: from,
    chain: null,
    to: token,
    data: encodeFunctionData({ abi: nsTokenAbi, functionName: "transfer", args: [to, amount] }),
  });
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 250 });
  if (receipt.status !== "success") throw new Error(`the transfer reverted in ${hash}`);
  if ((await client.getBalance({ address: to })) < parseEther("1")) {
    await rpc(rpcUrl, "hardhat_setBalance", [to, `0x${parseEther("100").toString(16)}`]);
  }
  return from;
}
